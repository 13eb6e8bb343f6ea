package colorize

import (
	"fmt"
	"math"
)

// sameSize checks two images can be compared pixel by pixel.
func sameSize(pred, ref *RGB) error {
	if err := pred.check(); err != nil {
		return fmt.Errorf("prediction: %w", err)
	}
	if err := ref.check(); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	if pred.Width != ref.Width || pred.Height != ref.Height {
		return fmt.Errorf("size mismatch: prediction %dx%d, reference %dx%d", pred.Width, pred.Height, ref.Width, ref.Height)
	}
	return nil
}

// PSNR is 10·log10(255² / MSE) in dB, MSE over every pixel and RGB channel
// on 0..255 values (skimage's peak_signal_noise_ratio with data_range 255).
// Identical images give +Inf.
func PSNR(pred, ref *RGB) (float64, error) {
	if err := sameSize(pred, ref); err != nil {
		return 0, err
	}
	var sse int64 // exact: at most 255²·3·MaxPixels < 2⁶³
	for i, p := range pred.Pix {
		d := int64(p) - int64(ref.Pix[i])
		sse += d * d
	}
	if sse == 0 {
		return math.Inf(1), nil
	}
	mse := float64(sse) / float64(len(pred.Pix))
	return 10 * math.Log10(255*255/mse), nil
}
