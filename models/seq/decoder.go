package seq

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/nn"
)

// selfKV decides, for one decoder layer, what its self-attention attends
// to: given the layer's new keys and values [batch, heads, t, headDim] it
// returns the keys, values and additive bias to use. Full decoding attends
// causally to the new ones; the cached step writes them into the cache.
type selfKV func(layer int, k, v *Node) (keys, values, bias *Node)

// decoderLayer is one pre-norm decoder block on h [batch, t, width]:
// causal self-attention, cross-attention to the memory (precomputed keys
// and values), MLP. Both Decode and DecoderStep run exactly this code.
func decoderLayer(ctx *context.Context, cfg Config, i int, h, crossK, crossV *Node, self selfKV) *Node {
	c := decoderLayerScope(ctx, i)
	hd := cfg.HeadDim()
	x := nn.LayerNorm(c.In("ln_self"), h)
	s := c.In("self")
	q := nn.HeadProjection(s.In("query"), x, cfg.Heads, hd)
	k := nn.HeadProjection(s.In("key"), x, cfg.Heads, hd)
	v := nn.HeadProjection(s.In("value"), x, cfg.Heads, hd)
	keys, values, bias := self(i, k, v)
	a := nn.MergeHeads(nn.Attend(c, q, keys, values, bias))
	h = graph.Add(h, nn.Dense(s.In("output"), a, cfg.Width, true))

	x = nn.LayerNorm(c.In("ln_cross"), h)
	x = nn.HeadProjection(c.In("cross").In("query"), x, cfg.Heads, hd)
	a = nn.MergeHeads(nn.Attend(c, x, crossK, crossV, nil))
	h = graph.Add(h, nn.Dense(c.In("cross").In("output"), a, cfg.Width, true))

	return graph.Add(h, nn.MLP(c.In("mlp"), nn.LayerNorm(c.In("ln_mlp"), h), cfg.MLPRatio*cfg.Width))
}

// embedTokens embeds tokens [batch, t] at positions [t] (shared by every
// row) or [batch, t] (a position per row: rows of a continuous batch are
// at different steps) → [batch, t, width].
func embedTokens(ctx *context.Context, cfg Config, tokens, positions *Node, dtype dtypes.DType) *Node {
	d := ctx.In("decoder")
	tok := nn.Embedding(d.In("token"), tokens, cfg.VocabSize, cfg.Width, dtype)
	pos := nn.Embedding(d.In("position"), positions, cfg.SeqLen, cfg.Width, dtype)
	if positions.Rank() == 1 {
		pos = graph.InsertAxes(pos, 0)
	}
	return graph.Add(tok, pos)
}

// outputHead maps decoder states [batch, t, width] to logits [batch, t, vocab].
func outputHead(ctx *context.Context, cfg Config, h *Node) *Node {
	d := ctx.In("decoder")
	h = nn.LayerNorm(d.In("ln_final"), h)
	if !cfg.TiedHead {
		return nn.Dense(d.In("head"), h, cfg.VocabSize, true)
	}
	dims := h.Shape().Dimensions
	table := nn.EmbeddingTable(d.In("token"), h.Graph(), h.DType(), cfg.VocabSize, cfg.Width)
	logits := nn.Dot(ctx, graph.Reshape(h, -1, cfg.Width), []int{1}, nil, table, []int{1}, nil)
	bias := d.In("head").WithInitializer(zeroInit).
		VariableWithShape("biases", shapes.Make(h.DType(), cfg.VocabSize)).ValueGraph(h.Graph())
	logits = graph.Add(logits, graph.InsertAxes(bias, 0))
	return graph.Reshape(logits, dims[0], dims[1], cfg.VocabSize)
}

func zeroInit(g *graph.Graph, shape shapes.Shape) *Node { return graph.Zeros(g, shape) }

// Decode is the teacher-forced decoder: input tokens [batch, t] (t ≤
// SeqLen; BOS first) and the cross keys/values of CrossKV → logits
// [batch, t, vocab], position i seeing tokens 0..i only.
func Decode(ctx *context.Context, cfg Config, tokens *Node, crossK, crossV []*Node) *Node {
	g := tokens.Graph()
	t := tokens.Shape().Dimensions[1]
	dtype := crossK[0].DType()
	h := embedTokens(ctx, cfg, tokens, graph.Iota(g, shapes.Make(dtypes.Int32, t), 0), dtype)
	causal := nn.CausalBias(g, dtype, t)
	full := func(_ int, k, v *Node) (*Node, *Node, *Node) { return k, v, causal }
	for i := range cfg.DecDepth {
		h = decoderLayer(ctx, cfg, i, h, crossK[i], crossV[i], full)
	}
	return outputHead(ctx, cfg, h)
}

