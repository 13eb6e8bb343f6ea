package runner

import (
	"fmt"
	"image"
	"math"

	"rewardvision/dataset/loader"
	"rewardvision/models/task"
)

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
		pix, lb := loader.LetterboxImage(img, in.Size, PadColor(in))
		out[i] = Prepared{Pixels: Normalize(make([]float32, 0, len(pix)), pix, in), Letterbox: lb}
	}
	return out, nil
}
