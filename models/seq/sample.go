package seq

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/nn"
)

// Gumbel turns uniform noise in [0, 1) into standard Gumbel noise,
// −log(−log u), with u clamped away from 0 and 1 so it stays finite.
func Gumbel(u *Node) *Node {
	u = graph.ClipScalar(u, 1e-20, 1-1e-7)
	return graph.Neg(graph.Log(graph.Neg(graph.Log(u))))
}

// Sample draws one token per row of logits [batch, vocab] and returns it
// (int32 [batch]) with its log-probability [batch].
//
// The distribution is softmax(logits/temperature + mask): mask is an
// additive logit mask broadcastable to [batch, vocab] (nil for none) that
// shuts out tokens the grammar forbids. With uniform noise [batch, vocab]
// and temperature > 0 the token is argmax(logits/T + mask + Gumbel(u)),
// an exact sample (Gumbel-max trick). With uniform nil or temperature ≤ 0
// it is the greedy argmax of logits + mask; the log-probability is then
// taken at temperature 1. temperature is a scalar node, so one compiled
// graph serves every temperature. The noise comes from the caller, so the
// graph is deterministic and the same graph runs in ONNX Runtime.
func Sample(logits, mask, uniform, temperature *Node) (tokens, logProbs *Node) {
	g := logits.Graph()
	dtype := logits.DType()
	hot := graph.GreaterThan(temperature, graph.ScalarZero(g, temperature.DType()))
	t := graph.ConvertDType(temperature, dtype)
	invT := graph.Where(hot, graph.Reciprocal(graph.Where(hot, t, graph.ScalarOne(g, dtype))), graph.ScalarOne(g, dtype))
	scaled := graph.Mul(logits, invT)
	if mask != nil {
		scaled = graph.Add(scaled, mask)
	}
	score := scaled
	if uniform != nil {
		noise := graph.Mul(Gumbel(uniform), graph.ConvertDType(hot, dtype))
		score = graph.Add(score, noise)
	}
	tokens = graph.ArgMax(score, -1, dtypes.Int32)
	vocab := logits.Shape().Dimensions[1]
	logProbs = graph.ReduceSum(graph.Mul(nn.LogSoftmax(scaled), graph.OneHot(tokens, vocab, dtype)), -1)
	return tokens, logProbs
}

// SampleStep is the sampling decoder step, the graph ONNX Runtime runs to
// draw rollouts: DecoderStep, then Sample with row pos of maskTable
// [SeqLen, vocab] (nil for none) — the grammar of the position being
// generated, pos+1 in the sequence. Returns the next token, its
// log-probability, the logits and the present keys and values.
func SampleStep(ctx *context.Context, cfg Config, token, pos *Node, crossK, crossV, pastK, pastV []*Node,
	maskTable, uniform, temperature *Node) (next, logProb, logits *Node, presentK, presentV []*Node) {
	logits, presentK, presentV = DecoderStep(ctx, cfg, token, pos, crossK, crossV, pastK, pastV)
	var mask *Node
	if maskTable != nil {
		// The token fed at pos predicts target pos: row pos of the mask.
		mask = graph.Gather(maskTable, graph.Reshape(pos, 1, 1))
	}
	next, logProb = Sample(logits, mask, uniform, temperature)
	return next, logProb, logits, presentK, presentV
}
