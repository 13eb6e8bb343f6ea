package captions

import (
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fixtureTol is the agreement asked of pycocoevalcap's numbers.
const fixtureTol = 1e-9

func TestEvaluateFixtures(t *testing.T) {
	for _, name := range []string{"small", "shapes50"} {
		t.Run(name, func(t *testing.T) {
			dir := fixtureDir(t, name)
			refs, err := LoadRefs(filepath.Join(dir, "refs.json"))
			if err != nil {
				t.Fatal(err)
			}
			preds, err := LoadPreds(filepath.Join(dir, "preds.json"))
			if err != nil {
				t.Fatal(err)
			}
			want := loadExpected(t, dir)
			got, err := Evaluate(refs, preds)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"BLEU-1", got.BLEU[0], want.BLEU1},
				{"BLEU-2", got.BLEU[1], want.BLEU2},
				{"BLEU-3", got.BLEU[2], want.BLEU3},
				{"BLEU-4", got.BLEU[3], want.BLEU4},
				{"ROUGE-L", got.ROUGEL, want.ROUGEL},
				{"CIDEr-D", got.CIDErD, want.CIDErD},
			} {
				if math.Abs(c.got-c.want) > fixtureTol {
					t.Errorf("%s = %.15g, want %.15g (diff %.3g)", c.name, c.got, c.want, c.got-c.want)
				}
			}
			wantPer := want.perImage(t)
			if len(got.PerImageCIDErD) != len(wantPer) {
				t.Fatalf("%d per-image scores, want %d", len(got.PerImageCIDErD), len(wantPer))
			}
			for id, w := range wantPer {
				g, ok := got.PerImageCIDErD[id]
				if !ok || math.Abs(g-w) > fixtureTol {
					t.Errorf("image %d: CIDEr-D %.15g (present %v), want %.15g", id, g, ok, w)
				}
			}
		})
	}
}

// The fixtures are pre-tokenized: tokenizing must leave them as they are, or
// the fixture comparison would not test the metrics alone.
func TestFixtureCaptionsAreTokenizerFixedPoints(t *testing.T) {
	for _, name := range []string{"small", "shapes50"} {
		dir := fixtureDir(t, name)
		refs, err := LoadRefs(filepath.Join(dir, "refs.json"))
		if err != nil {
			t.Fatal(err)
		}
		preds, err := LoadPreds(filepath.Join(dir, "preds.json"))
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, rs := range refs {
			all = append(all, rs...)
		}
		for _, p := range preds {
			all = append(all, p)
		}
		for _, c := range all {
			if got := strings.Join(Tokenize(c), " "); got != c {
				t.Errorf("%s: Tokenize(%q) = %q", name, c, got)
			}
		}
	}
}

