package cocoeval

import (
	"os"
	"path/filepath"
	"testing"
)

// perf5kFiles returns the perf5k fixture paths, skipping when the shared
// fixtures are absent (its large files are not copied into testdata/fixtures).
func perf5kFiles(tb testing.TB) (gt, dets string, want Report) {
	tb.Helper()
	d := fixturesDir()
	if d == "" {
		tb.Skip("shared/fixtures not found: perf5k needs the shared fixtures")
	}
	dir := filepath.Join(d, "coco-det", "perf5k")
	gt, dets = filepath.Join(dir, "gt.json.gz"), filepath.Join(dir, "dets.json.gz")
	for _, p := range []string{gt, dets} {
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("perf5k fixture missing: %v", err)
		}
	}
	return gt, dets, loadExpected(tb, "perf5k").report(tb, "bbox")
}

func TestParityPerf5k(t *testing.T) {
	gtPath, dtPath, want := perf5kFiles(t)
	gt, dets, err := LoadFiles(gtPath, dtPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(gt, dets, Params{})
	if err != nil {
		t.Fatal(err)
	}
	compareReport(t, res, want)
}

// BenchmarkPerf5k is the headline number: load (gunzip + parse both
// files), evaluate, accumulate and summarize 5,000 images, 30k ground
// truths and 106k detections.
func BenchmarkPerf5k(b *testing.B) {
	gtPath, dtPath, _ := perf5kFiles(b)
	b.ReportAllocs()
	for b.Loop() {
		gt, dets, err := LoadFiles(gtPath, dtPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Evaluate(gt, dets, Params{}); err != nil {
			b.Fatal(err)
		}
	}
}
