package runner

import (
	"fmt"
	"image"

	"rewardvision/dataset/loader"
)

// Prepared is one image ready for the model.
type Prepared struct {
	Pixels    []float32 // size·size·3, normalised
	RGB       []uint8   // size·size·3, the letterboxed bytes (the panoptic code decoder reads them)
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
			return nil, fmt.Errorf("preprocess: %w", badInput("image", "image %d is nil", i))
		}
		b := img.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 {
			return nil, fmt.Errorf("preprocess: %w", badInput("image", "image %d is empty (%dx%d)", i, b.Dx(), b.Dy()))
		}
		pix, lb := loader.LetterboxImage(img, in.Size, in.PadColor())
		out[i] = Prepared{Pixels: in.Normalize(make([]float32, 0, len(pix)), pix), RGB: pix, Letterbox: lb}
	}
	return out, nil
}