func TestEvaluateKeyErrors(t *testing.T) {
	refs := map[int][]string{1: {"a cat"}, 2: {"a dog"}, 3: {"a bird"}}
	tests := []struct {
		name  string
		refs  map[int][]string
		preds map[int]string
		want  string
	}{
		{"missing prediction", refs, map[int]string{1: "a cat", 3: "a bird"}, "image 2 has reference captions but no prediction"},
		{"prediction without refs", refs, map[int]string{1: "x", 2: "y", 3: "z", 9: "w", 7: "v"}, "prediction for image 7, which has no reference captions (2 such images)"},
		{"empty refs list", map[int][]string{1: {"a"}, 4: {}}, map[int]string{1: "a", 4: "b"}, "image 4 has no reference captions"},
		{"nothing", nil, nil, "no images"},
		{"only preds", nil, map[int]string{5: "a"}, "prediction for image 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.refs, tc.preds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Hand-computed corner cases of the three metrics.
func TestEvaluateHandComputed(t *testing.T) {
	t.Run("perfect single image", func(t *testing.T) {
		// One image: every n-gram is in every document, idf = 0, CIDEr-D = 0,
		// while BLEU and ROUGE-L are (almost exactly) 1.
		r, err := Evaluate(map[int][]string{1: {"a b c d e"}}, map[int]string{1: "a b c d e"})
		if err != nil {
			t.Fatal(err)
		}
		for k, b := range r.BLEU {
			if math.Abs(b-1) > 1e-9 {
				t.Errorf("BLEU-%d = %v, want 1", k+1, b)
			}
		}
		if math.Abs(r.ROUGEL-1) > 1e-15 || r.CIDErD != 0 {
			t.Errorf("ROUGE-L %v CIDEr-D %v, want 1 and 0", r.ROUGEL, r.CIDErD)
		}
	})
	t.Run("brevity penalty and clipping", func(t *testing.T) {
		// cand "a a" vs ref "a b c d": 1-gram correct 1 of 2 (clipped),
		// 2-gram 0 of 1; BP = exp(1 − 4/2).
		r, err := Evaluate(map[int][]string{1: {"a b c d"}}, map[int]string{1: "a a"})
		if err != nil {
			t.Fatal(err)
		}
		const small, tiny = 1e-9, 1e-15
		p1 := (1 + tiny) / (2 + small)
		bp := math.Exp(1 - 1/((2+tiny)/(4+small)))
		if want := p1 * bp; math.Abs(r.BLEU[0]-want) > 1e-15 {
			t.Errorf("BLEU-1 = %v, want %v", r.BLEU[0], want)
		}
		if want := math.Sqrt(p1*(tiny/(1+small))) * bp; math.Abs(r.BLEU[1]-want) > 1e-15 {
			t.Errorf("BLEU-2 = %v, want %v", r.BLEU[1], want)
		}
		// ROUGE-L: LCS 1, P = 1/2, R = 1/4.
		p, rc := 0.5, 0.25
		if want := (1 + 1.44) * p * rc / (rc + 1.44*p); math.Abs(r.ROUGEL-want) > 1e-12 {
			t.Errorf("ROUGE-L = %v, want %v", r.ROUGEL, want)
		}
	})
	t.Run("rouge takes best precision and recall separately", func(t *testing.T) {
		// cand "a b c": ref1 "a b c d e f" gives P 1, R 1/2; ref2 "a x" gives
		// P 1/3, R 1/2. Max P 1, max R 1/2.
		r, err := Evaluate(map[int][]string{1: {"a b c d e f", "a x"}}, map[int]string{1: "a b c"})
		if err != nil {
			t.Fatal(err)
		}
		p, rc := 1.0, 0.5
		if want := (1 + 1.44) * p * rc / (rc + 1.44*p); math.Abs(r.ROUGEL-want) > 1e-12 {
			t.Errorf("ROUGE-L = %v, want %v", r.ROUGEL, want)
		}
	})
	t.Run("empty prediction", func(t *testing.T) {
		r, err := Evaluate(map[int][]string{1: {"a cat"}, 2: {"a dog"}}, map[int]string{1: "", 2: "..."})
		if err != nil {
			t.Fatal(err)
		}
		if r.BLEU[0] > 1e-6 || r.ROUGEL != 0 || r.CIDErD != 0 {
			t.Errorf("got %+v, want zeros", r)
		}
		for _, v := range []float64{r.BLEU[0], r.BLEU[3], r.ROUGEL, r.CIDErD} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("non-finite score in %+v", r)
			}
		}
	})
}

func TestEvaluateTokenizes(t *testing.T) {
	// Case and punctuation must not matter, as with PTBTokenizer.
	refs := map[int][]string{1: {"A dog's toy, on the grass."}, 2: {"Two cats."}}
	a, err := Evaluate(refs, map[int]string{1: "a DOG'S toy on the grass!", 2: "two cats"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(map[int][]string{1: {"a dog 's toy on the grass"}, 2: {"two cats"}},
		map[int]string{1: "a dog 's toy on the grass", 2: "two cats"})
	if err != nil {
		t.Fatal(err)
	}
	if a.BLEU != b.BLEU || a.ROUGEL != b.ROUGEL || a.CIDErD != b.CIDErD {
		t.Errorf("raw %+v != tokenized %+v", a, b)
	}
}

func TestPredictedOnly(t *testing.T) {
	refs := map[int][]string{1: {"a cat"}, 2: {"a dog"}, 3: {"a bird"}, 7: {"a fish"}}
	preds := map[int]string{2: "a dog", 3: "a cat", 9: "no refs"}
	got, left := PredictedOnly(refs, preds)
	if want := map[int][]string{2: {"a dog"}, 3: {"a bird"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("refs = %v, want %v", got, want)
	}
	if !slices.Equal(left, []int{1, 7}) {
		t.Errorf("left out %v, want [1 7]", left)
	}
	// A prediction without references stays an error, as in pycocoevalcap.
	if _, err := Evaluate(got, preds); err == nil || !strings.Contains(err.Error(), "prediction for image 9") {
		t.Errorf("err = %v", err)
	}
}

// A PTB token holding U+00A0 (FRAC's "2 1/2") is two words for BLEU and
// CIDEr, which pycocoevalcap splits with str.split(), and one for ROUGE-L,
// which it splits on " ".
func TestEvaluateNBSPToken(t *testing.T) {
	if got := Tokenize("2 1/2"); !slices.Equal(got, []string{"2\u00a01/2"}) {
		t.Fatalf("Tokenize = %q", got)
	}
	res, err := Evaluate(map[int][]string{1: {"2 and 1/2"}}, map[int]string{1: "2 1/2"})
	if err != nil {
		t.Fatal(err)
	}
	// BLEU-1: both words match (2 of 2); brevity penalty for 2 words
	// against 3, with bleu_scorer's tiny and small constants.
	ratio := (2 + 1e-15) / (3 + 1e-9)
	if want := (2 + 1e-15) / (2 + 1e-9) * math.Exp(1-1/ratio); math.Abs(res.BLEU[0]-want) > 1e-15 {
		t.Errorf("BLEU-1 = %v, want %v", res.BLEU[0], want)
	}
	if res.ROUGEL != 0 {
		t.Errorf("ROUGE-L = %v, want 0 (one token against three, none equal)", res.ROUGEL)
	}
}

// EvaluateOrdered tokenizes as pycocoevalcap's two tokenizer runs do: the
// one reference is the last line of its run, so "Wii U." keeps its period
// and the prediction's "u" does not match it; Evaluate assumes a next line
// starting "A " and reads "u".
func TestEvaluateOrdered(t *testing.T) {
	refs, preds := map[int][]string{1: {"The new Wii U."}}, map[int]string{1: "the new Wii U"}
	ordered, err := EvaluateOrdered(refs, preds, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Evaluate(refs, preds)
	if err != nil {
		t.Fatal(err)
	}
	bp := math.Exp(1 - 1/((4+1e-15)/(4+1e-9))) // 4 words against 4, bleu_scorer's constants
	if want := (3 + 1e-15) / (4 + 1e-9) * bp; math.Abs(ordered.BLEU[0]-want) > 1e-15 {
		t.Errorf("ordered BLEU-1 = %v, want %v", ordered.BLEU[0], want)
	}
	if want := (4 + 1e-15) / (4 + 1e-9) * bp; math.Abs(plain.BLEU[0]-want) > 1e-15 {
		t.Errorf("Evaluate BLEU-1 = %v, want %v", plain.BLEU[0], want)
	}
	// Images missing from order follow in ascending order; the result is
	// the same for any order here (one reference per image, no acronyms).
	refs2 := map[int][]string{1: {"a cat"}, 2: {"a dog"}, 3: {"a bird"}}
	preds2 := map[int]string{1: "a cat", 2: "a cat", 3: "a bird"}
	a, err := EvaluateOrdered(refs2, preds2, []int{3, 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(refs2, preds2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("EvaluateOrdered %+v, Evaluate %+v", a, b)
	}
}
