package seq

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// checkImages validates an image batch [batch, size, size, channels]
// float32 and its values (a NaN or Inf pixel would poison every output).
func (m *Model) checkImages(images *tensors.Tensor) error {
	if images == nil {
		return fmt.Errorf("images: missing")
	}
	s := images.Shape()
	c := m.Cfg
	if s.DType != dtypes.Float32 || s.Rank() != 4 || s.Dimensions[0] < 1 ||
		s.Dimensions[1] != c.ImageSize || s.Dimensions[2] != c.ImageSize || s.Dimensions[3] != c.Channels {
		return fmt.Errorf("images: shape %s, want (Float32)[batch %d %d %d]", s, c.ImageSize, c.ImageSize, c.Channels)
	}
	var bad = -1
	tensors.MustConstFlatData(images, func(flat []float32) {
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad = i
				return
			}
		}
	})
	if bad >= 0 {
		per := c.ImageSize * c.ImageSize * c.Channels
		return fmt.Errorf("images: image %d has a non-finite value (element %d)", bad/per, bad%per)
	}
	return nil
}

// checkTokens validates a token tensor [batch, t] int32, t ≤ SeqLen, with
// every token in [0, vocab): Gather does not check indices.
func (m *Model) checkTokens(what string, tokens *tensors.Tensor, batch int) error {
	if tokens == nil {
		return fmt.Errorf("%s: missing", what)
	}
	s := tokens.Shape()
	if s.DType != dtypes.Int32 || s.Rank() != 2 || s.Dimensions[0] != batch || s.Dimensions[1] < 1 || s.Dimensions[1] > m.Cfg.SeqLen {
		return fmt.Errorf("%s: shape %s, want (Int32)[%d t] with 1 ≤ t ≤ %d", what, s, batch, m.Cfg.SeqLen)
	}
	var err error
	tensors.MustConstFlatData(tokens, func(flat []int32) {
		for i, t := range flat {
			if t < 0 || int(t) >= m.Cfg.VocabSize {
				err = fmt.Errorf("%s: sequence %d position %d: token %d outside [0, %d)", what, i/s.Dimensions[1], i%s.Dimensions[1], t, m.Cfg.VocabSize)
				return
			}
		}
	})
	return err
}

// checkFloats validates a float32 tensor of the given dimensions with
// finite values.
func checkFloats(what string, t *tensors.Tensor, dims ...int) error {
	if t == nil {
		return fmt.Errorf("%s: missing", what)
	}
	s := t.Shape()
	ok := s.DType == dtypes.Float32 && s.Rank() == len(dims)
	for i := 0; ok && i < len(dims); i++ {
		ok = s.Dimensions[i] == dims[i]
	}
	if !ok {
		return fmt.Errorf("%s: shape %s, want (Float32)%v", what, s, dims)
	}
	var err error
	tensors.MustConstFlatData(t, func(flat []float32) {
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				err = fmt.Errorf("%s: element %d is %g", what, i, v)
				return
			}
		}
	})
	return err
}

// checkBatch validates a training batch; weights and advantages may be nil
// when not needed. It returns the batch size.
func (m *Model) checkBatch(images, inputs, targets, weights, advantages *tensors.Tensor) (int, error) {
	if err := m.checkImages(images); err != nil {
		return 0, err
	}
	b := images.Shape().Dimensions[0]
	if err := m.checkTokens("inputs", inputs, b); err != nil {
		return 0, err
	}
	if err := m.checkTokens("targets", targets, b); err != nil {
		return 0, err
	}
	t := inputs.Shape().Dimensions[1]
	if targets.Shape().Dimensions[1] != t {
		return 0, fmt.Errorf("targets: length %d, inputs %d", targets.Shape().Dimensions[1], t)
	}
	if weights != nil {
		if err := checkFloats("weights", weights, b, t); err != nil {
			return 0, err
		}
	}
	if advantages != nil {
		if err := checkFloats("advantages", advantages, b); err != nil {
			return 0, err
		}
	}
	return b, nil
}
