package nn

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// LayerNormEpsilon is added to the variance before the inverse square root.
const LayerNormEpsilon = 1e-6

// LayerNorm normalises the last axis to zero mean and unit variance, then
// applies a learned "gain" (ones) and "offset" (zeros), both [features].
// Written from Sum/Mul/Sqrt/Div so its ops map one-to-one onto ONNX.
func LayerNorm(ctx *context.Context, x *Node) *Node {
	g := x.Graph()
	axis := x.Rank() - 1
	n := x.Shape().Dimensions[axis]
	inv := graph.Scalar(g, x.DType(), 1/float64(n))
	mean := graph.Mul(graph.ReduceAndKeep(x, graph.ReduceSum, axis), inv)
	xc := graph.Sub(x, mean)
	variance := graph.Mul(graph.ReduceAndKeep(graph.Mul(xc, xc), graph.ReduceSum, axis), inv)
	// Sqrt then Div, not Rsqrt: GoMLX v0.26.0 has no gradient for Rsqrt.
	y := graph.Div(xc, graph.Sqrt(graph.AddScalar(variance, LayerNormEpsilon)))
	gain := ctx.WithInitializer(initializers.One).
		VariableWithShape("gain", shapes.Make(x.DType(), n)).ValueGraph(g)
	offset := ctx.WithInitializer(initializers.Zero).
		VariableWithShape("offset", shapes.Make(x.DType(), n)).ValueGraph(g)
	return graph.Add(graph.Mul(y, expandLeading(gain, x.Rank())), expandLeading(offset, x.Rank()))
}

// expandLeading reshapes a vector to rank r with leading axes of size 1, for
// broadcasting against [..., n].
func expandLeading(v *Node, r int) *Node {
	dims := make([]int, r)
	for i := range dims {
		dims[i] = 1
	}
	dims[r-1] = v.Shape().Dimensions[0]
	return graph.Reshape(v, dims...)
}
