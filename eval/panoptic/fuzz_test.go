package panoptic

import (
	"path/filepath"
	"testing"
)

// FuzzParseFile: the JSON loader never panics, and what it accepts obeys
// the invariants the matcher relies on.
func FuzzParseFile(f *testing.F) {
	// Seeds are small on purpose: whole fixture files (13 KB) stall the
	// mutator's minimisation. More seeds live in testdata/fuzz/FuzzParseFile.
	f.Add([]byte(`{"annotations": [{"image_id": 1, "file_name": "1.png", "segments_info": [{"id": 1, "category_id": 1, "iscrowd": 1, "area": 4}]}], "categories": [{"id": 1, "isthing": 1}]}`))
	f.Add([]byte(`{"annotations": [{"image_id": "x", "file_name": "a/b.png", "segments_info": [{"id": 16777215, "category_id": -1, "area": 1e3}]}]}`))
	f.Add([]byte(`{"annotations": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data)
		if err != nil {
			return
		}
		if _, err := NewCategories(file.Categories); err != nil {
			t.Fatalf("accepted duplicate categories: %v", err)
		}
		images := map[ImageID]bool{}
		for _, a := range file.Annotations {
			if images[a.ImageID] {
				t.Fatalf("duplicate image %s accepted", a.ImageID)
			}
			images[a.ImageID] = true
			if !filepath.IsLocal(a.FileName) {
				t.Fatalf("non-local file name %q accepted", a.FileName)
			}
			ids := map[uint32]bool{}
			for _, s := range a.Segments {
				if s.ID == 0 || s.ID > MaxSegmentID || ids[s.ID] || s.Area < 0 {
					t.Fatalf("bad segment accepted: %+v", s)
				}
				ids[s.ID] = true
			}
		}
	})
}
