package cocoeval

import (
	"math"
	"testing"
)

// FuzzLoadGroundTruth: any bytes either fail to load with an error or give
// a ground truth that evaluates (bbox and segm) without panicking.
func FuzzLoadGroundTruth(f *testing.F) {
	f.Add([]byte(miniGT))
	f.Add([]byte(`{"images": [{"id": 1, "width": 4, "height": 3}], "categories": [{"id": 1}], "annotations": [{"id": 0, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {"size": [3, 4], "counts": "04"}}]}`))
	f.Add([]byte(`{"images": [], "categories": [], "annotations": [], "info": {"x": [1, {"y": null}]}}`))
	f.Add([]byte(`{"images": [{"id": 1}], "categories": [{"id": 2}], "annotations": [{"id": 1, "image_id": 1, "category_id": 2, "bbox": [0, 0, 1e308, 1e308], "area": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		gt, err := parseGroundTruth(data, "fuzz.json")
		if err != nil {
			return
		}
		dets := make([]Detection, 0, len(gt.Annotations))
		for _, a := range gt.Annotations {
			dets = append(dets, Detection{ImageID: a.ImageID, CategoryID: a.CategoryID, BBox: a.BBox, Score: 0.5})
		}
		for _, typ := range []string{IoUBBox, IoUSegm} {
			res, err := Evaluate(gt, dets, Params{IoUType: typ})
			if err != nil {
				continue
			}
			for _, v := range res.Stats.Slice() {
				if math.IsNaN(v) || v < -1 || v > 1 {
					t.Fatalf("%s stat %v out of range", typ, v)
				}
			}
		}
	})
}

// FuzzLoadResults: any results bytes against a fixed ground truth either
// fail with an error or evaluate without panicking.
func FuzzLoadResults(f *testing.F) {
	f.Add([]byte(`[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 0.5}]`))
	f.Add([]byte(`[{"image_id": 2, "category_id": 9, "score": 0.5, "segmentation": {"size": [10, 20], "counts": "0` + "`" + `3"}}]`))
	f.Add([]byte(`[{"image_id": 1, "category_id": 7, "score": 0.5, "segmentation": [[1, 1, 5, 1, 5, 5]]}]`))
	f.Add([]byte(`[{"image_id": 1, "category_id": 7, "bbox": [1, 1, 4, 4], "score": 0.5, "segmentation": {"size": [10, 20], "counts": [0, 200]}}, {"image_id": 1, "category_id": 7, "bbox": [0, 0, 0, 0], "score": -0}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		gt, err := parseGroundTruth([]byte(miniGT), "gt.json")
		if err != nil {
			t.Fatal(err)
		}
		rf, err := parseResults(data, "fuzz.json")
		if err != nil {
			return
		}
		dets, err := rf.resolve(gt)
		if err != nil {
			return
		}
		for _, typ := range []string{IoUBBox, IoUSegm} {
			res, err := Evaluate(gt, dets, Params{IoUType: typ})
			if err != nil {
				continue
			}
			for _, v := range res.Stats.Slice() {
				if math.IsNaN(v) || v < -1 || v > 1 {
					t.Fatalf("%s stat %v out of range", typ, v)
				}
			}
		}
	})
}
