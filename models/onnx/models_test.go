package onnx_test

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// The small models the tests export: written the way models/ code is, in
// plain GoMLX graph code, with sizes read from the input shapes.

const (
	testDim   = 16
	testHeads = 2
	testVocab = 11
	testMaxT  = 32
)

// splitHeads: [B, T, D] → [B, H, T, D/H].
func splitHeads(x *graph.Node, heads int) *graph.Node {
	b, t, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	return graph.TransposeAllAxes(graph.Reshape(x, b, t, heads, d/heads), 0, 2, 1, 3)
}

// mergeHeads: [B, H, T, d] → [B, T, H·d].
func mergeHeads(x *graph.Node) *graph.Node {
	b, h, t, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	return graph.Reshape(graph.TransposeAllAxes(x, 0, 2, 1, 3), b, t, h*d)
}

// attend: softmax(q·kᵀ/√d)·v over the last key axis, with an optional
// additive mask.
func attend(q, k, v, mask *graph.Node) *graph.Node {
	d := q.Shape().Dim(-1)
	scores := graph.MulScalar(graph.Einsum("bhqd,bhkd->bhqk", q, k), 1/math.Sqrt(float64(d)))
	if mask != nil {
		scores = graph.Add(scores, mask)
	}
	return graph.Einsum("bhqk,bhkd->bhqd", graph.Softmax(scores, -1), v)
}

// transformerBlock is a pre-LN encoder block: self-attention and a GELU MLP.
func transformerBlock(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x := in[0]
	d := x.Shape().Dim(-1)
	h := layers.LayerNormalization(ctx.In("ln1"), x, -1).Done()
	q := splitHeads(layers.Dense(ctx.In("q"), h, true, d), testHeads)
	k := splitHeads(layers.Dense(ctx.In("k"), h, true, d), testHeads)
	v := splitHeads(layers.Dense(ctx.In("v"), h, true, d), testHeads)
	x = graph.Add(x, layers.Dense(ctx.In("o"), mergeHeads(attend(q, k, v, nil)), true, d))
	h = layers.LayerNormalization(ctx.In("ln2"), x, -1).Done()
	h = activations.Gelu(layers.Dense(ctx.In("mlp1"), h, true, 4*d))
	x = graph.Add(x, layers.Dense(ctx.In("mlp2"), h, true, d))
	return []*graph.Node{x}
}

// embed looks tokens [B, T] up in a token table and adds position
// embeddings gathered at graph.Iota positions (so T can be dynamic).
func embed(ctx *context.Context, in []*graph.Node) []*graph.Node {
	tokens := in[0]
	t := tokens.Shape().Dim(1)
	g := tokens.Graph()
	tok := ctx.In("tok").VariableWithShape("embeddings", shapes.Make(dtypes.Float32, testVocab, testDim)).ValueGraph(g)
	x := graph.Gather(tok, graph.InsertAxes(tokens, -1)) // [B, T, D]
	pos := graph.Iota(g, shapes.Make(dtypes.Int32, t, 1), 0)
	table := ctx.In("pos").VariableWithShape("embeddings", shapes.Make(dtypes.Float32, testMaxT, testDim)).ValueGraph(g)
	p := graph.Gather(table, pos) // [T, D]
	return []*graph.Node{graph.Add(x, graph.InsertAxes(p, 0))}
}

// decoderStep is one KV-cached decoding step: x [B, 1, D] is the new token's
// embedding, pastK/pastV [B, H, L, d] the cache. It returns the output
// [B, 1, D] and the present cache [B, H, L+1, d].
func decoderStep(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x, pastK, pastV := in[0], in[1], in[2]
	d := x.Shape().Dim(-1)
	h := layers.LayerNormalization(ctx.In("ln"), x, -1).Done()
	q := splitHeads(layers.Dense(ctx.In("q"), h, true, d), testHeads)
	k := splitHeads(layers.Dense(ctx.In("k"), h, true, d), testHeads)
	v := splitHeads(layers.Dense(ctx.In("v"), h, true, d), testHeads)
	presentK := graph.Concatenate([]*graph.Node{pastK, k}, 2)
	presentV := graph.Concatenate([]*graph.Node{pastV, v}, 2)
	o := mergeHeads(attend(q, presentK, presentV, nil))
	return []*graph.Node{graph.Add(x, layers.Dense(ctx.In("o"), o, true, d)), presentK, presentV}
}

// logSoftmax is the max-stabilised log-softmax over the last axis.
func logSoftmax(_ *context.Context, in []*graph.Node) []*graph.Node {
	x := in[0]
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, -1))
	z := graph.Sub(x, m)
	return []*graph.Node{graph.Sub(z, graph.Log(graph.ReduceAndKeep(graph.Exp(z), graph.ReduceSum, -1)))}
}

