package seq

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestConvStem compares ConvStem with a direct 3×3, stride-2, zero-padded
// convolution + GELU computed here from the same weights, on an image
// with odd borders (6×4) so padding on every side is exercised.
func TestConvStem(t *testing.T) {
	const b, h, w, c, ch = 2, 6, 4, 3, 5
	rng := rand.New(rand.NewPCG(4, 4))
	img := make([]float32, b*h*w*c)
	for i := range img {
		img[i] = rng.Float32()*2 - 1
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	e, err := context.NewExec(testBackend(t), ctx, func(ctx *context.Context, in []*Node) []*Node {
		return []*Node{ConvStem(ctx.In("stem"), in[0], ch)}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(tensors.FromFlatDataAndDimensions(img, b, h, w, c))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	if dims := out[0].Shape().Dimensions; len(dims) != 4 || dims[0] != b || dims[1] != h/2 || dims[2] != w/2 || dims[3] != ch {
		t.Fatalf("output shape %v", dims)
	}
	flat := func(name string) []float32 {
		v, err := ctx.In("stem").GetVariable(name).Value()
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](v)
	}
	weights, biases := flat("weights"), flat("biases") // [9·c, ch] (tap-major), [ch]
	var worst float64
	for n := range b {
		for i := range h / 2 {
			for j := range w / 2 {
				for o := range ch {
					sum := float64(biases[o])
					for k := range 9 {
						y, x := 2*i+k/3-1, 2*j+k%3-1
						if y < 0 || y >= h || x < 0 || x >= w {
							continue
						}
						for q := range c {
							sum += float64(weights[(k*c+q)*ch+o]) * float64(img[((n*h+y)*w+x)*c+q])
						}
					}
					want := 0.5 * sum * (1 + math.Erf(sum/math.Sqrt2))
					worst = max(worst, math.Abs(want-float64(got[((n*(h/2)+i)*(w/2)+j)*ch+o])))
				}
			}
		}
	}
	if worst > 1e-5 {
		t.Fatalf("ConvStem differs from the direct convolution by %g", worst)
	}
}
