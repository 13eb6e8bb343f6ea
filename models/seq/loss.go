package seq

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"rewardvision/models/nn"
)

// TokenLogProbs returns log p(target | prefix) [batch, t] from logits
// [batch, t, vocab] and targets [batch, t] int32. mask, if not nil, is an
// additive logit mask [t, vocab] (a codec's grammar mask): the
// probabilities are then those of the constrained distribution, the one
// sampling draws from.
func TokenLogProbs(logits, targets, mask *Node) *Node {
	if mask != nil {
		logits = graph.Add(logits, graph.InsertAxes(mask, 0))
	}
	vocab := logits.Shape().Dimensions[2]
	oneHot := graph.OneHot(targets, vocab, logits.DType())
	return graph.ReduceSum(graph.Mul(nn.LogSoftmax(logits), oneHot), -1)
}

// MLELoss is the token cross-entropy of Algorithm 1 (maximum likelihood):
// −Σ weight·log p(target) / Σ weight, with weights [batch, t] (1 for real
// tokens, EOS included, 0 for padding; see codec.TeacherForcing).
func MLELoss(logits, targets, weights, mask *Node) *Node {
	lp := TokenLogProbs(logits, targets, mask)
	total := graph.ReduceAllSum(graph.Mul(lp, weights))
	// max(Σw, 1): an all-padding batch gives loss 0, not NaN.
	n := graph.Max(graph.ReduceAllSum(weights), graph.ScalarOne(weights.Graph(), weights.DType()))
	return graph.Neg(graph.Div(total, n))
}

// SequenceLogProbs is Σ_t weight·log p(target_t) per sequence [batch]:
// the log-probability of each sample (weights mark its tokens up to and
// including its EOS) under the grammar mask.
func SequenceLogProbs(logits, targets, weights, mask *Node) *Node {
	return graph.ReduceSum(graph.Mul(TokenLogProbs(logits, targets, mask), weights), 1)
}

// ReinforceLoss is the policy-gradient surrogate of Algorithm 2: its
// gradient is −mean over the batch of advantage·∇log p(sample), with
// advantages [batch] = reward − baseline (e.g. the leave-one-out mean of the
// other samples of the same image) and weights [batch, t] marking each
// sample's tokens up to and including its EOS.
func ReinforceLoss(logits, targets, weights, advantages, mask *Node) *Node {
	return PolicyLoss(SequenceLogProbs(logits, targets, weights, mask), advantages)
}

// PolicyLoss is ReinforceLoss from the sequences' log-probabilities.
func PolicyLoss(seqLogProbs, advantages *Node) *Node {
	adv := graph.StopGradient(advantages)
	return graph.Neg(graph.ReduceAllMean(graph.Mul(adv, seqLogProbs)))
}
