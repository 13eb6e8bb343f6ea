package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestDotGeneralGradient checks value and gradients of DotGeneral against
// graph.DotGeneral with GoMLX's own gradient, over axis layouts the models
// use (plain, transposed, attention scores and weighted sums) and odd ones
// (out-of-order contracting pairs, batch axes in the middle).
func TestDotGeneralGradient(t *testing.T) {
	tests := []struct {
		lhsDims, rhsDims []int
		lc, lb, rc, rb   []int
	}{
		{lhsDims: []int{3, 4}, rhsDims: []int{4, 5}, lc: []int{1}, rc: []int{0}},
		{lhsDims: []int{5, 4}, rhsDims: []int{5, 3}, lc: []int{0}, rc: []int{0}},
		{lhsDims: []int{2, 3, 4, 5}, rhsDims: []int{2, 6, 4, 5}, lc: []int{3}, lb: []int{0, 2}, rc: []int{3}, rb: []int{0, 2}},
		{lhsDims: []int{2, 4, 3, 6}, rhsDims: []int{2, 6, 4, 5}, lc: []int{3}, lb: []int{0, 1}, rc: []int{1}, rb: []int{0, 2}},
		{lhsDims: []int{3, 4, 5}, rhsDims: []int{5, 6, 3}, lc: []int{2, 0}, rc: []int{0, 2}},
		{lhsDims: []int{4, 2, 3}, rhsDims: []int{3, 2, 5}, lc: []int{-1}, lb: []int{1}, rc: []int{0}, rb: []int{1}},
		{lhsDims: []int{2, 3, 4}, rhsDims: []int{2, 4, 5}, lc: []int{2}, lb: []int{0}, rc: []int{1}, rb: []int{0}},
	}
	b := testBackend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i, tc := range tests {
		t.Run(fmt.Sprintf("case%d", i), func(t *testing.T) {
			lhs, rhs := randTensor64(rng, tc.lhsDims...), randTensor64(rng, tc.rhsDims...)
			run := func(custom bool) []*tensors.Tensor {
				e := graph.MustNewExec(b, func(l, r *graph.Node) []*graph.Node {
					var out *graph.Node
					if custom {
						out = DotGeneral(l, tc.lc, tc.lb, r, tc.rc, tc.rb)
					} else {
						out = graph.DotGeneral(l, tc.lc, tc.lb, r, tc.rc, tc.rb)
					}
					// A fixed non-uniform weighting so every output element matters differently.
					w := graph.Sin(graph.Iota(l.Graph(), out.Shape(), 0))
					w = graph.Add(w, graph.Cos(graph.IotaFull(l.Graph(), out.Shape())))
					loss := graph.ReduceAllSum(graph.Mul(out, w))
					grads := graph.Gradient(loss, l, r)
					return []*graph.Node{out, grads[0], grads[1]}
				})
				defer e.Finalize()
				res, err := e.Exec(lhs, rhs)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			got, want := run(true), run(false)
			for j, what := range []string{"value", "d/dlhs", "d/drhs"} {
				assertClose(t, what, got[j], want[j], 1e-12)
			}
		})
	}
}
