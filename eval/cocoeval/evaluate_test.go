package cocoeval

import (
	"math"
	"strings"
	"testing"

	"rewardvision/dataset/rle"
)

func TestLinspaceMatchesNumpy(t *testing.T) {
	// Values quoted in the fixtures' README (numpy 1.24 linspace).
	if IoUThresholds[8] != 0.8999999999999999 || IoUThresholds[5] != 0.75 || IoUThresholds[9] != 0.95 {
		t.Errorf("IoU thresholds %v", IoUThresholds)
	}
	if RecallThresholds[35] != 0.35000000000000003 || RecallThresholds[100] != 1 {
		t.Errorf("recall thresholds %v", RecallThresholds)
	}
}

// world builds an in-memory ground truth: one category (id 1) unless
// more are listed, images 1..nImg of 100x100.
func world(t *testing.T, nImg int, cats []int, anns ...Annotation) *GroundTruth {
	t.Helper()
	var imgs []Image
	for i := 1; i <= nImg; i++ {
		imgs = append(imgs, Image{ID: i, Width: 100, Height: 100})
	}
	if cats == nil {
		cats = []int{1}
	}
	var cs []Category
	for _, c := range cats {
		cs = append(cs, Category{ID: c})
	}
	for i := range anns {
		if anns[i].ID == 0 {
			anns[i].ID = i + 1
		}
		if anns[i].CategoryID == 0 {
			anns[i].CategoryID = cats[0]
		}
		if anns[i].Area == 0 {
			anns[i].Area = anns[i].BBox[2] * anns[i].BBox[3]
		}
	}
	gt, err := NewGroundTruth(imgs, cs, anns)
	if err != nil {
		t.Fatal(err)
	}
	return gt
}

func box(x, y, w, h float64) [4]float64 { return [4]float64{x, y, w, h} }

func TestEvaluateHandComputed(t *testing.T) {
	gtBox := box(10, 10, 50, 50) // area 2500: medium
	tests := []struct {
		name string
		gt   *GroundTruth
		dets []Detection
		want map[string]float64 // stat name -> value
	}{
		{
			name: "one perfect detection",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: gtBox}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.9}},
			want: map[string]float64{"AP": 1, "AP50": 1, "APm": 1, "APs": -1, "APl": -1, "AR1": 1, "AR100": 1, "ARs": -1},
		},
		{
			// A duplicate after the true positive leaves the envelope at 1.
			name: "duplicate ranked second",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: gtBox}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.9}, {ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.8}},
			want: map[string]float64{"AP": 1, "AR100": 1},
		},
		{
			// Higher-scored box with IoU 0.62 wins at .50-.60 (3 thresholds,
			// AP 1); above, it is a false positive before the exact box:
			// precision 0.5 at recall 1 (7 thresholds). AP = (3+3.5)/10.
			name: "loose box ranked first",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: box(0, 0, 10, 10)}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: box(0, 0, 10, 6.2), Score: 0.9}, {ImageID: 1, CategoryID: 1, BBox: box(0, 0, 10, 10), Score: 0.8}},
			want: map[string]float64{"AP": 0.65, "AP50": 1, "AP75": 0.5, "AR1": 0.3, "AR10": 1},
		},
		{
			// The detection on the crowd region is ignored, not a false
			// positive, although it outscores the true positive.
			name: "crowd absorbs detections",
			gt: world(t, 1, nil, Annotation{ImageID: 1, BBox: gtBox},
				Annotation{ImageID: 1, BBox: box(70, 70, 20, 20), IsCrowd: true}),
			dets: []Detection{
				{ImageID: 1, CategoryID: 1, BBox: box(72, 72, 10, 10), Score: 0.99},
				{ImageID: 1, CategoryID: 1, BBox: box(75, 75, 10, 10), Score: 0.98},
				{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.5}},
			want: map[string]float64{"AP": 1, "AR100": 1},
		},
		{
			// A false positive on an image without ground truth costs
			// precision: it ranks first, so precision at recall 1 is 0.5.
			name: "detection on an image without ground truth",
			gt:   world(t, 2, nil, Annotation{ImageID: 1, BBox: gtBox}),
			dets: []Detection{{ImageID: 2, CategoryID: 1, BBox: gtBox, Score: 0.9}, {ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.8}},
			want: map[string]float64{"AP": 0.5, "AR100": 1},
		},
		{
			// Two objects, two exact boxes: one detection per image and
			// category finds half of them.
			name: "maxDets",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: gtBox}, Annotation{ImageID: 1, BBox: box(70, 70, 20, 20)}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.9}, {ImageID: 1, CategoryID: 1, BBox: box(70, 70, 20, 20), Score: 0.8}},
			want: map[string]float64{"AR1": 0.5, "AR10": 1, "AP": 1},
		},
		{
			// A small ground truth and an unmatched large false positive:
			// in the small range the false positive is ignored (its area
			// is out of range), in "all" it ranks first.
			name: "area ranges",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: box(0, 0, 10, 10)}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: box(50, 50, 40, 40), Score: 0.9}, {ImageID: 1, CategoryID: 1, BBox: box(0, 0, 10, 10), Score: 0.8}},
			want: map[string]float64{"AP": 0.5, "APs": 1, "APm": -1, "ARs": 1},
		},
		{
			// Category 2 has no ground truth: AP -1, left out of the mean
			// although it has a (false positive) detection.
			name: "category without ground truth",
			gt:   world(t, 1, []int{1, 2}, Annotation{ImageID: 1, BBox: gtBox}),
			dets: []Detection{{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.9}, {ImageID: 1, CategoryID: 2, BBox: gtBox, Score: 0.95}},
			want: map[string]float64{"AP": 1, "AR100": 1},
		},
		{
			name: "no detections",
			gt:   world(t, 1, nil, Annotation{ImageID: 1, BBox: gtBox}),
			want: map[string]float64{"AP": 0, "AR100": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Evaluate(tc.gt, tc.dets, Params{})
			if err != nil {
				t.Fatal(err)
			}
			stats := res.Stats.Slice()
			for name, want := range tc.want {
				i := indexOf(StatNames, name)
				if math.Abs(stats[i]-want) > 1e-12 {
					t.Errorf("%s = %v, want %v", name, stats[i], want)
				}
			}
		})
	}
}

