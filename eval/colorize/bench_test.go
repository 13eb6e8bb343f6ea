package colorize

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkColorfulness640x480(b *testing.B) {
	m := randomRGB(rand.New(rand.NewPCG(1, 1)), 640, 480)
	b.SetBytes(int64(len(m.Pix)))
	for b.Loop() {
		Colorfulness(m)
	}
}

func BenchmarkSSIM640x480(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	x, y := randomRGB(rng, 640, 480), randomRGB(rng, 640, 480)
	for b.Loop() {
		if _, err := SSIM(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPSNR640x480(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := randomRGB(rng, 640, 480), randomRGB(rng, 640, 480)
	for b.Loop() {
		if _, err := PSNR(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReward640x480(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y := randomRGB(rng, 640, 480), randomRGB(rng, 640, 480)
	for b.Loop() {
		if _, err := ColorizationReward(x, y, DefaultSimilarityWeight); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFrechet64: two sets of 500 vectors of 64 features.
func BenchmarkFrechet64(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := gaussianSet(rng, 500, 64, []float64{1, 2, 3})
	y := gaussianSet(rng, 500, 64, []float64{2, 1})
	for b.Loop() {
		if _, err := FrechetDistance(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
