package runner

import (
	"fmt"
	"image"
	"math"

	"github.com/disintegration/imaging"

	"rewardvision/dataset/loader"
	"rewardvision/models/task"
)

// Letterbox places img into a size×size RGB buffer the way the training
// data path does (dataset/loader): scaled by loader.NewLetterbox's
// geometry with imaging's linear filter (no resampling when the size is
// already right), at the top-left corner, padded right and bottom with pad.
// TestLetterboxMatchesLoader pins it byte for byte to the loader's output.
func Letterbox(img image.Image, size int, pad [3]uint8) ([]uint8, loader.Letterbox) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	lb := loader.NewLetterbox(w, h, size)
	var src *image.NRGBA
	if lb.W == w && lb.H == h {
		src = imaging.Clone(img)
	} else {
		src = imaging.Resize(img, lb.W, lb.H, imaging.Linear)
	}
	pix := make([]uint8, 3*size*size)
	for i := range size * size {
		pix[3*i], pix[3*i+1], pix[3*i+2] = pad[0], pad[1], pad[2]
	}
	for y := range lb.H {
		row := src.Pix[y*src.Stride:]
		out := pix[3*y*size:]
		for x := range lb.W {
			copy(out[3*x:3*x+3], row[4*x:4*x+3])
		}
	}
	return pix, lb
}

// PadColor is the 8-bit letterbox padding of an input spec (Pad is 0..1).
func PadColor(in task.Input) [3]uint8 {
	v := uint8(math.Round(float64(min(max(in.Pad, 0), 1)) * 255))
	return [3]uint8{v, v, v}
}

// Normalize turns letterboxed RGB bytes into the model input:
// (v/255 − mean[c]) / std[c], appended to dst.
func Normalize(dst []float32, pix []uint8, in task.Input) []float32 {
	for i, v := range pix {
		c := i % 3
		dst = append(dst, (float32(v)/255-in.Mean[c])/in.Std[c])
	}
	return dst
}

// Prepared is one image ready for the model.
type Prepared struct {
	Pixels    []float32 // size·size·3, normalised
	Letterbox loader.Letterbox
}

// Preprocess letterboxes and normalises images as model.json says.
func (r *Runner) Preprocess(imgs []image.Image) ([]Prepared, error) {
	in := r.Manifest.Input
	if in.Channels != 3 {
		return nil, fmt.Errorf("preprocess: %d input channels, only RGB (3) is supported", in.Channels)
	}
	out := make([]Prepared, len(imgs))
	for i, img := range imgs {
		if img == nil {
			return nil, fmt.Errorf("preprocess: image %d is nil", i)
		}
		b := img.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 {
			return nil, fmt.Errorf("preprocess: image %d is empty (%dx%d)", i, b.Dx(), b.Dy())
		}
		pix, lb := Letterbox(img, in.Size, PadColor(in))
		out[i] = Prepared{Pixels: Normalize(make([]float32, 0, len(pix)), pix, in), Letterbox: lb}
	}
	return out, nil
}
