package train

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/internal/plot"
	"rewardvision/internal/testfix"
)

var updatePlot = flag.Bool("update", false, "rewrite the golden curve.svg files in testdata/plotlog")

// checkSVG fails unless data is well-formed XML with an <svg> root.
func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	if err := plot.CheckSVG(data); err != nil {
		t.Fatal(err)
	}
}

// TestPlotLogGolden renders the fixtures (a captioning log with a
// non-finite loss and a resumed run that logs steps 22–26 again; a
// detection log with boxes per image) and compares them with the goldens.
func TestPlotLogGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		has   []string
		lacks []string
	}{
		{"captioning", []string{"captioning: 15 logged steps, 2 to 30", ">CIDEr-D<", ">BLEU-4<", ">ROUGE-L<", ">mean of 10<",
			"validation (500 images); at step 30: CIDEr-D 1.2"}, []string{">images<", "boxes"}},
		{"detection", []string{"detection: 10 logged steps, 10 to 100", ">AP<", ">AR100<", ">boxes/image<",
			"validation (200 images); at step 100: AP 0.001"}, []string{">images<", ">step<\n<circle"}},
		{"reward", []string{"reward: 21 logged steps, 0 to 20", ">AP<", ">reward<", "mean reward of the step&#39;s samples",
			"validation (500 images); at step 20: AP 0.8"}, []string{">images<"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "plotlog", tc.name)
			var b bytes.Buffer
			if err := PlotLog(filepath.Join(dir, LogFile), "", &b); err != nil {
				t.Fatal(err)
			}
			got := b.Bytes()
			checkSVG(t, got)
			testfix.Golden(t, filepath.Join(dir, CurveFile), got, *updatePlot)
			for _, s := range tc.has {
				if !bytes.Contains(got, []byte(s)) {
					t.Errorf("SVG lacks %q", s)
				}
			}
			for _, s := range tc.lacks {
				if bytes.Contains(got, []byte(s)) {
					t.Errorf("SVG has %q", s)
				}
			}
		})
	}
}

func TestReadLogResume(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "plotlog", "captioning", LogFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readLog("log", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, r := range recs {
		steps = append(steps, *r.Step)
	}
	want := []int{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
	if len(steps) != len(want) {
		t.Fatalf("steps %v, want %v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Fatalf("steps %v, want %v", steps, want)
		}
	}
	if *recs[11].Loss != 1.1418 { // the resumed run's step 24
		t.Errorf("step 24 loss %v, want the resumed run's 1.1418", *recs[11].Loss)
	}
	if recs[6].Loss != nil {
		t.Errorf("step 14 loss %v, want null", *recs[6].Loss)
	}
}

func TestPlotLogErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "nope", LogFile)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", missing, missing},
		{"malformed", write("bad.jsonl", "{\"step\":1,\"loss\":2}\n\n{\"step\":2,\"loss\":\n"), "bad.jsonl:3: "},
		{"wrong type", write("type.jsonl", "{\"step\":\"one\"}\n"), "type.jsonl:1: "},
		{"no step", write("nostep.jsonl", "{\"step\":1}\n{\"loss\":2}\n"), `nostep.jsonl:2: no "step"`},
		{"empty", write("empty.jsonl", "\n"), "empty.jsonl: no logged steps"},
		{"folder", dir, dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := PlotLog(tc.path, "", &b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes on error", b.Len())
			}
		})
	}
}

func TestMovingMean(t *testing.T) {
	in := pts(1, 2, 3, 4, math.NaN(), 6)
	got := movingMean(in, 3)
	want := []float64{1, 2, 3, 3.5, 5, 6}
	for i, p := range got {
		if p.X != in[i].X || p.Y != want[i] {
			t.Errorf("point %d: %+v, want y %v", i, p, want[i])
		}
	}
	got = movingMean(in, 4) // i-2 … i+1, shrunk at the ends
	want = []float64{1, 2, 2.5, 3, 13.0 / 3, 6}
	for i, p := range got {
		if p.Y != want[i] {
			t.Errorf("window 4, point %d: y %v, want %v", i, p.Y, want[i])
		}
	}
	if g := movingMean(pts(math.NaN()), 3); !math.IsNaN(g[0].Y) {
		t.Errorf("mean of only NaN = %v, want NaN", g[0].Y)
	}
}

// pts is the points (1, ys[0]), (2, ys[1]), ….
func pts(ys ...float64) []plot.Point {
	out := make([]plot.Point, len(ys))
	for i, y := range ys {
		out[i] = plot.Point{X: float64(i + 1), Y: y}
	}
	return out
}