func indexOf(names []string, n string) int {
	for i, s := range names {
		if s == n {
			return i
		}
	}
	panic("unknown stat " + n)
}

func TestEvaluatePerCategory(t *testing.T) {
	gtBox := box(10, 10, 50, 50)
	gt := world(t, 1, []int{4, 2}, Annotation{ImageID: 1, CategoryID: 4, BBox: gtBox}, Annotation{ImageID: 1, CategoryID: 2, BBox: gtBox})
	res, err := Evaluate(gt, []Detection{{ImageID: 1, CategoryID: 4, BBox: gtBox, Score: 1}}, Params{})
	if err != nil {
		t.Fatal(err)
	}
	// Precision is tp/(tp+fp+eps): 1/(1+2^-52) for a perfect curve.
	one := 1 / (1 + eps)
	if res.PerCategoryAP[4] != one || res.PerCategoryAP[2] != 0 || res.Stats.AP != one/2 {
		t.Errorf("per-category %v, AP %v; want 4:1 2:0, AP 0.5", res.PerCategoryAP, res.Stats.AP)
	}
	if ids := res.CategoryIDs; len(ids) != 2 || ids[0] != 2 || ids[1] != 4 {
		t.Errorf("category ids %v, want ascending [2 4]", ids)
	}
	// pycocotools' eval['precision'] at IoU .5, recall 1, category 4.
	if p := res.Precision(0, 100, 1, 0, 2); p != one {
		t.Errorf("precision = %v, want 1", p)
	}
	if r := res.Recall(0, 0, 0, 2); r != 0 {
		t.Errorf("recall of category 2 = %v, want 0", r)
	}
}

// TestAnnotationIDZero: pycocotools' id-0 artefact only with the quirk on.
func TestAnnotationIDZero(t *testing.T) {
	gtBox := box(10, 10, 50, 50)
	gt, err := NewGroundTruth([]Image{{ID: 1, Width: 100, Height: 100}}, []Category{{ID: 1}},
		[]Annotation{{ID: 0, ImageID: 1, CategoryID: 1, BBox: gtBox, Area: 2500}})
	if err != nil {
		t.Fatal(err)
	}
	dets := []Detection{{ImageID: 1, CategoryID: 1, BBox: gtBox, Score: 0.9}}
	res, err := Evaluate(gt, dets, Params{})
	if err != nil || math.Abs(res.Stats.AP-1) > 1e-12 {
		t.Fatalf("default: AP %v (%v), want 1", res.Stats.AP, err)
	}
	res, err = Evaluate(gt, dets, Params{PycocotoolsID0Quirk: true})
	if err != nil || res.Stats.AP != 0 || res.Stats.AR100 != 0 {
		t.Fatalf("quirk: AP %v AR %v (%v), want 0 and 0", res.Stats.AP, res.Stats.AR100, err)
	}
}

// TestReal2OriginalIDs evaluates real2 with the annotation ids as shipped
// by panopticapi (0..49, i.e. the fixture's minus 1000): the default
// agrees with expected.json; the quirk loses the detection of id 0.
func TestReal2OriginalIDs(t *testing.T) {
	want := loadExpected(t, "real2").report(t, "bbox")
	gt, dets, err := LoadFiles(fixtureFile(t, "real2", "gt.json"), fixtureFile(t, "real2", "dets.json"))
	if err != nil {
		t.Fatal(err)
	}
	anns := append([]Annotation(nil), gt.Annotations...)
	hasZero := false
	for i := range anns {
		anns[i].ID -= 1000
		hasZero = hasZero || anns[i].ID == 0
	}
	if !hasZero {
		t.Fatal("no annotation id 0 after the shift")
	}
	gt0, err := NewGroundTruth(gt.Images, gt.Categories, anns)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(gt0, dets, Params{})
	if err != nil {
		t.Fatal(err)
	}
	compareReport(t, res, want)
	quirk, err := Evaluate(gt0, dets, Params{PycocotoolsID0Quirk: true})
	if err != nil {
		t.Fatal(err)
	}
	if quirk.Stats.AP >= res.Stats.AP {
		t.Errorf("quirk AP %v, want below %v", quirk.Stats.AP, res.Stats.AP)
	}
}

