package captions

import "fmt"

// Scored keeps one prediction set's per-image statistics (BLEU counts,
// ROUGE-L, CIDEr-D) so corpus scores can be recomputed over any multiset of
// its images, as the bootstrap of an A/B comparison needs, without
// tokenizing again.
//
// BLEU is recomputed exactly (its clipped counts are summed over the
// multiset), ROUGE-L is the multiset's mean. CIDEr-D keeps the document
// frequencies of the whole evaluated set: recomputing them per resample
// would weigh an image's references by its copies; the per-image scores are
// averaged over the multiset.
type Scored struct {
	IDs   []int // ascending image ids: the index space of Resample
	bleu  []bleuCounts
	rouge []float64
	cider []float64
}

// Score scores preds against refs like Evaluate and keeps the per-image
// statistics.
func Score(refs map[int][]string, preds map[int]string) (*Scored, error) {
	ids, err := checkKeys(refs, preds)
	if err != nil {
		return nil, err
	}
	refToks := make([][][]string, len(ids))
	predToks := make([][]string, len(ids))
	for i, id := range ids {
		refToks[i] = make([][]string, len(refs[id]))
		for j, r := range refs[id] {
			refToks[i][j] = Tokenize(r)
		}
		predToks[i] = Tokenize(preds[id])
	}
	return scoreTokens(ids, refToks, predToks), nil
}

// scoreTokens scores tokenized captions; ids are ascending.
func scoreTokens(ids []int, refToks [][][]string, predToks [][]string) *Scored {
	cider := newCIDErDTokens(refToks)
	s := &Scored{IDs: ids, bleu: make([]bleuCounts, len(ids)), rouge: make([]float64, len(ids)), cider: make([]float64, len(ids))}
	for i := range ids {
		l := lookup{base: cider.vocab}
		s.bleu[i] = bleuImage(l.ids(predToks[i]), cider.images[i])
		s.rouge[i] = rougeL(predToks[i], refToks[i])
		s.cider[i] = cider.scoreTokens(i, predToks[i])
	}
	return s
}

// Result is the corpus result over every image once: Evaluate's, bit for bit.
func (s *Scored) Result() *Result {
	res := &Result{PerImageCIDErD: make(map[int]float64, len(s.IDs))}
	rougeSum, ciderSum := 0.0, 0.0
	for i, id := range s.IDs {
		rougeSum += s.rouge[i]
		ciderSum += s.cider[i]
		res.PerImageCIDErD[id] = s.cider[i]
	}
	res.BLEU = corpusBLEU(s.bleu)
	res.ROUGEL = rougeSum / float64(len(s.IDs))
	res.CIDErD = ciderSum / float64(len(s.IDs))
	return res
}

// PerImageROUGEL returns image i's ROUGE-L (i indexes IDs).
func (s *Scored) PerImageROUGEL(i int) float64 { return s.rouge[i] }

// PerImageCIDErD returns image i's CIDEr-D (i indexes IDs).
func (s *Scored) PerImageCIDErD(i int) float64 { return s.cider[i] }

// Resample returns the corpus scores over counts[i] copies of image IDs[i]
// (PerImageCIDErD left nil). Sums run copy by copy in image order, so all
// ones give Result's numbers.
func (s *Scored) Resample(counts []int) (*Result, error) {
	if len(counts) != len(s.IDs) {
		return nil, fmt.Errorf("resample: %d counts for %d images", len(counts), len(s.IDs))
	}
	var bleu []bleuCounts
	rougeSum, ciderSum, n := 0.0, 0.0, 0
	for i, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("resample: negative count %d for image %d", c, s.IDs[i])
		}
		for range c {
			bleu = append(bleu, s.bleu[i])
			rougeSum += s.rouge[i]
			ciderSum += s.cider[i]
		}
		n += c
	}
	if n == 0 {
		return nil, fmt.Errorf("resample: no images")
	}
	return &Result{BLEU: corpusBLEU(bleu), ROUGEL: rougeSum / float64(n), CIDErD: ciderSum / float64(n)}, nil
}
