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

// ssimPlane is the mean SSIM of one channel.
func ssimPlane(x, y []float64, w, h int) float64 {
	n := w * h
	xx, yy, xy := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		xx[i], yy[i], xy[i] = x[i]*x[i], y[i]*y[i], x[i]*y[i]
	}
	ow, oh := w-ssimWindow+1, h-ssimWindow+1
	mx, my := filterValid(x, w, h), filterValid(y, w, h)
	sxx, syy, sxy := filterValid(xx, w, h), filterValid(yy, w, h), filterValid(xy, w, h)
	c1 := (ssimK1 * ssimL) * (ssimK1 * ssimL)
	c2 := (ssimK2 * ssimL) * (ssimK2 * ssimL)
	sum := 0.0
	for i := range ow * oh {
		ux, uy := mx[i], my[i]
		vx, vy, cov := sxx[i]-ux*ux, syy[i]-uy*uy, sxy[i]-ux*uy
		sum += ((2*ux*uy + c1) * (2*cov + c2)) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
	}
	return sum / float64(ow*oh)
}

// filterValid convolves with the separable Gaussian window, keeping only
// outputs whose window lies inside the image: (w−10)×(h−10) values.
func filterValid(in []float64, w, h int) []float64 {
	ow, oh := w-ssimWindow+1, h-ssimWindow+1
	rows := make([]float64, ow*h) // horizontal pass
	for y := range h {
		src := in[y*w : (y+1)*w]
		dst := rows[y*ow : (y+1)*ow]
		for x := range dst {
			s := 0.0
			for k, g := range ssimKernel {
				s += g * src[x+k]
			}
			dst[x] = s
		}
	}
	out := make([]float64, ow*oh) // vertical pass
	for y := range oh {
		dst := out[y*ow : (y+1)*ow]
		for k, g := range ssimKernel {
			src := rows[(y+k)*ow : (y+k+1)*ow]
			for x := range dst {
				dst[x] += g * src[x]
			}
		}
	}
	return out
}
