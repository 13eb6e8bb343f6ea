package panoptic

import (
	"math"
	"strings"
	"testing"
)

// testCats: person (thing), dog (thing), sky (stuff).
var testCats = mustCats([]Category{{ID: 1, Name: "person", IsThing: true}, {ID: 18, Name: "dog", IsThing: true}, {ID: 187, Name: "sky"}})

func mustCats(list []Category) *Categories {
	c, err := NewCategories(list)
	if err != nil {
		panic(err)
	}
	return c
}

// grid builds an Image from rows of letters: '.' is void, 'a' id 1, 'b' id 2, …
func grid(segs []Segment, rows ...string) Image {
	img := Image{Width: len(rows[0]), Height: len(rows), Segments: segs}
	for _, r := range rows {
		for _, ch := range r {
			id := uint32(0)
			if ch != '.' {
				id = uint32(ch-'a') + 1
			}
			img.IDs = append(img.IDs, id)
		}
	}
	return img
}

func seg(id uint32, cat int) Segment { return Segment{ID: id, CategoryID: cat} }

func crowd(id uint32, cat int) Segment { return Segment{ID: id, CategoryID: cat, IsCrowd: true} }

func TestMatchImage(t *testing.T) {
	tests := []struct {
		name       string
		gt, pred   Image
		pq         float64
		n          int
		tp, fp, fn int
	}{
		{
			name: "perfect",
			gt:   grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa", "abba", "abba"),
			pred: grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa", "abba", "abba"),
			pq:   1, n: 2, tp: 2,
		},
		{
			// person: inter 4, union 4+6-4 = 6 → IoU 2/3; sky: inter 6, union 8+6-6 = 8.
			name: "partial overlap",
			gt:   grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa", "abbb", "abbb"),
			pred: grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa", "aabb", "aabb"),
			pq:   (2.0/3 + 6.0/8) / 2, n: 2, tp: 2,
		},
		{
			// IoU exactly 2/4 does not match (strict >): FNs and a FP.
			name: "iou one half",
			gt:   grid([]Segment{seg(1, 1), seg(2, 187)}, "aabb"),
			pred: grid([]Segment{seg(3, 1)}, "cccc"),
			pq:   0, n: 2, fp: 1, fn: 2,
		},
		{
			// Pixels of the prediction that are void in gt leave the union:
			// inter 2, union 4 + 2 - 2 - 2 = 2 → IoU 1.
			name: "void excluded from union",
			gt:   grid([]Segment{seg(1, 187)}, "..aa"),
			pred: grid([]Segment{seg(2, 187)}, "bbbb"),
			pq:   1, n: 1, tp: 1,
		},
		{
			// Wrong class: a FN for person, a FP for dog.
			name: "category mismatch",
			gt:   grid([]Segment{seg(1, 1)}, "aaaa"),
			pred: grid([]Segment{seg(1, 18)}, "aaaa"),
			pq:   0, n: 2, fp: 1, fn: 1,
		},
		{
			// A person predicted on a person crowd region is ignored; the
			// crowd itself is never a FN.
			name: "crowd absorbs same class",
			gt:   grid([]Segment{seg(1, 187), crowd(2, 1)}, "aaaa", "abbb"),
			pred: grid([]Segment{seg(1, 187), seg(3, 1)}, "aaaa", "accc"),
			pq:   1, n: 1, tp: 1,
		},
		{
			// The same prediction as a dog on a person crowd is a FP.
			name: "crowd of another class",
			gt:   grid([]Segment{seg(1, 187), crowd(2, 1)}, "aaaa", "abbb"),
			pred: grid([]Segment{seg(1, 187), seg(3, 18)}, "aaaa", "accc"),
			pq:   0.5, n: 2, tp: 1, fp: 1,
		},
		{
			// Ignored only when void + crowd > half: 2 of 4 pixels is not
			// enough. Sky: inter 4, union 4 + 6 - 4 = 6.
			name: "half on crowd is a FP",
			gt:   grid([]Segment{seg(1, 187), crowd(2, 1)}, "aaaa", "aabb"),
			pred: grid([]Segment{seg(1, 187), seg(3, 1)}, "aaaa", "cccc"),
			pq:   (4.0/6 + 0) / 2, n: 2, tp: 1, fp: 1,
		},
		{
			// panopticapi keeps the last crowd segment of a category: the
			// prediction lies on the first one (id 2), so it is a FP.
			name: "last crowd of a category wins",
			gt:   grid([]Segment{crowd(2, 1), crowd(3, 1), seg(1, 187)}, "bbcc", "aaaa"),
			pred: grid([]Segment{seg(4, 1), seg(1, 187)}, "dd..", "aaaa"),
			pq:   0.5, n: 2, tp: 1, fp: 1,
		},
		{
			// Mostly void: ignored, not a FP.
			name: "prediction on void ignored",
			gt:   grid([]Segment{seg(1, 187)}, "aaaa", "...a"),
			pred: grid([]Segment{seg(1, 187), seg(2, 18)}, "aaaa", "bbba"),
			pq:   1, n: 1, tp: 1,
		},
		{
			name: "nothing anywhere",
			gt:   grid(nil, "...."),
			pred: grid(nil, "...."),
			pq:   1, n: 0,
		},
		{
			name: "empty prediction",
			gt:   grid([]Segment{seg(1, 187)}, "aaaa"),
			pred: grid(nil, "...."),
			pq:   0, n: 1, fn: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := MatchImage(tc.gt, tc.pred, testCats)
			if err != nil {
				t.Fatal(err)
			}
			all, _, _ := s.Summary()
			if math.Abs(all.PQ-tc.pq) > 1e-15 || all.N != tc.n {
				t.Errorf("PQ %v N %d, want %v N %d (classes %+v)", all.PQ, all.N, tc.pq, tc.n, s.Classes)
			}
			tp, fp, fn := 0, 0, 0
			for _, c := range s.Classes {
				tp, fp, fn = tp+c.TP, fp+c.FP, fn+c.FN
			}
			if tp != tc.tp || fp != tc.fp || fn != tc.fn {
				t.Errorf("TP/FP/FN %d/%d/%d, want %d/%d/%d", tp, fp, fn, tc.tp, tc.fp, tc.fn)
			}
			if len(s.Matches) != tp {
				t.Errorf("%d matches for %d TPs", len(s.Matches), tp)
			}
			pq, err := ImagePQ(tc.gt, tc.pred, testCats)
			if err != nil || pq != all.PQ {
				t.Errorf("ImagePQ = %v, %v; want %v", pq, err, all.PQ)
			}
		})
	}
}

