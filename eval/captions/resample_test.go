package captions

import (
	"reflect"
	"testing"
)

func TestScoredResample(t *testing.T) {
	refs := map[int][]string{
		4: {"a red circle on the left", "one red circle"},
		9: {"two blue squares", "blue squares next to a star"},
		2: {"a green star above a cross", "a star and a cross"},
	}
	preds := map[int]string{4: "a red circle", 9: "two squares", 2: "a green star and a cross"}
	s, err := Score(refs, preds)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Evaluate(refs, preds)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Result %+v, Evaluate %+v", got, want)
	}
	if !reflect.DeepEqual(s.IDs, []int{2, 4, 9}) {
		t.Fatalf("IDs %v", s.IDs)
	}
	// Two copies of image 2, none of 4, one of 9: BLEU and ROUGE-L as if the
	// copies were distinct images; CIDEr-D the mean of the per-image scores.
	got, err := s.Resample([]int{2, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Evaluate(
		map[int][]string{1: refs[2], 2: refs[2], 3: refs[9]},
		map[int]string{1: preds[2], 2: preds[2], 3: preds[9]})
	if err != nil {
		t.Fatal(err)
	}
	if got.BLEU != exp.BLEU || got.ROUGEL != exp.ROUGEL {
		t.Errorf("resample BLEU %v ROUGE-L %v, expanded %v %v", got.BLEU, got.ROUGEL, exp.BLEU, exp.ROUGEL)
	}
	c2, c9 := want.PerImageCIDErD[2], want.PerImageCIDErD[9]
	if wantC := (c2 + c2 + c9) / 3; got.CIDErD != wantC {
		t.Errorf("resample CIDEr-D %v, want %v", got.CIDErD, wantC)
	}
	for _, tc := range []struct {
		counts []int
		err    string
	}{
		{[]int{1}, "resample: 1 counts for 3 images"},
		{[]int{1, -1, 0}, "resample: negative count -1 for image 4"},
		{[]int{0, 0, 0}, "resample: no images"},
	} {
		if _, err := s.Resample(tc.counts); err == nil || err.Error() != tc.err {
			t.Errorf("Resample(%v) = %v, want %q", tc.counts, err, tc.err)
		}
	}
}