// Forward runs the whole model on images and teacher-forced input tokens:
// logits [batch, t, vocab].
func Forward(ctx *context.Context, cfg Config, images, tokens *Node) *Node {
	keys, values := CrossKV(ctx, cfg, Encode(ctx, cfg, images))
	return Decode(ctx, cfg, tokens, keys, values)
}

// ForwardRepeated is Forward with n token rows per image: rows
// b·n … b·n+n−1 of tokens belong to image b. Each image is encoded once
// and its cross keys and values repeated, so REINFORCE's n samples per
// image cost one encoder pass, not n.
func ForwardRepeated(ctx *context.Context, cfg Config, images, tokens *Node, n int) *Node {
	keys, values := CrossKV(ctx, cfg, Encode(ctx, cfg, images))
	for i := range keys {
		keys[i], values[i] = repeatRows(keys[i], n), repeatRows(values[i], n)
	}
	return Decode(ctx, cfg, tokens, keys, values)
}

// repeatRows repeats each row of x (axis 0) n times in place:
// [a, b] → [a, a, b, b] for n = 2.
func repeatRows(x *Node, n int) *Node {
	if n <= 1 {
		return x
	}
	dims := x.Shape().Dimensions
	wide := append([]int{dims[0], n}, dims[1:]...)
	y := graph.BroadcastToDims(graph.InsertAxes(x, 1), wide...)
	return graph.Reshape(y, append([]int{dims[0] * n}, dims[1:]...)...)
}

// CacheShape is the shape of one layer's self-attention key (or value)
// cache: [batch, heads, SeqLen, headDim], float32. A function, not a
// method: Config is arch.Config, which must not depend on GoMLX.
func CacheShape(c Config, batch int) shapes.Shape {
	return shapes.Make(dtypes.Float32, batch, c.Heads, c.SeqLen, c.HeadDim())
}

// DecoderStep decodes one position with a KV cache.
//
// Inputs: token [batch] int32 (the token at position pos: BOS at 0), pos a
// scalar int32 in [0, SeqLen), the cross keys/values of CrossKV, and per
// layer the past self-attention keys and values [batch, heads, SeqLen,
// headDim] holding positions < pos (zeros elsewhere at first).
//
// Outputs: logits [batch, vocab] for the next token, and the present keys
// and values: the past with row pos overwritten. The cache has a fixed
// size and is written by a masked select rather than a dynamic update, so
// the graph has static shapes (simplego and a plain ONNX export need them);
// attention to rows > pos is masked out.
func DecoderStep(ctx *context.Context, cfg Config, token, pos *Node, crossK, crossV, pastK, pastV []*Node) (logits *Node, presentK, presentV []*Node) {
	g := token.Graph()
	dtype := crossK[0].DType()
	batch := token.Shape().Dimensions[0]
	h := embedTokens(ctx, cfg, graph.InsertAxes(token, -1), graph.Reshape(pos, 1), dtype)

	// Row pos of the cache, [1, 1, SeqLen, 1], and the rows it may see, [1, 1, 1, SeqLen].
	rows := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, cfg.SeqLen, 1), 2)
	write := graph.BroadcastToDims(graph.Equal(rows, pos), batch, cfg.Heads, cfg.SeqLen, cfg.HeadDim())
	cols := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, 1, cfg.SeqLen), 3)
	bias := graph.Where(graph.LessOrEqual(cols, pos), graph.Scalar(g, dtype, 0), graph.Scalar(g, dtype, nn.MaskValue))

	presentK = make([]*Node, cfg.DecDepth)
	presentV = make([]*Node, cfg.DecDepth)
	cached := func(i int, k, v *Node) (*Node, *Node, *Node) {
		full := []int{batch, cfg.Heads, cfg.SeqLen, cfg.HeadDim()}
		presentK[i] = graph.Where(write, graph.BroadcastToDims(k, full...), pastK[i])
		presentV[i] = graph.Where(write, graph.BroadcastToDims(v, full...), pastV[i])
		return presentK[i], presentV[i], bias
	}
	for i := range cfg.DecDepth {
		h = decoderLayer(ctx, cfg, i, h, crossK[i], crossV[i], cached)
	}
	logits = graph.Reshape(outputHead(ctx, cfg, h), batch, cfg.VocabSize)
	return logits, presentK, presentV
}
