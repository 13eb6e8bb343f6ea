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

// Encoding is one group's images run through the encoder ahead of its
// join (Batch.AddEncoded): the cross-attention keys and values of its
// rows, in Go memory. A server encodes arrivals on one
// inference slot while the decoder steps of the running batch take
// another, so the encoder (most of captioning's work) and the decoder
// run at once.
type Encoding struct {
	r     *Runner // whose encoder made it
	n     int
	cross [][]float32 // per decoder layer, k/v interleaved as in Cross: n rows each
}

// Len is the number of images encoded (0 for nil).
func (e *Encoding) Len() int {
	if e == nil {
		return 0
	}
	return e.n
}

// EncodeGroups runs the encoder once over the images of several groups,
// images[g] holding sizes[g] preprocessed images (see CheckImages), and
// returns each group's Encoding. It may run while a Batch of the runner
// steps.
func (r *Runner) EncodeGroups(images [][]float32, sizes []int) ([]*Encoding, error) {
	if len(sizes) == 0 || len(images) != len(sizes) {
		return nil, fmt.Errorf("encode: %w", badInput("images", "%d groups of images for %d sizes, want as many and ≥ 1", len(images), len(sizes)))
	}
	for g, k := range sizes {
		if err := r.CheckImages(images[g], k); err != nil {
			return nil, fmt.Errorf("encode: group %d: %w", g, err)
		}
	}
	r.bindMu.RLock()
	defer r.bindMu.RUnlock()
	return r.encodeGroups(images, sizes)
}

// encodeGroups is EncodeGroups for checked input; the caller holds bindMu
// for reading. ONNX Runtime writes the outputs into Go buffers, one per
// decoder layer's k or v, and each group's Encoding is a view of its rows
// (no copy: the buffers live as long as a view does).
func (r *Runner) encodeGroups(images [][]float32, sizes []int) ([]*Encoding, error) {
	n := 0
	for _, k := range sizes {
		n += k
	}
	pixels := images[0] // one group: no copy
	if len(images) > 1 {
		pixels = make([]float32, 0, n*len(images[0])/sizes[0])
		for _, im := range images {
			pixels = append(pixels, im...)
		}
	}
	in := r.Manifest.Input
	x, err := ort.NewTensor(ort.NewShape(int64(n), int64(in.Size), int64(in.Size), int64(in.Channels)), pixels)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", engine("image tensor", err))
	}
	defer x.Destroy()
	cfg := r.Manifest.Architecture
	row := cfg.Heads * cfg.NumPatches() * cfg.HeadDim()
	bufs := make([][]float32, 2*cfg.DecDepth)
	var outs []ort.Value
	defer func() { destroy(outs) }()
	for i := range bufs {
		bufs[i] = make([]float32, n*row)
		if outs, err = appendView(outs, ort.NewShape(int64(n), int64(cfg.Heads), int64(cfg.NumPatches()), int64(cfg.HeadDim())), bufs[i]); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	if err := r.enc.runInto([]ort.Value{x}, outs); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	out := make([]*Encoding, len(sizes))
	off := 0
	for g, k := range sizes {
		e := &Encoding{r: r, n: k, cross: make([][]float32, len(bufs))}
		for i, b := range bufs {
			e.cross[i] = b[off*row : (off+k)*row : (off+k)*row]
		}
		out[g] = e
		off += k
	}
	return out, nil
}
