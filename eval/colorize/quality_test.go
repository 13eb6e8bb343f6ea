package colorize

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randomRGB(rng *rand.Rand, w, h int) *RGB {
	m := NewRGB(w, h)
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	return m
}

// shifted adds k to every value (the caller keeps it in range).
func shifted(m *RGB, k int) *RGB {
	out := NewRGB(m.Width, m.Height)
	for i, v := range m.Pix {
		out.Pix[i] = uint8(int(v) + k)
	}
	return out
}

func TestPSNR(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := NewRGB(16, 9)
	for i := range base.Pix {
		base.Pix[i] = uint8(20 + rng.IntN(200))
	}
	if p, err := PSNR(base, base); err != nil || !math.IsInf(p, 1) {
		t.Errorf("identical: %v, %v; want +Inf", p, err)
	}
	for _, k := range []int{1, 5, -17, 30} {
		want := 20 * math.Log10(255/math.Abs(float64(k)))
		if p, err := PSNR(shifted(base, k), base); err != nil || math.Abs(p-want) > 1e-12 {
			t.Errorf("shift %d: %v, %v; want %v", k, p, err, want)
		}
	}
	// Black against white: MSE 255², PSNR 0.
	if p, _ := PSNR(solid(3, 3, 0, 0, 0), solid(3, 3, 255, 255, 255)); p != 0 {
		t.Errorf("black vs white = %v, want 0", p)
	}
	if _, err := PSNR(base, NewRGB(9, 16)); err == nil || !strings.Contains(err.Error(), "size mismatch: prediction 16x9, reference 9x16") {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := PSNR(&RGB{Width: 1, Height: 1}, base); err == nil || !strings.Contains(err.Error(), "prediction: malformed image") {
		t.Errorf("malformed: %v", err)
	}
}

const (
	c1 = (0.01 * 255) * (0.01 * 255)
	c2 = (0.03 * 255) * (0.03 * 255)
)

// ssimDirect evaluates the SSIM formula window by window with explicit 2-D
// Gaussian weights, independently of the separable filter.
func ssimDirect(x, y *RGB) float64 {
	var g [11]float64
	s := 0.0
	for i := range g {
		d := float64(i - 5)
		g[i] = math.Exp(-d * d / 4.5)
		s += g[i]
	}
	total := 0.0
	for c := range 3 {
		sum, count := 0.0, 0
		for oy := 0; oy+11 <= x.Height; oy++ {
			for ox := 0; ox+11 <= x.Width; ox++ {
				var mx, my, sxx, syy, sxy float64
				for dy := range 11 {
					for dx := range 11 {
						w := g[dy] * g[dx] / (s * s)
						i := 3*((oy+dy)*x.Width+ox+dx) + c
						a, b := float64(x.Pix[i]), float64(y.Pix[i])
						mx += w * a
						my += w * b
						sxx += w * a * a
						syy += w * b * b
						sxy += w * a * b
					}
				}
				vx, vy, cov := sxx-mx*mx, syy-my*my, sxy-mx*my
				sum += (2*mx*my + c1) * (2*cov + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				count++
			}
		}
		total += sum / float64(count)
	}
	return total / 3
}

func TestSSIM(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randomRGB(rng, 23, 17)
	if s, err := SSIM(x, x); err != nil || s != 1 {
		t.Errorf("identical: %v, %v; want 1", s, err)
	}
	// Constant images: only the luminance term is left.
	for _, ab := range [][2]uint8{{100, 150}, {0, 255}, {10, 12}} {
		a, b := float64(ab[0]), float64(ab[1])
		want := (2*a*b + c1) / (a*a + b*b + c1)
		got, err := SSIM(solid(12, 11, ab[0], ab[0], ab[0]), solid(12, 11, ab[1], ab[1], ab[1]))
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("constants %v: %v, %v; want %v", ab, got, err, want)
		}
	}
	for _, size := range [][2]int{{11, 11}, {14, 12}, {23, 17}} {
		a, b := randomRGB(rng, size[0], size[1]), randomRGB(rng, size[0], size[1])
		want := ssimDirect(a, b)
		got, err := SSIM(a, b)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("random %v: %v, %v; want %v", size, got, err, want)
		}
		if back, _ := SSIM(b, a); math.Abs(back-got) > 1e-15 {
			t.Errorf("not symmetric: %v vs %v", got, back)
		}
	}
	// A noisier copy scores lower.
	noisy := func(amp int) *RGB {
		out := NewRGB(x.Width, x.Height)
		for i, v := range x.Pix {
			out.Pix[i] = uint8(min(255, max(0, int(v)+rng.IntN(2*amp+1)-amp)))
		}
		return out
	}
	s5, _ := SSIM(noisy(5), x)
	s50, _ := SSIM(noisy(50), x)
	if !(1 > s5 && s5 > s50) {
		t.Errorf("SSIM noise 5 = %v, noise 50 = %v; want 1 > s5 > s50", s5, s50)
	}
	if _, err := SSIM(NewRGB(10, 20), NewRGB(10, 20)); err == nil || !strings.Contains(err.Error(), "at least 11x11") {
		t.Errorf("small image: %v", err)
	}
	if _, err := SSIM(NewRGB(20, 20), NewRGB(21, 20)); err == nil {
		t.Error("size mismatch accepted")
	}
}
