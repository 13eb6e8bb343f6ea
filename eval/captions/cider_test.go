package captions

import (
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The captioning reward, hand-computed on tiny corpora. With N corpus images
// an n-gram seen in df of them weighs tf·(ln N − ln df); n-grams no corpus
// image has weigh tf·ln N.
func TestRewardHandComputed(t *testing.T) {
	corpus := [][]string{{"a b"}, {"c d"}, {"e f g h"}, {"i j k l"}}
	tests := []struct {
		name string
		cand string
		refs []string
		want float64
	}{
		// Equal to every reference: each order with n-grams has cosine 1,
		// orders 3 and 4 are empty (norm 0, value 0): (1 + 1 + 0 + 0)/4 × 10.
		{"equal to all refs", "a b", []string{"a b", "a b"}, 5},
		// Four words: all four orders have cosine 1, the maximum 10.
		{"equal, four orders", "e f g h", []string{"e f g h"}, 10},
		{"empty candidate", "", []string{"a b"}, 0},
		{"only punctuation", " . , ", []string{"a b"}, 0},
		{"wrong caption", "c d", []string{"a b"}, 0},
		{"no references", "a b", nil, 0},
		// "a c" vs "a b": unigrams a, c (ln4 each) against a, b (ln4 each):
		// ln4²/(√2 ln4 · √2 ln4) = 1/2; bigrams differ; same bigram count.
		{"half the unigrams", "a c", []string{"a b"}, 0.5 / 4 * 10},
		// "a" vs "a b": unigram cosine 1/√2, bigram counts 0 vs 1, so the
		// penalty is exp(−1/72).
		{"length penalty", "a", []string{"a b"}, 1 / math.Sqrt2 * math.Exp(-1.0/72) / 4 * 10},
		// "a a" vs "a b": tf 2 weighs 2 ln4 and is clipped to the reference's
		// ln4: ln4·ln4 / (2 ln4 · √2 ln4) = 1/(2√2); bigram "a a" unmatched.
		{"clipped repetition", "a a", []string{"a b"}, 1 / (2 * math.Sqrt2) / 4 * 10},
		// Mean over references: one perfect (5), one disjoint (0).
		{"mean over refs", "a b", []string{"a b", "c d"}, 2.5},
		// Words outside the corpus still match the given references and
		// weigh ln N: "x y" vs "x y" is a perfect match.
		{"out-of-corpus words", "x y", []string{"x y"}, 5},
	}
	c := NewCIDErD(corpus)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Score(tc.cand, tc.refs)
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Score(%q, %q) = %.15g, want %.15g", tc.cand, tc.refs, got, tc.want)
			}
		})
	}
}

func TestRewardDegenerateCorpora(t *testing.T) {
	// One corpus image: every reference n-gram is in every document, so its
	// idf is 0 and even a perfect caption scores 0 (as in coco-caption).
	if got := NewCIDErD([][]string{{"a b c"}}).Score("a b c", []string{"a b c"}); got != 0 {
		t.Errorf("single-image corpus: %v, want 0", got)
	}
	// No corpus at all: 0, not NaN.
	for _, c := range []*CIDErD{NewCIDErD(nil), NewCIDErD([][]string{})} {
		if got := c.Score("a b", []string{"a b"}); got != 0 {
			t.Errorf("empty corpus: %v, want 0", got)
		}
	}
	c := NewCIDErD([][]string{{"a"}, {}})
	if got, err := c.ScoreImage(1, "a"); err != nil || got != 0 {
		t.Errorf("image without refs: %v, %v; want 0, nil", got, err)
	}
	for _, i := range []int{-1, 2} {
		if _, err := c.ScoreImage(i, "a"); err == nil {
			t.Errorf("ScoreImage(%d) succeeded, want out-of-range error", i)
		}
	}
}

// Per-image rewards with the fixture's own references as corpus must equal
// pycocoevalcap's per-image CIDEr-D, via both Score and ScoreImage.
func TestRewardMatchesFixturePerImage(t *testing.T) {
	dir := fixtureDir(t, "shapes50")
	refs, err := LoadRefs(filepath.Join(dir, "refs.json"))
	if err != nil {
		t.Fatal(err)
	}
	preds, err := LoadPreds(filepath.Join(dir, "preds.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := loadExpected(t, dir).perImage(t)
	ids := make([]int, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	corpus := make([][]string, len(ids))
	for i, id := range ids {
		corpus[i] = refs[id]
	}
	c := NewCIDErD(corpus)
	if c.Images() != len(ids) {
		t.Fatalf("Images() = %d, want %d", c.Images(), len(ids))
	}
	// Concurrent callers share the scorer (run with -race).
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			a := c.Score(preds[id], refs[id])
			b, err := c.ScoreImage(i, preds[id])
			if err != nil || math.Abs(a-want[id]) > fixtureTol || math.Abs(b-want[id]) > fixtureTol {
				t.Errorf("image %d: Score %.15g ScoreImage %.15g (%v), want %.15g", id, a, b, err, want[id])
			}
		})
	}
	wg.Wait()
}

func BenchmarkCIDErDCorpusShapes50(b *testing.B) {
	dir := fixtureDir(b, "shapes50")
	refs, err := LoadRefs(filepath.Join(dir, "refs.json"))
	if err != nil {
		b.Fatal(err)
	}
	preds, err := LoadPreds(filepath.Join(dir, "preds.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Evaluate(refs, preds); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CIDErD", func(b *testing.B) {
		corpus := make([][]string, 0, len(refs))
		ids := make([]int, 0, len(refs))
		for id, r := range refs {
			corpus = append(corpus, r)
			ids = append(ids, id)
		}
		b.ReportAllocs()
		for b.Loop() {
			c := NewCIDErD(corpus)
			for i, id := range ids {
				if _, err := c.ScoreImage(i, preds[id]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkReward is one per-image reward call as a REINFORCE step makes it.
func BenchmarkReward(b *testing.B) {
	dir := fixtureDir(b, "shapes50")
	refs, err := LoadRefs(filepath.Join(dir, "refs.json"))
	if err != nil {
		b.Fatal(err)
	}
	corpus := make([][]string, 0, len(refs))
	for _, r := range refs {
		corpus = append(corpus, r)
	}
	c := NewCIDErD(corpus)
	cand := "a small blue circle to the left of a red square"
	b.Run("Score", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Score(cand, corpus[0])
		}
	})
	b.Run("ScoreImage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.ScoreImage(0, cand); err != nil {
				b.Fatal(err)
			}
		}
	})
}
