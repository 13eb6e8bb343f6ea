package seq

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCachedStepMatchesFullRecompute decodes the same images with the
// KV-cached DecoderStep and with whole-prefix recomputation, feeding the
// same noise: every step's logits must agree, and so must the sampled
// tokens and their log-probabilities.
func TestCachedStepMatchesFullRecompute(t *testing.T) {
	for _, tied := range []bool{false, true} {
		cfg := tinyConfig(13, 9)
		cfg.TiedHead = tied
		m := newTestModel(t, cfg, 11)
		images := randImages(rand.New(rand.NewPCG(1, 2)), cfg, 3)
		for _, temp := range []float64{0, 1} {
			opts := GenerateOptions{Temperature: temp, Seed: 5, KeepLogits: true}
			cached, err := m.Generate(images, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.FullRecompute = true
			full, err := m.Generate(images, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(cached.Logits) != len(full.Logits) {
				t.Fatalf("tied=%v T=%g: %d cached steps, %d full", tied, temp, len(cached.Logits), len(full.Logits))
			}
			worst := 0.0
			for s := range cached.Logits {
				for i, v := range cached.Logits[s] {
					worst = max(worst, math.Abs(float64(v-full.Logits[s][i])))
				}
			}
			if worst > 1e-5 {
				t.Fatalf("tied=%v T=%g: logits differ by %g", tied, temp, worst)
			}
			for b := range cached.Tokens {
				if !slices.Equal(cached.Tokens[b], full.Tokens[b]) {
					t.Fatalf("tied=%v T=%g image %d: tokens %v vs %v", tied, temp, b, cached.Tokens[b], full.Tokens[b])
				}
				for s := range cached.LogProbs[b] {
					if d := math.Abs(float64(cached.LogProbs[b][s] - full.LogProbs[b][s])); d > 1e-5 {
						t.Fatalf("log-prob differs by %g", d)
					}
				}
			}
			t.Logf("tied=%v T=%g: %d steps, max |Δlogit| %.2g, tokens %v", tied, temp, len(cached.Logits), worst, cached.Tokens[0])
		}
	}
}
