package captions

import (
	"fmt"
	"math"
)

// ciderSigma is the standard deviation (in words) of CIDEr-D's Gaussian
// length penalty.
const ciderSigma = 6.0

// CIDErD scores captions with CIDEr-D (Vedantam et al. 2015, as coco-caption's
// Cider computes it) against document frequencies fixed at construction.
//
// Per image: every caption becomes TF-IDF vectors of its 1..4-grams, with
// weight tf·(log N − log max(1, df)) where N is the number of corpus images
// and df the number of images whose references contain the n-gram. For each
// reference and each n the candidate's weights are clipped to the reference's
// (min), the cosine-like product is multiplied by exp(−δ²/2σ²), σ = 6, and
// the score is 10 × the mean over n and references. As in coco-caption, δ is
// the difference of the two captions' bigram counts (len − 1 for non-empty
// captions), not of their lengths.
//
// This per-image score with the training references as the corpus is the
// paper's captioning reward. A CIDErD is read-only after NewCIDErD and safe
// for concurrent use.
type CIDErD struct {
	vocab  vocabulary
	logDF  map[gram]float64 // log(df), df ≥ 1; absent n-grams have log max(1, 0) = 0
	refLen float64          // log(number of corpus images)
	images [][][]uint32     // the corpus references as word ids, for ScoreImage
}

// NewCIDErD tokenizes corpusRefs (one list of reference captions per image)
// and precomputes the document frequencies of their n-grams. An empty corpus
// gives a scorer whose scores are all 0.
func NewCIDErD(corpusRefs [][]string) *CIDErD {
	toks := make([][][]string, len(corpusRefs))
	for i, refs := range corpusRefs {
		toks[i] = make([][]string, len(refs))
		for j, r := range refs {
			toks[i][j] = Tokenize(r)
		}
	}
	return newCIDErDTokens(toks)
}

// newCIDErDTokens builds the scorer from tokenized references.
func newCIDErDTokens(corpus [][][]string) *CIDErD {
	c := &CIDErD{
		vocab:  vocabulary{},
		logDF:  map[gram]float64{},
		images: make([][][]uint32, len(corpus)),
	}
	var buf, all []gramCount
	for i, refs := range corpus {
		all = all[:0]
		img := make([][]uint32, len(refs))
		for j, toks := range refs {
			ids := make([]uint32, 0, len(toks))
			for _, t := range toks {
				ids = appendWords(ids, t, c.vocab.add)
			}
			img[j] = ids
			buf = countGrams(ids, buf)
			all = append(all, buf...)
		}
		c.images[i] = img
		// Each image counts once per n-gram, however many of its references
		// contain it.
		sortGrams(all)
		for k, gc := range all {
			if k == 0 || all[k-1].g != gc.g {
				c.logDF[gc.g]++
			}
		}
	}
	for g, df := range c.logDF {
		c.logDF[g] = math.Log(df)
	}
	if len(corpus) > 0 {
		c.refLen = math.Log(float64(len(corpus)))
	}
	return c
}

// Images is the number of images in the corpus.
func (c *CIDErD) Images() int { return len(c.images) }

// Score is the CIDEr-D of candidate against refs (raw captions; they are
// tokenized here) with the corpus document frequencies. It is 0 for an empty
// candidate or no references.
func (c *CIDErD) Score(candidate string, refs []string) float64 {
	if len(refs) == 0 {
		return 0
	}
	l := lookup{base: c.vocab}
	refIDs := make([][]uint32, len(refs))
	for i, r := range refs {
		refIDs[i] = l.ids(Tokenize(r))
	}
	return c.score(l.ids(Tokenize(candidate)), refIDs)
}

// ScoreImage is Score against the references of corpus image i (the index in
// the corpusRefs given to NewCIDErD), without re-tokenizing them.
func (c *CIDErD) ScoreImage(i int, candidate string) (float64, error) {
	if i < 0 || i >= len(c.images) {
		return 0, fmt.Errorf("cider-d: image index %d out of range [0, %d)", i, len(c.images))
	}
	return c.scoreTokens(i, Tokenize(candidate)), nil
}

// scoreTokens scores a tokenized candidate against corpus image i.
func (c *CIDErD) scoreTokens(i int, candidate []string) float64 {
	l := lookup{base: c.vocab}
	return c.score(l.ids(candidate), c.images[i])
}

// tfidf is one caption's CIDEr vector: its n-grams (sorted), their weights,
// the norm per order and its bigram count.
type tfidf struct {
	grams  []gramCount
	w      []float64
	norm   [maxN]float64
	length int
}

func (c *CIDErD) vector(ids []uint32) tfidf {
	v := tfidf{grams: countGrams(ids, nil)}
	v.w = make([]float64, len(v.grams))
	for k, gc := range v.grams {
		w := float64(gc.c) * (c.refLen - c.logDF[gc.g])
		v.w[k] = w
		o := gc.g.order()
		v.norm[o] += w * w
		if o == 1 {
			v.length += gc.c
		}
	}
	for o := range v.norm {
		v.norm[o] = math.Sqrt(v.norm[o])
	}
	return v
}

// score is the CIDEr-D of a candidate against its references, all as ids.
func (c *CIDErD) score(cand []uint32, refs [][]uint32) float64 {
	if len(refs) == 0 {
		return 0
	}
	h := c.vector(cand)
	var sum [maxN]float64
	for _, ref := range refs {
		r := c.vector(ref)
		val := similarity(&h, &r)
		for o := range sum {
			sum[o] += val[o]
		}
	}
	mean := 0.0
	for _, s := range sum {
		mean += s
	}
	mean /= maxN
	return mean / float64(len(refs)) * 10
}

// similarity is coco-caption's sim(): per order, the clipped dot product
// divided by both norms (when non-zero), times the Gaussian length penalty.
func similarity(h, r *tfidf) [maxN]float64 {
	var val [maxN]float64
	for i, j := 0, 0; i < len(h.grams) && j < len(r.grams); {
		switch d := compareGrams(h.grams[i].g, r.grams[j].g); {
		case d < 0:
			i++
		case d > 0:
			j++
		default:
			val[h.grams[i].g.order()] += min(h.w[i], r.w[j]) * r.w[j]
			i++
			j++
		}
	}
	delta := float64(h.length - r.length)
	penalty := math.Exp(-(delta * delta) / (2 * ciderSigma * ciderSigma))
	for o := range val {
		if h.norm[o] != 0 && r.norm[o] != 0 {
			val[o] /= h.norm[o] * r.norm[o]
		}
		val[o] *= penalty
	}
	return val
}
