package seq

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/nn"
)

// DecoderStepDynamic decodes one position per row with a KV cache that
// grows: the inference graph exported to ONNX (models/export), where the
// cache's sequence axis is dynamic so a step costs O(cache length), not
// O(SeqLen). Rows may be at different steps of their sequences, so a
// server can run a continuous batch: a row leaves when it ends and a new
// one joins at the next step, its history starting at the current end of
// the cache.
//
// Inputs: token [batch] int32 (row b's token at its position pos[b]: BOS
// at 0), pos [batch] int32, start [batch] int32 (the cache index where
// row b's history begins: cached keys before it belong to no one or to
// rows that left, and are masked out), the cross keys/values of CrossKV,
// and per layer the past self-attention keys and values [batch, heads,
// past_len, headDim] (length 0 at the first step). Row b's own history is
// cache indices start[b] … past_len−1, so pos[b] = past_len − start[b]
// for a row that has run since it joined.
//
// Outputs: logits [batch, vocab] for the next token, and per layer the
// present keys and values [batch, heads, past_len+1, headDim]: the past
// with the new position appended (always visible to its row).
//
// A row with start 0 and pos = past_len is the plain cached step: its
// attention bias is all zeros, so it runs the same arithmetic as the
// unmasked one. It runs the same decoderLayer as Decode and DecoderStep;
// only the selfKV callback differs. On simplego each cache length
// compiles its own graph, so use DecoderStep there; this one is meant for
// tracing with dynamic axes.
func DecoderStepDynamic(ctx *context.Context, cfg Config, token, pos, start *Node, crossK, crossV, pastK, pastV []*Node) (logits *Node, presentK, presentV []*Node) {
	g := token.Graph()
	dtype := crossK[0].DType()
	batch := token.Shape().Dimensions[0]
	h := embedTokens(ctx, cfg, graph.InsertAxes(token, -1), graph.InsertAxes(pos, -1), dtype)
	presentK = make([]*Node, cfg.DecDepth)
	presentV = make([]*Node, cfg.DecDepth)
	var bias *Node // [batch, 1, 1, past_len+1], the same for every layer
	grow := func(i int, k, v *Node) (*Node, *Node, *Node) {
		presentK[i], presentV[i] = k, v
		// An empty past is only static when running (simplego cannot
		// concatenate an empty operand); traced, the axis is dynamic and
		// the concatenation is always written.
		if pastK[i].Shape().Dimensions[2] > 0 {
			presentK[i] = graph.Concatenate([]*Node{pastK[i], k}, 2)
			presentV[i] = graph.Concatenate([]*Node{pastV[i], v}, 2)
		}
		if bias == nil {
			n := presentK[i].Shape().Dimensions[2]
			cols := graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, 1, n), 3)
			visible := graph.GreaterOrEqual(cols, graph.Reshape(start, batch, 1, 1, 1))
			bias = graph.Where(visible, graph.Scalar(g, dtype, 0), graph.Scalar(g, dtype, nn.MaskValue))
		}
		return presentK[i], presentV[i], bias
	}
	for i := range cfg.DecDepth {
		h = decoderLayer(ctx, cfg, i, h, crossK[i], crossV[i], grow)
	}
	logits = graph.Reshape(outputHead(ctx, cfg, h), batch, cfg.VocabSize)
	return logits, presentK, presentV
}

// DecoderStepDynamicGraph is DecoderStepDynamic as a flat graph function,
// the form tracers and executors take: inputs [token, pos, start, cross
// k/v interleaved (k0, v0, k1, v1, ...), past k/v interleaved], outputs
// [logits, present k/v interleaved]. The context is used as given: a
// tracer passes ctx.Reuse(), so a variable missing from a checkpoint is an
// error rather than a freshly initialised weight.
func DecoderStepDynamicGraph(cfg Config) func(ctx *context.Context, in []*Node) []*Node {
	return func(ctx *context.Context, in []*Node) []*Node {
		n := 2 * cfg.DecDepth
		crossK, crossV := deinterleave(in[3 : 3+n])
		pastK, pastV := deinterleave(in[3+n : 3+2*n])
		logits, presK, presV := DecoderStepDynamic(ctx, cfg, in[0], in[1], in[2], crossK, crossV, pastK, pastV)
		return append([]*Node{logits}, interleave(presK, presV)...)
	}
}

// EncoderGraph is EncoderOutputs as a flat graph function: [images] →
// cross k/v interleaved.
func EncoderGraph(cfg Config) func(ctx *context.Context, in []*Node) []*Node {
	return func(ctx *context.Context, in []*Node) []*Node {
		return EncoderOutputs(ctx, cfg, in[0])
	}
}
