package captions

import "math"

// bleuCounts are one image's BLEU statistics as coco-caption's bleu_scorer
// cooks them: candidate length, the reference length closest to it, and per
// order the candidate's n-gram count (guess) and clipped matches (correct).
type bleuCounts struct {
	testLen, refLen int
	guess, correct  [maxN]int
}

// bleuImage counts one candidate against its references (word ids).
func bleuImage(cand []uint32, refs [][]uint32) bleuCounts {
	b := bleuCounts{testLen: len(cand)}
	// "closest": the reference length nearest the candidate's, the shorter
	// one on a tie (Python's min over (|l − testlen|, l) tuples).
	for i, ref := range refs {
		l := len(ref)
		d, best := absInt(l-b.testLen), absInt(b.refLen-b.testLen)
		if i == 0 || d < best || (d == best && l < b.refLen) {
			b.refLen = l
		}
	}
	for k := range b.guess {
		b.guess[k] = max(0, b.testLen-k)
	}
	refGrams := make([][]gramCount, len(refs))
	for i, ref := range refs {
		refGrams[i] = countGrams(ref, nil)
	}
	for _, gc := range countGrams(cand, nil) {
		refMax := 0
		for _, rg := range refGrams {
			refMax = max(refMax, findGram(rg, gc.g))
		}
		b.correct[gc.g.order()] += min(refMax, gc.c)
	}
	return b
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// corpusBLEU combines per-image counts as BleuScorer.compute_score does with
// option "closest": counts and lengths are summed over the corpus, the n-gram
// precisions get the same tiny/small constants (so an order with no match
// gives ~0, not a division by zero), BLEU-n is the geometric mean of
// precisions 1..n, and the brevity penalty compares the summed lengths.
func corpusBLEU(images []bleuCounts) [maxN]float64 {
	const (
		small = 1e-9
		tiny  = 1e-15
	)
	var total bleuCounts
	for _, b := range images {
		total.testLen += b.testLen
		total.refLen += b.refLen
		for k := range total.guess {
			total.guess[k] += b.guess[k]
			total.correct[k] += b.correct[k]
		}
	}
	var out [maxN]float64
	bleu := 1.0
	for k := range out {
		bleu *= (float64(total.correct[k]) + tiny) / (float64(total.guess[k]) + small)
		out[k] = math.Pow(bleu, 1/float64(k+1))
	}
	ratio := (float64(total.testLen) + tiny) / (float64(total.refLen) + small)
	if ratio < 1 {
		bp := math.Exp(1 - 1/ratio)
		for k := range out {
			out[k] *= bp
		}
	}
	return out
}
