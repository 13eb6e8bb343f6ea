package runner

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/dataset/loader"
	"rewardvision/models/codec"
)

// PanopticMap is a decoded panoptic prediction at the source resolution:
// the COCO panoptic id map (row-major, segment id per pixel) and its
// segments_info.
type PanopticMap struct {
	Width, Height int
	IDs           []uint32
	Segments      []codec.PanopticSegment
}

// DecodeLabels runs the panoptic code decoder on n images' codes (Grid²
// each, not tokens) and their letterboxed RGB (Size²·3 bytes, Prepared.RGB)
// and returns each image's label per pixel (see codec.Panoptic.Decode,
// which computes the same in Go).
func (r *Runner) DecodeLabels(codes [][]int32, rgb [][]uint8) ([][]int16, error) {
	if r.code == nil || r.pan == nil {
		return nil, fmt.Errorf("decode labels: model %s is not a panoptic model", r.Manifest.Name)
	}
	p := r.pan
	n, per, side := len(codes), p.Grid()*p.Grid(), p.Size
	if n == 0 {
		return nil, nil
	}
	if len(rgb) != n {
		return nil, badInput("pixels", "%d images for %d code grids", len(rgb), n)
	}
	pix := make([]float32, 0, n*side*side*3)
	for i, img := range rgb {
		if len(img) != side*side*3 {
			return nil, badInput("pixels", "image %d has %d bytes, want %d²·3", i, len(img), side)
		}
		for _, v := range img {
			pix = append(pix, float32(v))
		}
	}
	x, err := codesTensor(codes, per, p.K())
	if err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	defer x.Destroy()
	y, err := ort.NewTensor(ort.NewShape(int64(n), int64(side), int64(side), 3), pix)
	if err != nil {
		return nil, fmt.Errorf("decode labels: %w", engine("pixels tensor", err))
	}
	defer y.Destroy()
	r.bindMu.RLock()
	out, err := r.code.run([]ort.Value{x, y})
	r.bindMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	defer destroy(out)
	t, ok := out[0].(*ort.Tensor[int32])
	if !ok {
		return nil, fmt.Errorf("decode labels: got %T, want an int32 tensor", out[0])
	}
	data := t.GetData()
	if len(data) != n*side*side {
		return nil, fmt.Errorf("decode labels: %d labels for %d images of %d²", len(data), n, side)
	}
	labels := make([][]int16, n)
	for i := range labels {
		labels[i] = make([]int16, side*side)
		for j, l := range data[i*side*side : (i+1)*side*side] {
			if l < 0 || int(l) >= p.Labels() {
				return nil, fmt.Errorf("decode labels: image %d: label %d outside 0..%d", i, l, p.Labels()-1)
			}
			labels[i][j] = int16(l)
		}
	}
	return labels, nil
}

// segment decodes each prediction's codes into its panoptic map at the
// source resolution, filling Panoptic.
func (r *Runner) segment(preds []Prediction, prep []Prepared) error {
	codes := make([][]int32, len(preds))
	rgb := make([][]uint8, len(preds))
	for i, p := range preds {
		codes[i], rgb[i] = p.Codes, prep[i].RGB
	}
	labels, err := r.DecodeLabels(codes, rgb)
	if err != nil {
		return err
	}
	for i := range preds {
		if preds[i].Panoptic, err = r.PanopticMap(labels[i], prep[i].Letterbox); err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
	}
	return nil
}

// PanopticMap turns a Size² label map (DecodeLabels) into the panoptic map
// of the source image: the letterboxed content upsampled by nearest
// neighbour (segment ids must not blend), one segment per label.
func (r *Runner) PanopticMap(labels []int16, lb loader.Letterbox) (*PanopticMap, error) {
	if r.pan == nil {
		return nil, fmt.Errorf("panoptic map: model %s is not a panoptic model", r.Manifest.Name)
	}
	w, h := lb.SrcW, lb.SrcH
	up, err := codec.UpsampleLabels(labels, r.pan.Size, lb.W, lb.H, w, h)
	if err != nil {
		return nil, err
	}
	ids, segs, err := r.pan.Segments(up, w, h)
	if err != nil {
		return nil, err
	}
	return &PanopticMap{Width: w, Height: h, IDs: ids, Segments: segs}, nil
}

// Panoptic returns the panoptic code (nil for other tasks).
func (r *Runner) Panoptic() *codec.Panoptic { return r.pan }
