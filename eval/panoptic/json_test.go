package panoptic

import (
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	f, err := ParseFile([]byte(`{"annotations": [
	    {"image_id": 7, "file_name": "a/7.png", "segments_info": [
	        {"id": 1, "category_id": 3, "area": 12.0, "iscrowd": 1, "bbox": [0, 0, 1, 1]},
	        {"id": 16777215, "category_id": 4}]},
	    {"image_id": "7", "file_name": "s.png", "segments_info": []}],
	  "categories": [{"id": 3, "name": "car", "isthing": 1}, {"id": 4, "name": "road", "isthing": false}],
	  "images": [], "info": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := f.Annotations[0]
	if a.ImageID != "7" || a.FileName != "a/7.png" || len(a.Segments) != 2 {
		t.Fatalf("annotation %+v", a)
	}
	if s := a.Segments[0]; s != (Segment{ID: 1, CategoryID: 3, IsCrowd: true, Area: 12}) {
		t.Errorf("segment %+v", s)
	}
	if s := a.Segments[1]; s != (Segment{ID: MaxSegmentID, CategoryID: 4}) {
		t.Errorf("segment %+v", s)
	}
	if f.Annotations[1].ImageID != `"7"` {
		t.Errorf("string image id = %s, want quoted", f.Annotations[1].ImageID)
	}
	if len(f.Categories) != 2 || !f.Categories[0].IsThing || f.Categories[1].IsThing || f.Categories[0].Name != "car" {
		t.Errorf("categories %+v", f.Categories)
	}
}

func TestParseFileErrors(t *testing.T) {
	ann := func(segs string) string {
		return `{"annotations": [{"image_id": 5, "file_name": "5.png", "segments_info": [` + segs + `]}]}`
	}
	tests := []struct{ name, doc, want string }{
		{"not JSON", `{"annotations": `, "malformed JSON"},
		{"list", `[1, 2]`, "malformed JSON"},
		{"no annotations", `{"categories": []}`, `no "annotations" list`},
		{"null", `null`, `no "annotations" list`},
		{"annotations not a list", `{"annotations": {}}`, "malformed JSON"},
		{"missing image id", `{"annotations": [{"file_name": "x.png"}]}`, "annotations[0]: missing image_id"},
		{"bool image id", `{"annotations": [{"image_id": true, "file_name": "x.png"}]}`, "annotations[0]: image_id: want an integer"},
		{"missing file name", `{"annotations": [{"image_id": 1}]}`, "annotations[0]: image_id 1: missing file_name"},
		{"file name number", `{"annotations": [{"image_id": 1, "file_name": 3}]}`, "file_name: want a string"},
		{"file name escapes", `{"annotations": [{"image_id": 1, "file_name": "../x.png"}]}`, `file_name "../x.png" is not a local relative path`},
		{"absolute file name", `{"annotations": [{"image_id": 1, "file_name": "/etc/x.png"}]}`, "not a local relative path"},
		{"duplicate image", `{"annotations": [{"image_id": 1, "file_name": "a"}, {"image_id": 1, "file_name": "b"}]}`, "annotations[1]: duplicate image_id 1 (also annotations[0])"},
		{"missing segment id", ann(`{"category_id": 1}`), "annotations[0]: image_id 5: segments_info[0]: missing id"},
		{"segment id zero", ann(`{"id": 0, "category_id": 1}`), "segments_info[0]: id 0 outside 1..16777215"},
		{"segment id 25 bits", ann(`{"id": 16777216, "category_id": 1}`), "id 16777216 outside"},
		{"segment id fraction", ann(`{"id": 1.5, "category_id": 1}`), "id: want an integer, got 1.5"},
		{"segment id string", ann(`{"id": "1", "category_id": 1}`), `id: want an integer, got "1"`},
		{"segment id huge", ann(`{"id": 1e300, "category_id": 1}`), "want an integer"},
		{"missing category", ann(`{"id": 1}`), "segment id 1: missing category_id"},
		{"bad crowd", ann(`{"id": 1, "category_id": 1, "iscrowd": 2}`), "segment id 1: iscrowd: want 0 or 1, got 2"},
		{"negative area", ann(`{"id": 1, "category_id": 1, "area": -3}`), "segment id 1: area -3 out of range"},
		{"NaN-ish area", ann(`{"id": 1, "category_id": 1, "area": "NaN"}`), "area: want an integer"},
		{"duplicate segment", ann(`{"id": 1, "category_id": 1}, {"id": 1, "category_id": 2}`), "segments_info[1]: duplicate segment id 1 (also segments_info[0])"},
		{"category without id", `{"annotations": [], "categories": [{"name": "x"}]}`, "categories[0]: missing id"},
		{"bad isthing", `{"annotations": [], "categories": [{"id": 1, "isthing": "yes"}]}`, "categories[0]: category 1: isthing: want 0 or 1"},
		{"duplicate category", `{"annotations": [], "categories": [{"id": 1}, {"id": 1}]}`, "categories[1]: duplicate category id 1 (also categories[0])"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadFileNamesPath(t *testing.T) {
	_, err := LoadFile("testdata/does-not-exist.json")
	if err == nil || !strings.Contains(err.Error(), "load testdata/does-not-exist.json") {
		t.Errorf("err = %v", err)
	}
}
