package colorize

import (
	"fmt"
	"math"
)

// SSIM parameters: Wang et al. 2004 as TensorFlow's tf.image.ssim and
// skimage's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=255) compute it.
const (
	ssimWindow = 11  // Gaussian window side
	ssimSigma  = 1.5 // its standard deviation
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimL      = 255.0 // data range
)

// ssimKernel is the normalised 1-D Gaussian; the 2-D window is its outer
// product.
var ssimKernel = func() [ssimWindow]float64 {
	var k [ssimWindow]float64
	sum := 0.0
	for i := range k {
		x := float64(i - ssimWindow/2)
		k[i] = math.Exp(-x * x / (2 * ssimSigma * ssimSigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}()

// SSIM is the structural similarity of pred to ref: per RGB channel, the
// mean of the SSIM map over every full 11×11 window (no padding, like
// tf.image.ssim's VALID filter and skimage's border crop), averaged over
// the three channels. Local statistics use the Gaussian window (σ = 1.5)
// with population (not sample) covariance; C1 = (0.01·255)², C2 =
// (0.03·255)². Identical images give 1. Both sides must be at least 11
// pixels.
func SSIM(pred, ref *RGB) (float64, error) {
	if err := sameSize(pred, ref); err != nil {
		return 0, err
	}
	if pred.Width < ssimWindow || pred.Height < ssimWindow {
		return 0, fmt.Errorf("SSIM needs at least %dx%d pixels, got %dx%d", ssimWindow, ssimWindow, pred.Width, pred.Height)
	}
	n := pred.Width * pred.Height
	x, y := make([]float64, n), make([]float64, n)
	total := 0.0
	for c := range 3 {
		for i := range n {
			x[i] = float64(pred.Pix[3*i+c])
			y[i] = float64(ref.Pix[3*i+c])
		}
		total += ssimPlane(x, y, pred.Width, pred.Height)
	}
	return total / 3, nil
}

// ssimPlane is the mean SSIM of one channel. The five local statistics
// (means, second moments, cross moment) are filtered together, one pass
// across and one down, so x and y are read once per pass.
func ssimPlane(x, y []float64, w, h int) float64 {
	ow, oh := w-ssimWindow+1, h-ssimWindow+1
	// Horizontal pass: 5 interleaved values per output (μx, μy, xx, yy, xy).
	rows := make([]float64, 5*ow*h)
	for r := range h {
		xs, ys := x[r*w:(r+1)*w], y[r*w:(r+1)*w]
		dst := rows[5*r*ow : 5*(r+1)*ow]
		for c := range ow {
			var mx, my, sxx, syy, sxy float64
			for k, g := range ssimKernel {
				a, b := xs[c+k], ys[c+k]
				ga, gb := g*a, g*b
				mx += ga
				my += gb
				sxx += ga * a
				syy += gb * b
				sxy += ga * b
			}
			o := dst[5*c : 5*c+5 : 5*c+5]
			o[0], o[1], o[2], o[3], o[4] = mx, my, sxx, syy, sxy
		}
	}
	c1 := (ssimK1 * ssimL) * (ssimK1 * ssimL)
	c2 := (ssimK2 * ssimL) * (ssimK2 * ssimL)
	acc := make([]float64, 5*ow)
	sum := 0.0
	for r := range oh { // vertical pass, then the SSIM of the output row
		clear(acc)
		for k, g := range ssimKernel {
			src := rows[5*(r+k)*ow : 5*(r+k+1)*ow]
			for i, v := range src {
				acc[i] += g * v
			}
		}
		for c := range ow {
			s := acc[5*c : 5*c+5 : 5*c+5]
			ux, uy := s[0], s[1]
			vx, vy, cov := s[2]-ux*ux, s[3]-uy*uy, s[4]-ux*uy
			sum += ((2*ux*uy + c1) * (2*cov + c2)) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
		}
	}
	return sum / float64(ow*oh)
}
