package seq

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestForwardRepeated: encoding each image once and repeating its cross
// keys and values gives Forward's logits on the images repeated row by row.
func TestForwardRepeated(t *testing.T) {
	cfg := tinyConfig(11, 5)
	m := newTestModel(t, cfg, 3)
	const images, n = 2, 3
	rng := rand.New(rand.NewPCG(1, 2))
	img := randImages(rng, cfg, images)
	flat := tensors.MustCopyFlatData[float32](img)
	per := len(flat) / images
	var rep []float32
	tokens := make([]int32, images*n*cfg.SeqLen)
	for b := range images {
		for range n {
			rep = append(rep, flat[b*per:(b+1)*per]...)
		}
	}
	for i := range tokens {
		tokens[i] = int32(rng.IntN(cfg.VocabSize))
	}
	tok := tensors.FromFlatDataAndDimensions(tokens, images*n, cfg.SeqLen)
	dims := img.Shape().Dimensions
	want, err := m.Logits(tensors.FromFlatDataAndDimensions(rep, images*n, dims[1], dims[2], dims[3]), tok)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := context.NewExec(m.Backend(), m.Context(), func(ctx *context.Context, img, tok *Node) *Node {
		return ForwardRepeated(ctx.Checked(false), cfg, img, tok, n)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(img, tok)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tensors.MustCopyFlatData[float32](want), tensors.MustCopyFlatData[float32](out[0])
	if len(a) != len(b) {
		t.Fatalf("%d logits, want %d", len(b), len(a))
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if worst > 1e-5 {
		t.Errorf("max |logit difference| %g", worst)
	}
}
