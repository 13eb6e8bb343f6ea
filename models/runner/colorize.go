package runner

import (
	"fmt"
	"image"

	"github.com/disintegration/imaging"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/dataset/loader"
	"rewardvision/models/codec"
)

// DecodeCodes runs the code decoder on n images' codes (each Grid² codes,
// not tokens) and returns each image's chroma plane, size·size·2 values
// (see codec.Chroma.Decode, which computes the same in Go).
func (r *Runner) DecodeCodes(codes [][]int32) ([][]float32, error) {
	if r.code == nil || r.chroma == nil {
		return nil, fmt.Errorf("decode codes: model %s has no code decoder", r.Manifest.Name)
	}
	n, per := len(codes), r.chroma.Grid()*r.chroma.Grid()
	if n == 0 {
		return nil, nil
	}
	x, err := codesTensor(codes, per, r.chroma.K())
	if err != nil {
		return nil, fmt.Errorf("decode codes: %w", err)
	}
	defer x.Destroy()
	r.bindMu.RLock()
	out, err := r.code.run([]ort.Value{x})
	r.bindMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("decode codes: %w", err)
	}
	defer destroy(out)
	data, err := floats(out[0], "chroma")
	if err != nil {
		return nil, err
	}
	size := r.chroma.Size * r.chroma.Size * 2
	if len(data) != n*size {
		return nil, fmt.Errorf("decode codes: %d chroma values for %d images of %d", len(data), n, size)
	}
	planes := make([][]float32, n)
	for i := range planes {
		planes[i] = append([]float32(nil), data[i*size:(i+1)*size]...)
	}
	return planes, nil
}

// colorize puts each prediction's chroma plane onto its source image's
// luminance at the source resolution (Colorize), filling Colorized.
func (r *Runner) colorize(imgs []image.Image, preds []Prediction, prep []Prepared) error {
	codes := make([][]int32, len(preds))
	for i, p := range preds {
		codes[i] = p.Codes
	}
	planes, err := r.DecodeCodes(codes)
	if err != nil {
		return err
	}
	for i, img := range imgs {
		if preds[i].Colorized, err = r.Colorize(img, planes[i], prep[i].Letterbox); err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
	}
	return nil
}

// Colorize puts one chroma plane (DecodeCodes) onto img's luminance at
// img's resolution (codec.Colorize); lb is img's letterbox (Preprocess),
// which says where img lies in the plane. The colours are read straight
// (alpha is dropped), as the model input reads them (loader.LetterboxImage);
// the result is opaque.
func (r *Runner) Colorize(img image.Image, plane []float32, lb loader.Letterbox) (*image.RGBA, error) {
	if r.chroma == nil {
		return nil, fmt.Errorf("colorize: model %s is not a colorization model", r.Manifest.Name)
	}
	src := imaging.Clone(img) // straight (non-premultiplied) RGBA from 0,0
	w, h := src.Rect.Dx(), src.Rect.Dy()
	rgb := make([]uint8, 0, 3*w*h)
	for y := range h {
		row := src.Pix[y*src.Stride:]
		for x := range w {
			rgb = append(rgb, row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	out, err := codec.Colorize(rgb, w, h, plane, r.chroma.Size, lb.W, lb.H)
	if err != nil {
		return nil, err
	}
	res := image.NewRGBA(image.Rect(0, 0, w, h))
	for j := range w * h {
		copy(res.Pix[4*j:4*j+3], out[3*j:3*j+3])
		res.Pix[4*j+3] = 255
	}
	return res, nil
}

// codesTensor checks n images' code grids (per codes each, every code in
// 0..k−1) and packs them into the code decoder's [n, per] int32 input.
func codesTensor(codes [][]int32, per, k int) (*ort.Tensor[int32], error) {
	flat := make([]int32, 0, len(codes)*per)
	for i, c := range codes {
		if len(c) != per {
			return nil, badInput("codes", "image %d has %d codes, want %d", i, len(c), per)
		}
		for j, v := range c {
			if v < 0 || int(v) >= k {
				return nil, badInput("codes", "image %d: code %d at position %d, want 0..%d", i, v, j, k-1)
			}
		}
		flat = append(flat, c...)
	}
	x, err := ort.NewTensor(ort.NewShape(int64(len(codes)), int64(per)), flat)
	if err != nil {
		return nil, engine("codes tensor", err)
	}
	return x, nil
}
