package captions

import (
	"cmp"
	"slices"
)

// maxN is the longest n-gram every metric here uses (BLEU-4, CIDEr-D n = 1..4).
const maxN = 4

// gram is an n-gram of word ids; ids start at 1 and unused slots are 0, so
// n-grams of different orders never compare equal.
type gram [maxN]uint32

// order is the n-gram's length minus one (0 for unigrams).
func (g gram) order() int {
	k := 0
	for k < maxN-1 && g[k+1] != 0 {
		k++
	}
	return k
}

// compareGrams orders grams lexicographically by word id. Packing two ids
// per word-sized integer halves the comparisons, the bulk of the reward's cost.
func compareGrams(a, b gram) int {
	if c := cmp.Compare(uint64(a[0])<<32|uint64(a[1]), uint64(b[0])<<32|uint64(b[1])); c != 0 {
		return c
	}
	return cmp.Compare(uint64(a[2])<<32|uint64(a[3]), uint64(b[2])<<32|uint64(b[3]))
}

// gramCount is one distinct n-gram of a sentence and how often it occurs.
type gramCount struct {
	g gram
	c int
}

// countGrams returns the distinct 1..maxN-grams of ids with their counts,
// sorted by gram, appended to buf[:0].
func countGrams(ids []uint32, buf []gramCount) []gramCount {
	out := buf[:0]
	for n := 1; n <= maxN; n++ {
		for i := 0; i+n <= len(ids); i++ {
			var g gram
			copy(g[:], ids[i:i+n])
			out = append(out, gramCount{g: g, c: 1})
		}
	}
	slices.SortFunc(out, func(a, b gramCount) int { return compareGrams(a.g, b.g) })
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
	out := make([]uint32, len(tokens))
	for i, t := range tokens {
		out[i] = l.id(t)
	}
	return out
}
