package seq

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// DecoderStepDynamic decodes one position with a KV cache that grows: the
// inference graph exported to ONNX (models/export), where the cache's
// sequence axis is dynamic so step t costs O(t), not O(SeqLen).
//
// Inputs: token [batch] int32 (the token at position pos: BOS at 0), pos a
// scalar int32 (the number of cached positions, = past length), the cross
// keys/values of CrossKV, and per layer the past self-attention keys and
// values [batch, heads, pos, headDim] (length 0 at the first step).
//
// Outputs: logits [batch, vocab] for the next token, and per layer the
// present keys and values [batch, heads, pos+1, headDim]: the past with the
// new position appended.
//
// It runs the same decoderLayer as Decode and DecoderStep; only the selfKV
// callback differs: it concatenates instead of masking, and needs no
// attention bias since every cached position is visible. On simplego each
// cache length compiles its own graph, so use DecoderStep there; this one
// is meant for tracing with a dynamic axis.
func DecoderStepDynamic(ctx *context.Context, cfg Config, token, pos *Node, crossK, crossV, pastK, pastV []*Node) (logits *Node, presentK, presentV []*Node) {
	dtype := crossK[0].DType()
	batch := token.Shape().Dimensions[0]
	h := embedTokens(ctx, cfg, graph.InsertAxes(token, -1), graph.Reshape(pos, 1), dtype)
	presentK = make([]*Node, cfg.DecDepth)
	presentV = make([]*Node, cfg.DecDepth)
	grow := func(i int, k, v *Node) (*Node, *Node, *Node) {
		presentK[i], presentV[i] = k, v
		// An empty past is only static when running (simplego cannot
		// concatenate an empty operand); traced, the axis is dynamic and
		// the concatenation is always written.
		if pastK[i].Shape().Dimensions[2] > 0 {
			presentK[i] = graph.Concatenate([]*Node{pastK[i], k}, 2)
			presentV[i] = graph.Concatenate([]*Node{pastV[i], v}, 2)
		}
		return presentK[i], presentV[i], nil
	}
	for i := range cfg.DecDepth {
		h = decoderLayer(ctx, cfg, i, h, crossK[i], crossV[i], grow)
	}
	logits = graph.Reshape(outputHead(ctx, cfg, h), batch, cfg.VocabSize)
	return logits, presentK, presentV
}

// DecoderStepDynamicGraph is DecoderStepDynamic as a flat graph function,
// the form tracers and executors take: inputs [token, pos, cross k/v
// interleaved (k0, v0, k1, v1, ...), past k/v interleaved], outputs
// [logits, present k/v interleaved]. The context is used as given: a
// tracer passes ctx.Reuse(), so a variable missing from a checkpoint is an
// error rather than a freshly initialised weight.
func DecoderStepDynamicGraph(cfg Config) func(ctx *context.Context, in []*Node) []*Node {
	return func(ctx *context.Context, in []*Node) []*Node {
		n := 2 * cfg.DecDepth
		crossK, crossV := deinterleave(in[2 : 2+n])
		pastK, pastV := deinterleave(in[2+n : 2+2*n])
		logits, presK, presV := DecoderStepDynamic(ctx, cfg, in[0], in[1], crossK, crossV, pastK, pastV)
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
