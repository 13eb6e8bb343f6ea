package nn

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// MaskValue is the additive bias that shuts out an attention position or a
// token: exp(MaskValue − max) underflows to exactly 0 in float32 and
// float64, and unlike −Inf it cannot turn a fully-masked row into NaN.
const MaskValue = -1e9

// Softmax normalises the last axis. The max subtracted for stability is
// under StopGradient: softmax does not depend on it, so its gradient is 0.
func Softmax(x *Node) *Node {
	axis := x.Rank() - 1
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, axis))
	e := graph.Exp(graph.Sub(x, m))
	return graph.Div(e, graph.ReduceAndKeep(e, graph.ReduceSum, axis))
}

// LogSoftmax is log(Softmax(x)) over the last axis, computed stably as
// x − max − log Σ exp(x − max).
func LogSoftmax(x *Node) *Node {
	axis := x.Rank() - 1
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, axis))
	xs := graph.Sub(x, m)
	return graph.Sub(xs, graph.Log(graph.ReduceAndKeep(graph.Exp(xs), graph.ReduceSum, axis)))
}

// SplitHeads turns [batch, seq, heads·dim] into [batch, heads, seq, dim].
func SplitHeads(x *Node, heads int) *Node {
	d := x.Shape().Dimensions
	x = graph.Reshape(x, d[0], d[1], heads, d[2]/heads)
	return graph.TransposeAllAxes(x, 0, 2, 1, 3)
}

// MergeHeads turns [batch, heads, seq, dim] into [batch, seq, heads·dim].
func MergeHeads(x *Node) *Node {
	d := x.Shape().Dimensions
	x = graph.TransposeAllAxes(x, 0, 2, 1, 3)
	return graph.Reshape(x, d[0], d[2], d[1]*d[3])
}

// HeadProjection is Dense(heads·headDim) then SplitHeads: the query, key or
// value projection of attention, [batch, seq, width] → [batch, heads, seq, headDim].
func HeadProjection(ctx *context.Context, x *Node, heads, headDim int) *Node {
	return SplitHeads(Dense(ctx, x, heads*headDim, true), heads)
}

// Attend is scaled dot-product attention: softmax(q·kᵀ/√dim + bias)·v for
// q [batch, heads, tq, dim], k and v [batch, heads, tk, dim], and an
// additive bias broadcastable to [batch, heads, tq, tk] (nil for none; use
// MaskValue for shut-out positions). Returns [batch, heads, tq, dim].
func Attend(ctx *context.Context, q, k, v, bias *Node) *Node {
	dim := q.Shape().Dimensions[3]
	q = graph.Mul(q, graph.Scalar(q.Graph(), q.DType(), 1/math.Sqrt(float64(dim))))
	scores := Dot(ctx, q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})
	if bias != nil {
		scores = graph.Add(scores, bias)
	}
	return Dot(ctx, Softmax(scores), []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
}

// MultiHeadAttention attends from x [batch, tq, width] to kv [batch, tk,
// width'] (kv = x for self-attention) with the given number of heads, and
// projects back to width. Scopes: "query", "key", "value", "output".
func MultiHeadAttention(ctx *context.Context, x, kv *Node, heads int, bias *Node) *Node {
	width := x.Shape().Dimensions[2]
	headDim := width / heads
	q := HeadProjection(ctx.In("query"), x, heads, headDim)
	k := HeadProjection(ctx.In("key"), kv, heads, headDim)
	v := HeadProjection(ctx.In("value"), kv, heads, headDim)
	return Dense(ctx.In("output"), MergeHeads(Attend(ctx, q, k, v, bias)), width, true)
}

// CausalBias returns the [1, 1, n, n] additive mask letting position i
// attend to positions j ≤ i only.
func CausalBias(g *graph.Graph, dtype dtypes.DType, n int) *Node {
	row := graph.Iota(g, shapeOf(dtypes.Int32, 1, 1, n, n), 2)
	col := graph.Iota(g, shapeOf(dtypes.Int32, 1, 1, n, n), 3)
	return graph.Where(graph.GreaterOrEqual(row, col),
		graph.Scalar(g, dtype, 0), graph.Scalar(g, dtype, MaskValue))
}
