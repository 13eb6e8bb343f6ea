package cocoeval

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// miniGT is a two-image ground truth used by the loader tests.
const miniGT = `{"images": [{"id": 1, "width": 20, "height": 10}, {"id": 2, "width": 20, "height": 10}],
 "categories": [{"id": 7, "name": "cat"}, {"id": 9, "name": "dog"}],
 "annotations": [
  {"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 16, "iscrowd": 0,
   "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5]]},
  {"id": 2, "image_id": 2, "category_id": 9, "bbox": [0, 0, 2, 10], "area": 20, "iscrowd": 1,
   "segmentation": {"size": [10, 20], "counts": [0, 20, 180]}}
 ]}`

func mustGT(t *testing.T, s string) *GroundTruth {
	t.Helper()
	gt, err := parseGroundTruth([]byte(s), "gt.json")
	if err != nil {
		t.Fatal(err)
	}
	return gt
}

func TestLoadGroundTruthFields(t *testing.T) {
	gt := mustGT(t, miniGT)
	if len(gt.Images) != 2 || len(gt.Categories) != 2 || len(gt.Annotations) != 2 {
		t.Fatalf("counts %d %d %d", len(gt.Images), len(gt.Categories), len(gt.Annotations))
	}
	a := gt.Annotations[1]
	if a.ID != 2 || a.ImageID != 2 || a.CategoryID != 9 || a.BBox != [4]float64{0, 0, 2, 10} || a.Area != 20 || !a.IsCrowd {
		t.Errorf("annotation 1 = %+v", a)
	}
	if c, ok := gt.Category(9); !ok || c.Name != "dog" {
		t.Errorf("Category(9) = %+v, %v", c, ok)
	}
	if err := gt.decodeMasks(2); err != nil {
		t.Fatal(err)
	}
	if m := gt.Annotations[1].Segmentation; m == nil || m.Area() != 20 {
		t.Errorf("crowd mask %+v, want area 20", m)
	}
	if m := gt.Annotations[0].Segmentation; m == nil || m.Area() != 16 {
		t.Errorf("polygon mask area %d, want 16", m.Area())
	}
	// Gzipped input through the io.Reader API.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(miniGT))
	zw.Close()
	gz, err := LoadGroundTruth(&zb)
	if err != nil || len(gz.Annotations) != 2 {
		t.Errorf("gzipped LoadGroundTruth: %v", err)
	}
}