// TestInMemoryDetections: detections built in code (no areas, no masks)
// evaluate like the loaded file in both modes.
func TestInMemoryDetections(t *testing.T) {
	for _, iouType := range []string{IoUBBox, IoUSegm} {
		want := loadExpected(t, "small").report(t, iouType)
		gt, dets, err := LoadFiles(fixtureFile(t, "small", "gt.json"), fixtureFile(t, "small", want.ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		mem := make([]Detection, len(dets))
		for i, d := range dets {
			mem[i] = Detection{ImageID: d.ImageID, CategoryID: d.CategoryID, BBox: d.BBox, Score: d.Score}
			if iouType == IoUSegm {
				mem[i].Segmentation = d.Segmentation
				mem[i].BBox = [4]float64{} // derived from the mask
			}
		}
		res, err := Evaluate(gt, mem, Params{IoUType: iouType})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(iouType, func(t *testing.T) { compareReport(t, res, want) })
	}
}

func TestEvaluateInputErrors(t *testing.T) {
	mask, _ := rle.FromBBox(box(0, 0, 5, 5), 100, 100)
	gt := world(t, 1, nil, Annotation{ImageID: 1, BBox: box(0, 0, 5, 5), Segmentation: &mask})
	good := Detection{ImageID: 1, CategoryID: 1, BBox: box(0, 0, 5, 5), Score: 1}
	wrongSize := rle.Empty(10, 10)
	tests := []struct {
		name string
		d    Detection
		p    Params
		want string
	}{
		{"unknown image", Detection{ImageID: 9, CategoryID: 1, Score: 1}, Params{}, "image_id 9"},
		{"unknown category", Detection{ImageID: 1, CategoryID: 3, Score: 1}, Params{}, "category_id 3"},
		{"NaN score", Detection{ImageID: 1, CategoryID: 1, Score: math.NaN()}, Params{}, "score"},
		{"NaN box", Detection{ImageID: 1, CategoryID: 1, BBox: box(math.NaN(), 0, 1, 1), Score: 1}, Params{}, "not finite"},
		{"negative box", Detection{ImageID: 1, CategoryID: 1, BBox: box(0, 0, -1, 1), Score: 1}, Params{}, "negative"},
		{"mask of the wrong size", Detection{ImageID: 1, CategoryID: 1, Score: 1, Segmentation: &wrongSize}, Params{IoUType: IoUSegm}, "10x10"},
		{"bad iou type", good, Params{IoUType: "keypoints"}, "iou type"},
		{"two max dets", good, Params{MaxDets: []int{1, 10}}, "three"},
		{"decreasing max dets", good, Params{MaxDets: []int{1, 100, 10}}, "increasing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(gt, []Detection{good, tc.d}, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := NewGroundTruth(nil, nil, []Annotation{{BBox: box(0, 0, math.Inf(1), 1)}}); err == nil {
		t.Error("NewGroundTruth accepted an infinite box")
	}
}

func TestCustomMaxDets(t *testing.T) {
	gt, dets, err := LoadFiles(fixtureFile(t, "small", "gt.json"), fixtureFile(t, "small", "dets.json"))
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Evaluate(gt, dets, Params{})
	res, err := Evaluate(gt, dets, Params{MaxDets: []int{1, 5, 10}})
	if err != nil {
		t.Fatal(err)
	}
	// This fixture has at most 10 detections per image and category, so
	// 10 loses nothing and AR10 is the default's AR10.
	if res.Stats.AR100 != def.Stats.AR10 || res.Stats.AP != def.Stats.AP {
		t.Errorf("max dets 1,5,10: AR100 %v AP %v; want %v %v", res.Stats.AR100, res.Stats.AP, def.Stats.AR10, def.Stats.AP)
	}
	if !strings.Contains(res.SummaryLines()[8], "maxDets= 10") {
		t.Errorf("summary line %q should name maxDets 10", res.SummaryLines()[8])
	}
}

func TestReportJSONShape(t *testing.T) {
	gt, dets, err := LoadFiles(fixtureFile(t, "real2", "gt.json"), fixtureFile(t, "real2", "dets.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(gt, dets, Params{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := res.JSON("dets.json")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, k := range []string{`"results_file": "dets.json"`, `"stats": {`, `"AP": 0.6127926880012291`, `"per_category_AP": {`, `"counts": {`, `"images": 2`, `"summary_lines": [`} {
		if !strings.Contains(s, k) {
			t.Errorf("report JSON lacks %s", k)
		}
	}
	// Category keys in numeric order: "8" before "19".
	if strings.Index(s, `"8":`) > strings.Index(s, `"19":`) {
		t.Error("per_category_AP keys not in numeric order")
	}
}
