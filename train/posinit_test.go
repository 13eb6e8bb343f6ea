package train

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

func TestSinCos2D(t *testing.T) {
	const side, width = 3, 8
	tab := SinCos2D(side, width)
	// Patch (row 2, column 1): sin(2), sin(2/100), cos(2), cos(2/100), then the column's.
	p := tab[(2*side+1)*width:][:width]
	want := []float64{math.Sin(2), math.Sin(2 / 100.0), math.Cos(2), math.Cos(2 / 100.0), math.Sin(1), math.Sin(1 / 100.0), math.Cos(1), math.Cos(1 / 100.0)}
	for i, w := range want {
		if math.Abs(float64(p[i])-w) > 1e-6 {
			t.Errorf("element %d = %v, want %v", i, p[i], w)
		}
	}
}

// TestPositionInitUsed: the sine-cosine table is the variable the training
// graph uses (after one tiny step it is still close to the table), and
// "random" keeps the small normal initialisation.
func TestPositionInitUsed(t *testing.T) {
	for _, mode := range []string{PosInitSinCos, PosInitRandom} {
		cfg := tinyConfig(t, "captioning", 1)
		cfg.Warmup, cfg.LR, cfg.PosInit = 0, 1e-6, mode
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		c := gctx.New()
		if _, err := checkpoints.Load(c).Dir(cfg.OutDir).Immediate().Done(); err != nil {
			t.Fatal(err)
		}
		v := c.InAbsPath("/encoder/position").GetVariable("embeddings")
		if v == nil {
			t.Fatalf("%s: no /encoder/position/embeddings in the checkpoint", mode)
		}
		got := tensors.MustCopyFlatData[float32](v.MustValue())
		want := SinCos2D(4, 16)
		maxDiff := 0.0
		for i := range want {
			maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
		}
		if mode == PosInitSinCos && maxDiff > 1e-3 {
			t.Errorf("sincos: trained table differs from SinCos2D by %g", maxDiff)
		}
		if mode == PosInitRandom && maxDiff < 0.5 {
			t.Errorf("random: table within %g of SinCos2D", maxDiff)
		}
	}
	bad := tinyConfig(t, "captioning", 1)
	bad.PosInit = "zeros"
	if _, err := Run(context.Background(), bad); err == nil {
		t.Error("unknown position init accepted")
	}
}
