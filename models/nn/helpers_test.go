package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend/backendtest"
)

// randTensor64 returns a float64 tensor of the given dimensions with values
// uniform in [-1, 1).
func randTensor64(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = 2*rng.Float64() - 1
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func randTensor32(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// flat64 copies a float32 or float64 tensor into a []float64.
func flat64(tb testing.TB, t *tensors.Tensor) []float64 {
	tb.Helper()
	var out []float64
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float64:
			out = append(out, f...)
		case []float32:
			for _, v := range f {
				out = append(out, float64(v))
			}
		default:
			tb.Fatalf("flat64: unsupported dtype %s", t.DType())
		}
	})
	return out
}

// assertClose fails when any element differs by more than tol·max(1, |want|).
func assertClose(tb testing.TB, what string, got, want *tensors.Tensor, tol float64) {
	tb.Helper()
	if !got.Shape().Equal(want.Shape()) {
		tb.Fatalf("%s: shape %s, want %s", what, got.Shape(), want.Shape())
	}
	g, w := flat64(tb, got), flat64(tb, want)
	worst, at := 0.0, -1
	for i := range g {
		d := math.Abs(g[i]-w[i]) / math.Max(1, math.Abs(w[i]))
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst > tol || at >= 0 && math.IsNaN(worst) {
		tb.Fatalf("%s: element %d = %g, want %g (scaled diff %.3g > %.1g)", what, at, g[at], w[at], worst, tol)
	}
}

func testBackend(tb testing.TB) backends.Backend { return backendtest.Shared(tb) }
