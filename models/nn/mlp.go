package nn

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// GELU is the exact Gaussian error linear unit, x·Φ(x) = ½x(1+erf(x/√2)),
// as in ViT and BERT.
func GELU(x *Node) *Node {
	g := x.Graph()
	half := graph.Scalar(g, x.DType(), 0.5)
	erf := graph.Erf(graph.Mul(x, graph.Scalar(g, x.DType(), 1/math.Sqrt2)))
	return graph.Mul(graph.Mul(x, half), graph.AddScalar(erf, 1))
}

// MLP is the transformer feed-forward block: Dense(hidden) → GELU →
// Dense(back to the input width), in scopes "fc1" and "fc2".
func MLP(ctx *context.Context, x *Node, hidden int) *Node {
	width := x.Shape().Dimensions[x.Rank()-1]
	h := GELU(Dense(ctx.In("fc1"), x, hidden, true))
	return Dense(ctx.In("fc2"), h, width, true)
}
