package train

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"rewardvision/models/seq"
)

// stepper is a compiled training step (MLE or REINFORCE): loss, gradients clipped to a global
// norm, AdamW update. seq.Model.TrainStep has neither clipping nor weight
// decay, so the loop builds its own graph on the model's variables.
type stepper struct {
	m    *seq.Model
	exec *context.Exec
	mask *tensors.Tensor
}

func newStepper(m *seq.Model, weightDecay, clip float64, mask []float32) (*stepper, error) {
	cfg := m.Cfg
	return compileStep(m, weightDecay, clip, mask, func(ctx *context.Context, in []*graph.Node, mask *graph.Node) (*graph.Node, []*graph.Node) {
		logits := seq.Forward(ctx, cfg, in[0], in[1])
		return seq.MLELoss(logits, in[2], in[3], mask), nil
	})
}

// lossGraph builds a step's loss from the step's inputs (images first)
// and the grammar mask; extra nodes are returned after the loss and norm.
type lossGraph func(ctx *context.Context, in []*graph.Node, mask *graph.Node) (loss *graph.Node, extra []*graph.Node)

// compileStep compiles loss → gradients clipped to a global norm → AdamW
// update, on the model's variables. The exec takes the step's inputs
// followed by the mask and returns loss, norm and the extra nodes.
func compileStep(m *seq.Model, weightDecay, clip float64, mask []float32, lossFn lossGraph) (*stepper, error) {
	cfg := m.Cfg
	if len(mask) != cfg.SeqLen*cfg.VocabSize {
		return nil, fmt.Errorf("grammar mask has %d values, want %d×%d", len(mask), cfg.SeqLen, cfg.VocabSize)
	}
	// The learning rate is left to Adam's learning-rate variable, which the
	// loop sets before each step: a schedule without recompiling.
	opt, ok := optimizers.Adam().WeightDecay(weightDecay).Done().(gradientOptimizer)
	if !ok {
		return nil, fmt.Errorf("GoMLX's Adam cannot take precomputed gradients (needed for clipping)")
	}
	exec, err := context.NewExec(m.Backend(), m.Context(), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		ctx = ctx.Checked(false)
		loss, extra := lossFn(ctx, in[:len(in)-1], in[len(in)-1])
		grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
		norm := globalNorm(grads)
		if clip > 0 {
			c := graph.Scalar(loss.Graph(), loss.DType(), clip)
			scale := graph.Div(c, graph.Max(norm, c))
			for i := range grads {
				grads[i] = graph.Mul(grads[i], scale)
			}
		}
		opt.UpdateGraphWithGradients(ctx, grads, loss.DType())
		return append([]*graph.Node{loss, norm}, extra...)
	})
	if err != nil {
		return nil, fmt.Errorf("compile train step: %w", err)
	}
	return &stepper{m: m, exec: exec,
		mask: tensors.FromFlatDataAndDimensions(append([]float32(nil), mask...), cfg.SeqLen, cfg.VocabSize)}, nil
}

// gradientOptimizer is an optimizer that applies given gradients (GoMLX's
// Adam does; its Interface only promises UpdateGraph from a loss).
type gradientOptimizer interface {
	UpdateGraphWithGradients(ctx *context.Context, grads []*graph.Node, lossDType dtypes.DType)
}

// globalNorm is sqrt(Σ‖g‖²) over all gradients.
func globalNorm(grads []*graph.Node) *graph.Node {
	var sum *graph.Node
	for _, g := range grads {
		s := graph.ReduceAllSum(graph.Square(g))
		if sum == nil {
			sum = s
		} else {
			sum = graph.Add(sum, s)
		}
	}
	return graph.Sqrt(sum)
}

// setLR sets Adam's learning-rate variable for the next step.
func (s *stepper) setLR(lr float64) error {
	v := optimizers.LearningRateVar(s.m.Context(), dtypes.Float32, lr)
	if err := v.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return fmt.Errorf("set learning rate: %w", err)
	}
	return nil
}

// run takes one step on a batch and returns the loss before the update
// and the gradient norm before clipping.
func (s *stepper) run(b *batch) (loss, norm float32, err error) {
	out, err := s.exec.Exec(b.images, b.inputs, b.targets, b.weights, s.mask)
	if err != nil {
		return 0, 0, fmt.Errorf("train step: %w", err)
	}
	return tensors.ToScalar[float32](out[0]), tensors.ToScalar[float32](out[1]), nil
}

func (s *stepper) close() { s.exec.Finalize() }
