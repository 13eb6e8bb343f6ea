package panoptic

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/coco"
)

// writeSet writes a one-image panoptic set (JSON + PNG folder) under dir.
func writeSet(t *testing.T, dir, name string, img Image, segsJSON string) (jsonPath, pngDir string) {
	t.Helper()
	pngDir = filepath.Join(dir, name)
	if err := os.MkdirAll(pngDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if img.IDs != nil {
		f, err := os.Create(filepath.Join(pngDir, "1.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := coco.EncodeIDMap(f, &coco.IDMap{Width: img.Width, Height: img.Height, IDs: img.IDs}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	jsonPath = filepath.Join(dir, name+".json")
	doc := `{"annotations": [{"image_id": 1, "file_name": "1.png", "segments_info": ` + segsJSON + `}],
	  "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 187, "name": "sky", "isthing": 0}]}`
	if err := os.WriteFile(jsonPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return jsonPath, pngDir
}

func TestEvaluateFileErrors(t *testing.T) {
	good := grid(nil, "aaaa", "abba")
	goodSegs := `[{"id": 1, "category_id": 187, "area": 6}, {"id": 2, "category_id": 1, "area": 2}]`
	tests := []struct {
		name     string
		pred     Image
		predSegs string
		mutate   func(t *testing.T, predJSON, predDir string)
		want     []string
	}{
		{name: "ok", pred: good, predSegs: goodSegs},
		{name: "missing PNG", pred: Image{}, predSegs: goodSegs,
			want: []string{"image_id 1", "pred", "1.png", "no such file"}},
		{name: "undecodable PNG", pred: good, predSegs: goodSegs,
			mutate: func(t *testing.T, _, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "1.png"), []byte("\x89PNG\r\n\x1a\ngarbage"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"image_id 1", "read id map ", "1.png", "png"}},
		{name: "size mismatch", pred: grid(nil, "aaaa", "abba", "aaaa"), predSegs: goodSegs,
			want: []string{"image_id 1", "size mismatch: gt 4x2, pred 4x3"}},
		{name: "id in JSON not in PNG", pred: good, predSegs: `[{"id": 1, "category_id": 187}, {"id": 2, "category_id": 1}, {"id": 7, "category_id": 1}]`,
			want: []string{"image_id 1", "pred: segments_info[2]: segment id 7 (RGB 7,0,0) is in segments_info but not in the PNG"}},
		{name: "id in PNG not in JSON", pred: good, predSegs: `[{"id": 1, "category_id": 187}]`,
			want: []string{"image_id 1", "pred: segment id 2 (RGB 2,0,0) is in the PNG but not in segments_info"}},
		{name: "unknown category", pred: good, predSegs: `[{"id": 1, "category_id": 187}, {"id": 2, "category_id": 99}]`,
			want: []string{"image_id 1", "segment id 2 has unknown category_id 99"}},
		{name: "malformed JSON", pred: good, predSegs: goodSegs,
			mutate: func(t *testing.T, path, _ string) {
				if err := os.WriteFile(path, []byte(`{"annotations": [`), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"load ", "pred.json", "malformed JSON"}},
		{name: "no prediction for an image", pred: good, predSegs: goodSegs,
			mutate: func(t *testing.T, path, _ string) {
				if err := os.WriteFile(path, []byte(`{"annotations": [{"image_id": 2, "file_name": "1.png", "segments_info": []}]}`), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"pred: no annotation for image_id 1 (gt annotations[0], 1.png)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			gtJSON, gtDir := writeSet(t, dir, "gt", good, goodSegs)
			predJSON, predDir := writeSet(t, dir, "pred", tc.pred, tc.predSegs)
			if tc.mutate != nil {
				tc.mutate(t, predJSON, predDir)
			}
			r, err := Evaluate(gtJSON, gtDir, predJSON, predDir, Options{})
			if tc.want == nil {
				if err != nil || r.All.PQ != 1 || r.All.N != 2 || r.PerImage[0].PQ != 1 {
					t.Fatalf("Evaluate = %+v, %v; want PQ 1 over 2 classes", r, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEvaluateCancelled(t *testing.T) {
	dir := fixtureDir(t, "panoptic/small")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := EvaluateContext(ctx, filepath.Join(dir, "gt.json"), filepath.Join(dir, "gt"),
		filepath.Join(dir, "pred.json"), filepath.Join(dir, "pred"), Options{Workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestEvaluateProgress(t *testing.T) {
	dir := fixtureDir(t, "panoptic/small")
	calls, last := 0, 0
	_, err := Evaluate(filepath.Join(dir, "gt.json"), filepath.Join(dir, "gt"),
		filepath.Join(dir, "pred.json"), filepath.Join(dir, "pred"),
		Options{Workers: 4, Progress: func(done, total int) { calls++; last = done }})
	if err != nil || calls != 20 || last != 20 {
		t.Errorf("progress calls %d last %d err %v; want 20, 20", calls, last, err)
	}
}
