package captions

import (
	"cmp"
	"slices"
	"strings"
)

// maxN is the longest n-gram every metric here uses (BLEU-4, CIDEr-D n = 1..4).
const maxN = 4

// gram is an n-gram of word ids packed two per word: hi holds ids 1 and 2,
// lo ids 3 and 4. Ids start at 1 and unused slots are 0, so n-grams of
// different orders never compare equal. Packing makes comparisons two
// integer compares, which is most of the reward's cost.
type gram struct{ hi, lo uint64 }

func makeGram(ids []uint32) gram {
	var w [maxN]uint64
	for k, id := range ids {
		w[k] = uint64(id)
	}
	return gram{hi: w[0]<<32 | w[1], lo: w[2]<<32 | w[3]}
}

// order is the n-gram's length minus one (0 for unigrams).
func (g gram) order() int {
	switch {
	case g.lo&0xffffffff != 0:
		return 3
	case g.lo != 0:
		return 2
	case g.hi&0xffffffff != 0:
		return 1
	}
	return 0
}

func compareGrams(a, b gram) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func lessGram(a, b gram) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// gramCount is one distinct n-gram of a sentence and how often it occurs.
type gramCount struct {
	g gram
	c int
}

// countGrams returns the distinct 1..maxN-grams of ids with their counts,
// sorted by gram, appended to buf[:0].
func countGrams(ids []uint32, buf []gramCount) []gramCount {
	total := 0
	for n := 1; n <= maxN; n++ {
		total += max(0, len(ids)-n+1)
	}
	out := buf[:0]
	if cap(out) < total {
		out = make([]gramCount, 0, total)
	}
	for n := 1; n <= maxN; n++ {
		for i := 0; i+n <= len(ids); i++ {
			out = append(out, gramCount{g: makeGram(ids[i : i+n]), c: 1})
		}
	}
	sortGrams(out)
	w := 0
	for _, gc := range out {
		if w > 0 && out[w-1].g == gc.g {
			out[w-1].c++
			continue
		}
		out[w] = gc
		w++
	}
	return out[:w]
}

// sortGrams sorts by gram: insertion sort for the short lists of one
// caption (several times faster there), pdqsort beyond.
func sortGrams(gcs []gramCount) {
	if len(gcs) > 64 {
		slices.SortFunc(gcs, func(a, b gramCount) int { return compareGrams(a.g, b.g) })
		return
	}
	for i := 1; i < len(gcs); i++ {
		x := gcs[i]
		j := i
		for j > 0 && lessGram(x.g, gcs[j-1].g) {
			gcs[j] = gcs[j-1]
			j--
		}
		gcs[j] = x
	}
}

// findGram returns the count of g in the sorted list gcs (0 when absent).
func findGram(gcs []gramCount, g gram) int {
	i, ok := slices.BinarySearchFunc(gcs, g, func(e gramCount, t gram) int { return compareGrams(e.g, t) })
	if !ok {
		return 0
	}
	return gcs[i].c
}

// vocabulary maps words to ids. A built vocabulary is read-only and may be
// shared; words it lacks get ids from a per-call extension (see lookup).
type vocabulary map[string]uint32

// add returns the id of w, adding it when new.
func (v vocabulary) add(w string) uint32 {
	if id, ok := v[w]; ok {
		return id
	}
	id := uint32(len(v) + 1)
	v[w] = id
	return id
}

// lookup assigns ids from a fixed vocabulary and, for words it lacks, fresh
// ids that are distinct from it and from each other, without writing to the
// shared vocabulary (so concurrent callers need no lock).
type lookup struct {
	base  vocabulary
	extra map[string]uint32
}

func (l *lookup) id(w string) uint32 {
	if id, ok := l.base[w]; ok {
		return id
	}
	if id, ok := l.extra[w]; ok {
		return id
	}
	if l.extra == nil {
		l.extra = make(map[string]uint32)
	}
	id := uint32(len(l.base) + len(l.extra) + 1)
	l.extra[w] = id
	return id
}

func (l *lookup) ids(tokens []string) []uint32 {
	out := make([]uint32, 0, len(tokens))
	for _, t := range tokens {
		out = appendWords(out, t, l.id)
	}
	return out
}

// appendWords appends the ids of the words of token t as pycocoevalcap's
// BLEU and CIDEr see them: they split the tokenized caption with Python's
// str.split(), on any Unicode white space, so a PTB token holding U+00A0
// ("2 1/2" as one fraction token) is two words there. ROUGE-L splits on " "
// and takes the token whole.
func appendWords(dst []uint32, t string, id func(string) uint32) []uint32 {
	if strings.IndexFunc(t, isPySpace) < 0 {
		return append(dst, id(t))
	}
	for _, w := range strings.FieldsFunc(t, isPySpace) {
		dst = append(dst, id(w))
	}
	return dst
}
