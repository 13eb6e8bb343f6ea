package runner

import (
	"fmt"
	"math"

	ort "github.com/yalue/onnxruntime_go"
)

// Cross holds the encoder's outputs for a batch: per decoder layer the
// cross-attention keys and values, interleaved [k0, v0, k1, v1, ...], each
// [batch, heads, patches, head_dim]. Close releases them.
type Cross struct {
	Batch  int
	values []ort.Value
}

// Float32s copies the tensors out, interleaved as above.
func (c *Cross) Float32s() ([][]float32, error) {
	out := make([][]float32, len(c.values))
	for i, v := range c.values {
		d, err := floats(v, "cross")
		if err != nil {
			return nil, err
		}
		out[i] = append([]float32(nil), d...)
	}
	return out, nil
}

// Close releases the tensors.
func (c *Cross) Close() {
	if c != nil {
		destroy(c.values)
		c.values = nil
	}
}

// CheckImages validates a batch of n preprocessed images, [n, size, size,
// channels] float32 row-major, as Encode and Generate take it.
func (r *Runner) CheckImages(images []float32, n int) error {
	in := r.Manifest.Input
	per := in.Size * in.Size * in.Channels
	if n < 1 {
		return badInput("images", "batch of %d, want ≥ 1", n)
	}
	if len(images) != n*per {
		return badInput("images", "%d values for %d images of %dx%dx%d", len(images), n, in.Size, in.Size, in.Channels)
	}
	for i, v := range images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return badInput("images", "image %d has a non-finite value (element %d)", i/per, i%per)
		}
	}
	return nil
}

// Encode runs the encoder on n preprocessed images (see CheckImages).
func (r *Runner) Encode(images []float32, n int) (*Cross, error) {
	if err := r.CheckImages(images, n); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	r.bindMu.RLock()
	defer r.bindMu.RUnlock()
	return r.encode(images, n)
}

func (r *Runner) encode(images []float32, n int) (*Cross, error) {
	in := r.Manifest.Input
	x, err := ort.NewTensor(ort.NewShape(int64(n), int64(in.Size), int64(in.Size), int64(in.Channels)), images)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", engine("image tensor", err))
	}
	defer x.Destroy()
	out, err := r.enc.run([]ort.Value{x})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return &Cross{Batch: n, values: out}, nil
}
