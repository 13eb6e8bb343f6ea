package runner

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPickTruncated(t *testing.T) {
	logits := []float32{1, 3, 2, 0, 2.5}
	// softmax at T=1 over {3, 2.5, 2}: the top-3 set.
	lse := func(xs ...float64) float64 {
		var s float64
		for _, x := range xs {
			s += math.Exp(x)
		}
		return math.Log(s)
	}
	tests := []struct {
		name    string
		topK    int
		topP    float64
		allowed map[int32]float64 // token → expected log-probability
	}{
		{"top_k 1 is greedy", 1, 0, map[int32]float64{1: 0}},
		{"top_k 2", 2, 0, map[int32]float64{1: 3 - lse(3, 2.5), 4: 2.5 - lse(3, 2.5)}},
		{"tiny top_p is greedy", 0, 1e-6, map[int32]float64{1: 0}},
		// p(3) over all five ≈ 0.455 < 0.5, so the nucleus adds 2.5.
		{"top_p 0.5", 0, 0.5, map[int32]float64{1: 3 - lse(3, 2.5), 4: 2.5 - lse(3, 2.5)}},
		{"top_k 3 then top_p 0.99", 3, 0.99, map[int32]float64{1: 3 - lse(3, 2.5, 2), 4: 2.5 - lse(3, 2.5, 2), 2: 2 - lse(3, 2.5, 2)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			noise := make([]float32, len(logits))
			seen := map[int32]bool{}
			var buf []scored
			for range 2000 {
				for i := range noise {
					noise[i] = float32(rng.Float64())
				}
				var tok int32
				var lp float32
				tok, lp, buf = pickTruncated(logits, nil, noise, 1, tc.topK, tc.topP, buf)
				want, ok := tc.allowed[tok]
				if !ok {
					t.Fatalf("drew token %d outside %v", tok, tc.allowed)
				}
				if math.Abs(float64(lp)-want) > 1e-5 {
					t.Fatalf("token %d log-prob %g, want %g", tok, lp, want)
				}
				seen[tok] = true
			}
			if len(seen) != len(tc.allowed) {
				t.Errorf("drew %v in 2000 tries, want every one of %v", seen, tc.allowed)
			}
		})
	}
}

// With a mask, masked tokens are never drawn even when top_k covers them.
func TestPickTruncatedMask(t *testing.T) {
	logits := []float32{5, 1, 1}
	mask := []float32{-1e9, 0, 0}
	noise := []float32{0.99, 0.5, 0.5}
	tok, _, _ := pickTruncated(logits, mask, noise, 1, 3, 0, nil)
	if tok == 0 {
		t.Fatal("drew a masked token")
	}
}
