package seq

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Batch is one training batch. Tokens follow codec.TeacherForcing.
type Batch struct {
	Images  *tensors.Tensor // [batch, size, size, channels] float32
	Inputs  *tensors.Tensor // [batch, t] int32, BOS first
	Targets *tensors.Tensor // [batch, t] int32
	Weights *tensors.Tensor // [batch, t] float32, 1 for real tokens (EOS included)
	// Advantages [batch] float32 (reward − baseline) makes the step a
	// REINFORCE step on sampled Targets; nil makes it an MLE step.
	Advantages *tensors.Tensor
	// Mask is the grammar mask [SeqLen·vocab] row-major the samples were
	// drawn under, nil for none; log-probabilities are taken under it.
	Mask []float32
}

// TrainStep runs one Adam step on the batch and returns the loss before
// the update: the token cross-entropy (MLE) or the REINFORCE surrogate.
func (m *Model) TrainStep(b Batch) (float32, error) {
	if _, err := m.checkBatch(b.Images, b.Inputs, b.Targets, b.Weights, b.Advantages); err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	if b.Weights == nil {
		return 0, fmt.Errorf("train step: weights: missing")
	}
	mask, err := m.maskTensor(b.Mask)
	if err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	opt := optimizers.Adam().LearningRate(m.lr).Done()
	var out []*tensors.Tensor
	if b.Advantages == nil {
		e, err := m.exec(&m.mleExec, func(ctx *context.Context, in []*Node) []*Node {
			logits := Forward(ctx, m.Cfg, in[0], in[1])
			loss := MLELoss(logits, in[2], in[3], maskRows(in[4], in[1]))
			opt.UpdateGraph(ctx, loss.Graph(), loss)
			return []*Node{loss}
		})
		if err != nil {
			return 0, err
		}
		out, err = run(e, "MLE train step", b.Images, b.Inputs, b.Targets, b.Weights, mask)
		if err != nil {
			return 0, err
		}
	} else {
		e, err := m.exec(&m.rlExec, func(ctx *context.Context, in []*Node) []*Node {
			logits := Forward(ctx, m.Cfg, in[0], in[1])
			loss := ReinforceLoss(logits, in[2], in[3], in[4], maskRows(in[5], in[1]))
			opt.UpdateGraph(ctx, loss.Graph(), loss)
			return []*Node{loss}
		})
		if err != nil {
			return 0, err
		}
		out, err = run(e, "REINFORCE train step", b.Images, b.Inputs, b.Targets, b.Weights, b.Advantages, mask)
		if err != nil {
			return 0, err
		}
	}
	return tensors.ToScalar[float32](out[0]), nil
}

// SetLearningRate changes Adam's learning rate for the following steps
// (schedules call it between steps).
func (m *Model) SetLearningRate(lr float64) error {
	if !(lr > 0) {
		return fmt.Errorf("learning rate %g: must be positive", lr)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lr = lr
	v := optimizers.LearningRateVar(m.ctx, dtypes.Float32, lr)
	if err := v.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return fmt.Errorf("set learning rate: %w", err)
	}
	return nil
}

// GlobalStep is the number of training steps taken (saved in checkpoints).
func (m *Model) GlobalStep() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return optimizers.GetGlobalStep(m.ctx)
}
