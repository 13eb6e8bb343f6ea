package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/cli"
	"rewardvision/internal/testfix"
)

// cocoFixture is file of the pycocotools fixture coco-det/<name> (the
// shared one, else the repository's copy).
func cocoFixture(t testing.TB, name, file string) string {
	t.Helper()
	return filepath.Join(testfix.Dir(t, "coco-det/"+name), file)
}

func TestEvalCOCOJSONMatchesFixture(t *testing.T) {
	tests := []struct{ set, iouType, dets string }{
		{"small", "bbox", "dets.json"},
		{"small", "segm", "dets_segm.json"},
		{"real2", "segm", "dets.json"},
	}
	for _, tc := range tests {
		t.Run(tc.set+"/"+tc.iouType, func(t *testing.T) {
			var out bytes.Buffer
			err := evalCOCOCommand(&out, io.Discard).Run(context.Background(), []string{
				"--gt", cocoFixture(t, tc.set, "gt.json"), "--dt", cocoFixture(t, tc.set, tc.dets), "--iou-type", tc.iouType, "--json"})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			data, err := os.ReadFile(cocoFixture(t, tc.set, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var all map[string]map[string]any
			if err := json.Unmarshal(data, &all); err != nil {
				t.Fatal(err)
			}
			want := all[tc.iouType]
			if !slices.Equal(panopticKeys(got), panopticKeys(want)) {
				t.Fatalf("keys %v, want %v", panopticKeys(got), panopticKeys(want))
			}
			for _, group := range []string{"stats", "per_category_AP"} {
				g, w := got[group].(map[string]any), want[group].(map[string]any)
				if !slices.Equal(panopticKeys(g), panopticKeys(w)) {
					t.Fatalf("%s keys %v, want %v", group, panopticKeys(g), panopticKeys(w))
				}
				for k, wv := range w {
					if d := math.Abs(g[k].(float64) - wv.(float64)); d > 1e-9 {
						t.Errorf("%s.%s = %v, want %v", group, k, g[k], wv)
					}
				}
			}
			if got["results_file"] != want["results_file"] {
				t.Errorf("results_file %v, want %v", got["results_file"], want["results_file"])
			}
			gl, _ := json.Marshal(got["summary_lines"])
			wl, _ := json.Marshal(want["summary_lines"])
			if !bytes.Equal(gl, wl) {
				t.Errorf("summary_lines\n got %s\nwant %s", gl, wl)
			}
		})
	}
}

func TestEvalCOCOTable(t *testing.T) {
	var out bytes.Buffer
	err := evalCOCOCommand(&out, io.Discard).Run(context.Background(), []string{
		"--gt", cocoFixture(t, "small", "gt.json"), "--dt", cocoFixture(t, "small", "dets.json"), "--timing"})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.292",
		" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.451",
		"Per-category AP", "       1  c0                          0.256",
		"timing: load ", "total ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestEvalCOCOMaxDets(t *testing.T) {
	var out bytes.Buffer
	err := evalCOCOCommand(&out, io.Discard).Run(context.Background(), []string{
		"--gt", cocoFixture(t, "small", "gt.json"), "--dt", cocoFixture(t, "small", "dets.json"), "--max-dets", "1,5,20"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "maxDets=  5 ] = ") || !strings.Contains(out.String(), "maxDets= 20 ] = ") {
		t.Errorf("custom maxDets not in the table:\n%s", out.String())
	}
}

func TestEvalCOCOErrors(t *testing.T) {
	dir := t.TempDir()
	badDets := filepath.Join(dir, "bad.json")
	os.WriteFile(badDets, []byte(`[{"image_id": 1000, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5},
		{"image_id": 4, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]`), 0o644)
	negDets := filepath.Join(dir, "neg.json")
	os.WriteFile(negDets, []byte(`[{"image_id": 1000, "category_id": 1, "bbox": [0, 0, -5, 5], "score": 0.5}]`), 0o644)
	catDets := filepath.Join(dir, "cat.json")
	os.WriteFile(catDets, []byte(`[{"image_id": 1000, "category_id": 2, "bbox": [0, 0, 5, 5], "score": 0.5}]`), 0o644)
	trunc := filepath.Join(dir, "trunc.json")
	os.WriteFile(trunc, []byte(`[{"image_id": 1000, "category_id": 1, "bbox": [0, 0`), 0o644)
	rleDets := filepath.Join(dir, "rle.json")
	os.WriteFile(rleDets, []byte(`[{"image_id": 1000, "category_id": 1, "score": 0.5, "segmentation": {"size": [375, 500], "counts": "\\\\"}}]`), 0o644)
	gt := cocoFixture(t, "small", "gt.json")
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no flags", nil, cli.ExitUsage, []string{"--gt and --dt are required"}},
		{"bad iou type", []string{"--gt", gt, "--dt", badDets, "--iou-type", "keypoints"}, cli.ExitUsage, []string{"--iou-type"}},
		{"bad max dets", []string{"--gt", gt, "--dt", badDets, "--max-dets", "1,10"}, cli.ExitUsage, []string{"--max-dets"}},
		{"decreasing max dets", []string{"--gt", gt, "--dt", badDets, "--max-dets", "10,1,100"}, cli.ExitUsage, []string{"increasing"}},
		{"extra argument", []string{"--gt", gt, "--dt", badDets, "x"}, cli.ExitUsage, []string{"no arguments"}},
		{"image not in gt", []string{"--gt", gt, "--dt", badDets}, cli.ExitFailure, []string{"bad.json", "detection 1", "image_id 4"}},
		{"negative box", []string{"--gt", gt, "--dt", negDets}, cli.ExitFailure, []string{"neg.json", "detection 0", "negative"}},
		{"unknown category, strict", []string{"--strict", "--gt", gt, "--dt", catDets}, cli.ExitFailure, []string{"cat.json", "detection 0", "category_id 2"}},
		{"malformed JSON", []string{"--gt", gt, "--dt", trunc}, cli.ExitFailure, []string{"trunc.json", "detection 0", "line 1"}},
		{"bad RLE", []string{"--gt", gt, "--dt", rleDets, "--iou-type", "segm"}, cli.ExitFailure, []string{"rle.json", "detection 0", "invalid RLE"}},
		{"missing file", []string{"--gt", filepath.Join(dir, "nope.json"), "--dt", badDets}, cli.ExitFailure, []string{"nope.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := evalCOCOCommand(&out, io.Discard).Run(context.Background(), tc.args)
			if code := cli.ExitCode(err); code != tc.code {
				t.Fatalf("exit code %d (%v), want %d", code, err, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestEvalCOCOThroughRoot(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"eval", "coco", "--gt", cocoFixture(t, "real2", "gt.json"), "--dt", cocoFixture(t, "real2", "dets.json"), "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"AP": 0.6127926880012291`) {
		t.Errorf("unexpected output:\n%s", stdout.String())
	}
}

// With --json the timing line goes to the stderr run was given, keeping
// stdout pure JSON.
func TestEvalCOCOTimingOnInjectedStderr(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"eval", "coco", "--gt", cocoFixture(t, "real2", "gt.json"), "--dt", cocoFixture(t, "real2", "dets.json"),
		"--json", "--timing"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "timing: load") {
		t.Errorf("stderr %q lacks the timing line", stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Errorf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
}
