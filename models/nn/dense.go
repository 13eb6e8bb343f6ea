package nn

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Dense is a learned affine map of the last axis: [..., in] → [..., out].
// Variables, in scope ctx: "weights" [in, out] (LeCun-uniform: U(±√(3/in)),
// variance 1/in) and, when useBias, "biases" [out] (zeros).
func Dense(ctx *context.Context, x *Node, out int, useBias bool) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	in := dims[len(dims)-1]
	limit := math.Sqrt(3 / float64(in))
	w := ctx.WithInitializer(initializers.RandomUniformFn(ctx, -limit, limit)).
		VariableWithShape("weights", shapes.Make(x.DType(), in, out)).ValueGraph(g)
	// Fold leading axes into one so the product is a plain matrix product,
	// whose gradient is the cheapest form.
	x2 := graph.Reshape(x, -1, in)
	y := Dot(ctx, x2, []int{1}, nil, w, []int{0}, nil)
	if useBias {
		b := ctx.WithInitializer(initializers.Zero).
			VariableWithShape("biases", shapes.Make(x.DType(), out)).ValueGraph(g)
		y = graph.Add(y, graph.InsertAxes(b, 0))
	}
	outDims := append(append([]int(nil), dims[:len(dims)-1]...), out)
	return graph.Reshape(y, outDims...)
}
