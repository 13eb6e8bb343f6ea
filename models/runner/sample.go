package runner

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// noiseStream is the sampler's uniform noise: the same PCG stream and
// draw order (one value per row and vocabulary entry, per step, for every
// image of the batch, finished or not) as models/seq's Model.Generate, so
// ONNX Runtime and GoMLX draw the same samples from the same seed.
type noiseStream struct {
	rng *rand.Rand
	buf []float32
}

func newNoise(seed uint64, n int) *noiseStream {
	return &noiseStream{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), buf: make([]float32, n)}
}

// next draws one step's noise for the whole batch.
func (s *noiseStream) next() []float32 {
	for i := range s.buf {
		s.buf[i] = float32(s.rng.Float64())
	}
	return s.buf
}

// gumbel is −log(−log u) with u clamped into (0, 1) as models/seq.Gumbel
// does, rounded to float32 at each step as the graph computes it.
func gumbel(u float32) float32 {
	u = min(max(u, 1e-20), 1-1e-7)
	inner := float32(-math.Log(float64(u)))
	return float32(-math.Log(float64(inner)))
}

// pick chooses one token from a row of logits and returns it with its
// log-probability, as models/seq.Sample: the distribution is
// softmax(logits/T + mask); with T > 0 the token is the argmax of that plus
// Gumbel noise (an exact sample), else the greedy argmax of logits + mask,
// whose log-probability is then taken at T = 1. mask and noise may be nil.
func pick(logits, mask, noise []float32, temperature float64) (int32, float32) {
	hot := temperature > 0
	invT := float32(1)
	if hot {
		invT = float32(1 / float32(temperature))
	}
	best, bestScore := 0, float32(math.Inf(-1))
	scaledMax := math.Inf(-1)
	for i, l := range logits {
		s := l * invT
		if mask != nil {
			s += mask[i]
		}
		scaledMax = max(scaledMax, float64(s))
		score := s
		if hot && noise != nil {
			score += gumbel(noise[i])
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	var sum float64
	for i, l := range logits {
		s := l * invT
		if mask != nil {
			s += mask[i]
		}
		sum += math.Exp(float64(s) - scaledMax)
	}
	s := logits[best] * invT
	if mask != nil {
		s += mask[best]
	}
	return int32(best), float32(float64(s) - scaledMax - math.Log(sum))
}

// scored is a token and its scaled, masked logit.
type scored struct {
	tok int
	s   float32
}

// pickTruncated samples as pick does at temperature > 0, but only among
// the topK most likely tokens (topK > 0) and then the smallest prefix of
// those whose renormalised probability reaches topP (0 < topP < 1). The
// noise is the same per-token Gumbel draw, so the seed still fixes the
// answer. The log-probability is under the truncated, renormalised
// distribution the token was drawn from. buf is reused scratch space.
func pickTruncated(logits, mask, noise []float32, temperature float64, topK int, topP float64, buf []scored) (int32, float32, []scored) {
	invT := float32(1 / float32(temperature))
	buf = buf[:0]
	for i, l := range logits {
		s := l * invT
		if mask != nil {
			s += mask[i]
		}
		buf = append(buf, scored{i, s})
	}
	// Stable on ties (by token index), so equal logits keep one order.
	slices.SortStableFunc(buf, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	keep := buf
	if topK > 0 && topK < len(keep) {
		keep = keep[:topK]
	}
	top := float64(keep[0].s)
	var sum float64
	for _, c := range keep {
		sum += math.Exp(float64(c.s) - top)
	}
	if topP > 0 && topP < 1 {
		var cum float64
		for i, c := range keep {
			cum += math.Exp(float64(c.s)-top) / sum
			if cum >= topP {
				keep = keep[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range keep {
			sum += math.Exp(float64(c.s) - top)
		}
	}
	best, bestScore := keep[0], float32(math.Inf(-1))
	for _, c := range keep {
		score := c.s
		if noise != nil {
			score += gumbel(noise[c.tok])
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return int32(best.tok), float32(float64(best.s) - top - math.Log(sum)), buf
}
