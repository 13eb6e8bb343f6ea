package cocoeval

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"rewardvision/internal/testfix"
)

// tol is the fixtures' recommended absolute tolerance.
const tol = 1e-9

// fixturesDir is the shared fixtures folder; "" when absent (a clean clone).
func fixturesDir() string { return testfix.SharedDir() }

// fixtureFile returns the path of a coco-det fixture file: the shared
// fixtures, else the repository's copy.
func fixtureFile(t testing.TB, set, name string) string {
	t.Helper()
	return testfix.Path(t, "coco-det/"+set+"/"+name)
}

type expectedFile map[string]json.RawMessage

func loadExpected(t testing.TB, set string) expectedFile {
	t.Helper()
	b, err := os.ReadFile(fixtureFile(t, set, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedFile
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e expectedFile) report(t testing.TB, iouType string) Report {
	t.Helper()
	var r Report
	if err := json.Unmarshal(e[iouType], &r); err != nil {
		t.Fatalf("expected.json %s: %v", iouType, err)
	}
	return r
}

// compareReport checks every stat, every per-category AP, the counts and
// the summary lines.
func compareReport(t *testing.T, got *Result, want Report) {
	t.Helper()
	gs, ws := got.Stats.Slice(), want.Stats.Slice()
	for i := range gs {
		if math.Abs(gs[i]-ws[i]) > tol {
			t.Errorf("%s = %.17g, want %.17g (diff %.3g)", StatNames[i], gs[i], ws[i], gs[i]-ws[i])
		}
	}
	if len(got.PerCategoryAP) != len(want.PerCategoryAP) {
		t.Errorf("%d per-category APs, want %d", len(got.PerCategoryAP), len(want.PerCategoryAP))
	}
	for id, w := range want.PerCategoryAP {
		g, ok := got.PerCategoryAP[id]
		if !ok || math.Abs(g-w) > tol {
			t.Errorf("category %d AP = %.17g (present %v), want %.17g", id, g, ok, w)
		}
	}
	if got.Counts != want.Counts {
		t.Errorf("counts %+v, want %+v", got.Counts, want.Counts)
	}
	lines := got.SummaryLines()
	for i := range want.SummaryLines {
		if i >= len(lines) || lines[i] != want.SummaryLines[i] {
			t.Errorf("summary line %d:\n got %q\nwant %q", i, lines[i], want.SummaryLines[i])
		}
	}
}

func TestParityWithPycocotools(t *testing.T) {
	tests := []struct {
		set, iouType, results string
	}{
		{"small", "bbox", "dets.json"},
		{"small", "segm", "dets_segm.json"},
		{"real2", "bbox", "dets.json"},
		{"real2", "segm", "dets.json"},
	}
	for _, tc := range tests {
		t.Run(tc.set+"/"+tc.iouType, func(t *testing.T) {
			want := loadExpected(t, tc.set).report(t, tc.iouType)
			if want.ResultsFile != tc.results {
				t.Fatalf("expected.json evaluates %s, test uses %s", want.ResultsFile, tc.results)
			}
			gt, dets, err := LoadFiles(fixtureFile(t, tc.set, "gt.json"), fixtureFile(t, tc.set, tc.results))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Evaluate(gt, dets, Params{IoUType: tc.iouType})
			if err != nil {
				t.Fatal(err)
			}
			compareReport(t, res, want)
		})
	}
}