// argmaxTokens picks the highest-scoring token per row, as int32.
func argmaxTokens(_ *context.Context, in []*graph.Node) []*graph.Node {
	return []*graph.Node{graph.ArgMax(in[0], -1, dtypes.Int32)}
}

// meanPool averages over the (dynamic) sequence axis: GoMLX multiplies by
// 1/T, a constant the exporter must rewrite into a run-time value.
func meanPool(_ *context.Context, in []*graph.Node) []*graph.Node {
	return []*graph.Node{graph.ReduceMean(in[0], 1)}
}

// causalDecoder is a full-prefix (teacher-forced) decoder layer: causal
// self-attention over tokens x [B, T, D] plus cross-attention to a memory
// [B, N, D]; it returns the logits of the last position and the
// log-probabilities of the given next tokens [B, T], picked both with a
// one-hot product and with a full-index Gather (take-along-axis).
func causalDecoder(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x, memory, next := in[0], in[1], in[2]
	g := x.Graph()
	b, t, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	row := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, t, t), 2)
	col := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, t, t), 3)
	mask := graph.Where(graph.GreaterOrEqual(row, col), graph.Scalar(g, dtypes.Float32, 0), graph.Scalar(g, dtypes.Float32, -1e9))
	h := layers.LayerNormalization(ctx.In("ln1"), x, -1).Done()
	q := splitHeads(layers.Dense(ctx.In("q"), h, true, d), testHeads)
	k := splitHeads(layers.Dense(ctx.In("k"), h, true, d), testHeads)
	v := splitHeads(layers.Dense(ctx.In("v"), h, true, d), testHeads)
	x = graph.Add(x, mergeHeads(attend(q, k, v, mask)))
	h = layers.LayerNormalization(ctx.In("ln2"), x, -1).Done()
	q = splitHeads(layers.Dense(ctx.In("cq"), h, true, d), testHeads)
	k = splitHeads(layers.Dense(ctx.In("ck"), memory, true, d), testHeads)
	v = splitHeads(layers.Dense(ctx.In("cv"), memory, true, d), testHeads)
	x = graph.Add(x, mergeHeads(attend(q, k, v, nil)))
	logits := layers.Dense(ctx.In("head"), x, true, testVocab) // [B, T, V]
	logp := logSoftmax(nil, []*graph.Node{logits})[0]
	oneHot := graph.ReduceSum(graph.Mul(logp, graph.OneHot(next, testVocab, dtypes.Float32)), -1)
	bi := graph.Iota(g, shapes.Make(dtypes.Int32, b, t, 1), 0)
	ti := graph.Iota(g, shapes.Make(dtypes.Int32, b, t, 1), 1)
	idx := graph.Concatenate([]*graph.Node{bi, ti, graph.InsertAxes(next, -1)}, -1) // [B, T, 3]
	gathered := graph.Gather(logp, idx)                                             // [B, T]
	last := graph.Squeeze(graph.Slice(logits, graph.AxisRange(), graph.AxisElem(-1)), 1)
	return []*graph.Node{last, oneHot, gathered}
}

// patchify turns images [B, H, W, C] into patches [B, (H/p)·(W/p), p·p·C]
// with Reshape/Transpose, and embeds them.
func patchify(ctx *context.Context, in []*graph.Node) []*graph.Node {
	const p = 4
	img := in[0]
	b, h, w, c := img.Shape().Dim(0), img.Shape().Dim(1), img.Shape().Dim(2), img.Shape().Dim(3)
	x := graph.Reshape(img, b, h/p, p, w/p, p, c)
	x = graph.TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	x = graph.Reshape(x, b, (h/p)*(w/p), p*p*c)
	x = layers.Dense(ctx.In("patch"), x, true, testDim)
	return []*graph.Node{graph.Tanh(x), graph.ReduceMean(x, 1)}
}

// decoderFull is decoderStep over a whole prefix with a causal mask: its
// output at position t must equal the t-th KV-cached step's output.
func decoderFull(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x := in[0]
	g := x.Graph()
	t, d := x.Shape().Dim(1), x.Shape().Dim(-1)
	row := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, t, t), 2)
	col := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, t, t), 3)
	mask := graph.Where(graph.GreaterOrEqual(row, col), graph.Scalar(g, dtypes.Float32, 0), graph.Scalar(g, dtypes.Float32, -1e9))
	h := layers.LayerNormalization(ctx.In("ln"), x, -1).Done()
	q := splitHeads(layers.Dense(ctx.In("q"), h, true, d), testHeads)
	k := splitHeads(layers.Dense(ctx.In("k"), h, true, d), testHeads)
	v := splitHeads(layers.Dense(ctx.In("v"), h, true, d), testHeads)
	o := mergeHeads(attend(q, k, v, mask))
	return []*graph.Node{graph.Add(x, layers.Dense(ctx.In("o"), o, true, d))}
}