func TestLoadGroundTruthErrors(t *testing.T) {
	ann := func(s string) string {
		return `{"images": [{"id": 1, "width": 20, "height": 10}], "categories": [{"id": 7}], "annotations": [` + s + `]}`
	}
	good := `{"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 16}`
	tests := []struct {
		name, data string
		want       []string // substrings of the error
	}{
		{"not JSON", `hello`, []string{"gt.json", "line 1 col 1"}},
		{"list at top level", `[]`, []string{"gt.json", "want '{'"}},
		{"truncated", miniGT[:200], []string{"gt.json", "annotations[0]"}},
		{"trailing garbage", miniGT + "x", []string{"gt.json", "after the top-level value"}},
		{"missing annotations", `{"images": [], "categories": []}`, []string{"no \"annotations\""}},
		{"duplicate image id", `{"images": [{"id": 1}, {"id": 1}], "categories": [], "annotations": []}`, []string{"duplicate image id 1"}},
		{"duplicate annotation id", ann(good + "," + good), []string{"duplicate annotation id 1"}},
		{"unknown image", ann(`{"id": 1, "image_id": 5, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 16}`), []string{"annotation 0 (id 1)", "image_id 5"}},
		{"unknown category", ann(`{"id": 1, "image_id": 1, "category_id": 8, "bbox": [1, 1, 4, 4], "area": 16}`), []string{"annotation 0 (id 1)", "category_id 8"}},
		{"negative box", ann(good + `, {"id": 2, "image_id": 1, "category_id": 7, "bbox": [1, 1, -4, 4], "area": 16}`), []string{"annotations[1] (id 2)", "bbox", "negative"}},
		{"short box", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4], "area": 16}`), []string{"annotations[0] (id 3)", "bbox"}},
		{"huge number", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 1e999], "area": 16}`), []string{"annotations[0] (id 3)", "out of range"}},
		{"infinite area product", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 1e200, 1e200], "area": 16}`), []string{"annotations[0] (id 3)", "not finite"}},
		{"NaN literal", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, NaN, 4], "area": 16}`), []string{"annotations[0] (id 3)"}},
		{"fractional id", ann(`{"id": 3.5, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 16}`), []string{"want an integer"}},
		{"missing area", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4]}`), []string{"annotations[0] (id 3)", "no area"}},
		{"negative area", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": -1}`), []string{"negative"}},
		{"unterminated segmentation", ann(`{"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 1, "segmentation": [[1, 2`), []string{"gt.json", "annotations[0] (id 3)"}},
		{"unterminated list", `{"annotations": [{"id": 3, "segmentation": [[1, 2`, []string{"gt.json", "unterminated"}},
		{"deep nesting", `{"info": ` + strings.Repeat("[", 1000) + `}`, []string{"nesting deeper"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseGroundTruth([]byte(tc.data), "gt.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestGroundTruthSegmentationErrors(t *testing.T) {
	tests := []struct {
		name, seg, want string
	}{
		{"bad compressed RLE", `{"size": [10, 20], "counts": "!!"}`, "annotation 0 (id 1)"},
		{"RLE of another size", `{"size": [10, 21], "counts": [210]}`, "differs from the image"},
		{"RLE counts short", `{"size": [10, 20], "counts": [5, 5]}`, "add up to"},
		{"odd polygon", `[[1, 2, 3, 4, 5, 6, 7]]`, "polygon"},
		{"not a segmentation", `"x"`, "no segmentation"},
		{"malformed inside", `[[1, 2, 3,, 4]]`, "annotation 0 (id 1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gt := mustGT(t, `{"images": [{"id": 1, "width": 20, "height": 10}], "categories": [{"id": 7}], "annotations": [
				{"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "area": 16, "segmentation": `+tc.seg+`}]}`)
			_, err := Evaluate(gt, nil, Params{IoUType: IoUSegm})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "gt.json") {
				t.Errorf("error %v, want one naming gt.json and %q", err, tc.want)
			}
			// bbox evaluation does not need the masks.
			if _, err := Evaluate(gt, nil, Params{}); err != nil {
				t.Errorf("bbox evaluation: %v", err)
			}
		})
	}
}

func TestLoadResultsErrors(t *testing.T) {
	gt := mustGT(t, miniGT)
	rec := func(extra string) string {
		return `{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 0.5` + extra + `}`
	}
	tests := []struct {
		name, data string
		want       []string
	}{
		{"malformed JSON", `[` + rec("") + `,`, []string{"dt.json", "detection 1"}},
		{"object, not list", `{"image_id": 1}`, []string{"dt.json", "want a list"}},
		{"image not in gt", `[` + rec("") + `, {"image_id": 3, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 0.5}]`, []string{"dt.json", "detection 1", "image_id 3"}},
		{"unknown category", `[{"image_id": 1, "category_id": 8, "bbox": [1, 1, 4, 4], "score": 0.5}]`, []string{"detection 0", "category_id 8"}},
		{"negative width", `[{"image_id": 1, "category_id": 7, "bbox": [1, 1, -4, 4], "score": 0.5}]`, []string{"detection 0", "negative"}},
		{"NaN literal", `[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": NaN}]`, []string{"detection 0"}},
		{"huge score", `[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 1e400}]`, []string{"detection 0", "out of range"}},
		{"missing score", `[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4]}]`, []string{"detection 0", "no score"}},
		{"bbox missing after first", `[` + rec("") + `, {"image_id": 1, "category_id": 7, "score": 0.5, "segmentation": {"size": [10, 20], "counts": "0"}}]`, []string{"detection 1", "no bbox"}},
		{"segmentation missing", `[{"image_id": 1, "category_id": 7, "score": 0.5}]`, []string{"detection 0", "no segmentation"}},
		{"bad RLE string", `[{"image_id": 1, "category_id": 7, "score": 0.5, "segmentation": {"size": [10, 20], "counts": "~~"}}]`, []string{"detection 0", "segmentation", "invalid RLE"}},
		{"RLE of the wrong size", `[{"image_id": 1, "category_id": 7, "score": 0.5, "segmentation": {"size": [10, 10], "counts": "0"}}]`, []string{"detection 0", "differs"}},
		{"RLE without size", `[{"image_id": 1, "category_id": 7, "score": 0.5, "segmentation": {"counts": "0"}}]`, []string{"detection 0", "size"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rf, err := parseResults([]byte(tc.data), "dt.json")
			if err == nil {
				_, err = rf.resolve(gt)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadResultsRules(t *testing.T) {
	gt := mustGT(t, miniGT)
	// bbox branch: area w*h even with a mask; the mask is kept.
	dets, err := LoadResults(strings.NewReader(`[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 3], "score": 0.5,
		"segmentation": {"size": [10, 20], "counts": [0, 20, 180]}}, {"image_id": 2, "category_id": 9, "bbox": [0, 0, 2, 2], "score": 0.25}]`), gt)
	if err != nil {
		t.Fatal(err)
	}
	if d := dets[0]; d.Area != 12 || d.Segmentation == nil || d.Segmentation.Area() != 20 {
		t.Errorf("bbox-branch detection %+v: want area 12 and a 20-pixel mask", d)
	}
	if dets[1].Segmentation != nil || dets[1].Area != 4 {
		t.Errorf("box-only detection %+v", dets[1])
	}
	// segm branch: area and box from the mask ("bbox": [] counts as absent).
	dets, err = LoadResults(strings.NewReader(`[{"image_id": 1, "category_id": 7, "bbox": [], "score": 0.5,
		"segmentation": {"size": [10, 20], "counts": [0, 20, 180]}}]`), gt)
	if err != nil {
		t.Fatal(err)
	}
	if d := dets[0]; d.Area != 20 || d.BBox != [4]float64{0, 0, 2, 10} {
		t.Errorf("segm-branch detection %+v: want area 20, box [0 0 2 10]", d)
	}
	// Empty list.
	dets, err = LoadResults(strings.NewReader(" [ ] "), gt)
	if err != nil || len(dets) != 0 {
		t.Errorf("empty list: %v %v", dets, err)
	}
}

func TestLoadFilesErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	gtPath := filepath.Join(dir, "gt.json")
	dtPath := filepath.Join(dir, "dt.json")
	os.WriteFile(gtPath, []byte(miniGT), 0o644)
	os.WriteFile(dtPath, []byte(`[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 0.5}, {"image_id": 4}]`), 0o644)
	_, _, err := LoadFiles(gtPath, dtPath)
	if err == nil || !strings.Contains(err.Error(), dtPath) || !strings.Contains(err.Error(), "detection 1") {
		t.Errorf("error %v, want one naming %s and detection 1", err, dtPath)
	}
	_, _, err = LoadFiles(filepath.Join(dir, "missing.json"), dtPath)
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(gtPath, []byte{0x1f, 0x8b, 1, 2, 3}, 0o644)
	if _, err := LoadGroundTruthFile(gtPath); err == nil || !strings.Contains(err.Error(), "gt.json") {
		t.Errorf("corrupt gzip: %v", err)
	}
}
