package panoptic

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"
)

const tol = 1e-9

func evalFixture(t testing.TB, dir string, workers int) *Result {
	t.Helper()
	r, err := Evaluate(filepath.Join(dir, "gt.json"), filepath.Join(dir, "gt"),
		filepath.Join(dir, "pred.json"), filepath.Join(dir, "pred"), Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEvaluateParity(t *testing.T) {
	for _, name := range []string{"panoptic/small", "panoptic/real2"} {
		for _, workers := range []int{1, 3} {
			t.Run(name+"/workers="+strconv.Itoa(workers), func(t *testing.T) {
				dir := fixtureDir(t, name)
				want := loadExpected(t, dir)
				got := evalFixture(t, dir, workers)
				for _, row := range []struct {
					name string
					got  Metrics
					want ReferenceMetrics
				}{{"All", got.All, want.All}, {"Things", got.Things, want.Things}, {"Stuff", got.Stuff, want.Stuff}} {
					if row.got.N != row.want.N {
						t.Errorf("%s n = %d, want %d", row.name, row.got.N, row.want.N)
					}
					checkClose(t, row.name+" pq", row.got.PQ, row.want.PQ)
					checkClose(t, row.name+" sq", row.got.SQ, row.want.SQ)
					checkClose(t, row.name+" rq", row.got.RQ, row.want.RQ)
				}
				if len(got.PerClass) != len(want.PerClass) {
					t.Errorf("%d classes, want %d", len(got.PerClass), len(want.PerClass))
				}
				for _, c := range got.PerClass {
					w, ok := want.PerClass[strconv.Itoa(c.CategoryID)]
					if !ok {
						t.Errorf("class %d not in expected.json", c.CategoryID)
						continue
					}
					checkClose(t, "class "+strconv.Itoa(c.CategoryID)+" pq", c.PQ, w.PQ)
					checkClose(t, "class "+strconv.Itoa(c.CategoryID)+" sq", c.SQ, w.SQ)
					checkClose(t, "class "+strconv.Itoa(c.CategoryID)+" rq", c.RQ, w.RQ)
				}
				lines := got.SummaryLines()
				if len(lines) != len(want.Meta.PrintedTable) {
					t.Fatalf("table %q, want %q", lines, want.Meta.PrintedTable)
				}
				for i := range lines {
					if lines[i] != want.Meta.PrintedTable[i] {
						t.Errorf("table line %d = %q, want %q", i, lines[i], want.Meta.PrintedTable[i])
					}
				}
			})
		}
	}
}

// The per-image results must recombine into the dataset result, and the
// summation order makes the outcome independent of the worker count.
func TestEvaluateDeterministic(t *testing.T) {
	dir := fixtureDir(t, "panoptic/small")
	a, b := evalFixture(t, dir, 1), evalFixture(t, dir, 8)
	if a.All != b.All || a.Things != b.Things || a.Stuff != b.Stuff {
		t.Errorf("workers 1 vs 8: %+v vs %+v", a.All, b.All)
	}
	if len(a.PerImage) != 20 {
		t.Fatalf("%d per-image results, want 20", len(a.PerImage))
	}
	tp, fp, fn := 0, 0, 0
	for i, im := range a.PerImage {
		if im != b.PerImage[i] {
			t.Errorf("image %d differs: %+v vs %+v", i, im, b.PerImage[i])
		}
		if im.PQ < 0 || im.PQ > 1 || im.N == 0 {
			t.Errorf("image %s: PQ %v N %d", im.ImageID, im.PQ, im.N)
		}
		tp, fp, fn = tp+im.TP, fp+im.FP, fn+im.FN
	}
	ctp, cfp, cfn := 0, 0, 0
	for _, c := range a.PerClass {
		ctp, cfp, cfn = ctp+c.TP, cfp+c.FP, cfn+c.FN
	}
	if tp != ctp || fp != cfp || fn != cfn {
		t.Errorf("per-image TP/FP/FN %d/%d/%d, per-class %d/%d/%d", tp, fp, fn, ctp, cfp, cfn)
	}
}

func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.17g, want %.17g (diff %.3g)", what, got, want, got-want)
	}
}