// The ground-truth area comes from segments_info when given (panopticapi).
func TestMatchImageGTAreaFromJSON(t *testing.T) {
	gt := grid([]Segment{{ID: 1, CategoryID: 187, Area: 6}}, "aaaa")
	pred := grid([]Segment{seg(1, 187)}, "aaaa")
	s, err := MatchImage(gt, pred, testCats)
	if err != nil {
		t.Fatal(err)
	}
	// union = 4 + 6 - 4 = 6 → IoU 2/3.
	if len(s.Matches) != 1 || s.Matches[0].IoU != 4.0/6 {
		t.Errorf("matches %+v, want one with IoU 2/3", s.Matches)
	}
}

func TestThingsStuffSplit(t *testing.T) {
	gt := grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa", "abba")
	pred := grid([]Segment{seg(1, 187), seg(2, 18)}, "aaaa", "abba")
	s, err := MatchImage(gt, pred, testCats)
	if err != nil {
		t.Fatal(err)
	}
	all, things, stuff := s.Summary()
	if stuff.PQ != 1 || stuff.N != 1 || things.PQ != 0 || things.N != 2 || all.N != 3 || math.Abs(all.PQ-1.0/3) > 1e-15 {
		t.Errorf("all %+v things %+v stuff %+v", all, things, stuff)
	}
}

func TestMatchImageErrors(t *testing.T) {
	ok := grid([]Segment{seg(1, 187)}, "aaaa")
	tests := []struct {
		name     string
		gt, pred Image
		want     string
	}{
		{"size mismatch", ok, grid([]Segment{seg(1, 187)}, "aa", "aa"), "size mismatch: gt 4x1, pred 2x2"},
		{"pred id only in PNG", ok, grid([]Segment{seg(1, 187)}, "aabb"), "pred: segment id 2 (RGB 2,0,0) is in the PNG but not in segments_info"},
		{"gt id only in PNG", grid([]Segment{seg(1, 187)}, "aacc"), ok, "gt: segment id 3 (RGB 3,0,0) is in the PNG but not in segments_info"},
		{"pred id only in JSON", ok, grid([]Segment{seg(1, 187), seg(2, 1)}, "aaaa"), "pred: segments_info[1]: segment id 2 (RGB 2,0,0) is in segments_info but not in the PNG"},
		{"gt id only in JSON", grid([]Segment{seg(1, 187), seg(9, 1)}, "aaaa"), ok, "gt: segments_info[1]: segment id 9"},
		{"unknown pred category", ok, grid([]Segment{seg(1, 5)}, "aaaa"), "pred: segment id 1 has unknown category_id 5"},
		{"unknown gt category", grid([]Segment{seg(1, 5)}, "aaaa"), ok, "gt: segment id 1 has unknown category_id 5"},
		{"duplicate id", ok, grid([]Segment{seg(1, 187), seg(1, 187)}, "aaaa"), "pred: segments_info[1]: duplicate segment id 1"},
		{"id zero", grid([]Segment{seg(0, 187)}, "...."), ok, "gt: segments_info[0]: id 0 outside"},
		{"short map", Image{Width: 4, Height: 1, IDs: []uint32{1}, Segments: ok.Segments}, ok, "gt: 1 ids for a 4x1 map"},
		{"empty map", Image{}, ok, "gt: size 0x0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MatchImage(tc.gt, tc.pred, testCats)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := MatchImage(ok, ok, nil); err == nil {
		t.Error("nil categories accepted")
	}
}
