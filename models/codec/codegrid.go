package codec

import "fmt"

// StageI is what a dense task's stage-I code (Chroma, Panoptic) tells a
// runner: the image side it codes, its Grid² codes of K, and the token
// layout they make.
type StageI interface {
	ImageSize() int
	Grid() int
	K() int
	VocabSize() int
	SeqLen() int
	GrammarMask() []float32
}

// ImageSize is the side of the images the code codes.
func (c *Chroma) ImageSize() int   { return c.Size }
func (p *Panoptic) ImageSize() int { return p.Size }

// codeGrid is the token layout the UViM-style codecs (Chroma, Panoptic)
// share: n codes in raster order, code k as token CodeOffset+k, then EOS.
type codeGrid struct {
	name string // the codec, for errors
	n, k int    // codes per sequence, codebook size
}

func (g codeGrid) vocabSize() int { return CodeOffset + g.k }
func (g codeGrid) seqLen() int    { return g.n + 1 }

// mask allows only codes at the n code positions and only EOS at the last:
// the additive logit mask [seqLen·vocab] of the other codecs.
func (g codeGrid) mask() []float32 {
	v, n := g.vocabSize(), g.seqLen()
	return grammarMask(n, v, func(p int) []bool {
		ok := make([]bool, v)
		if p == n-1 {
			ok[EOS] = true
			return ok
		}
		for t := CodeOffset; t < v; t++ {
			ok[t] = true
		}
		return ok
	})
}

func (g codeGrid) tokens(codes []int32) []int32 {
	out := make([]int32, 0, len(codes)+1)
	for _, k := range codes {
		out = append(out, CodeOffset+k)
	}
	return append(out, EOS)
}

func (g codeGrid) codes(tokens []int32) ([]int32, error) {
	if len(tokens) < g.n {
		return nil, fmt.Errorf("%s: %d tokens, want %d codes", g.name, len(tokens), g.n)
	}
	codes := make([]int32, g.n)
	for i, t := range tokens[:g.n] {
		k := t - CodeOffset
		if k < 0 || int(k) >= g.k {
			return nil, fmt.Errorf("%s: token %d at position %d is not a code", g.name, t, i)
		}
		codes[i] = k
	}
	return codes, nil
}
