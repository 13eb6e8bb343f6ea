package coco

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestReadInstancesBadInput(t *testing.T) {
	const img = `"images":[{"id":1,"width":4,"height":3}]`
	ann := func(a string) string {
		return `{` + img + `,"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1,1]},` + a + `]}`
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", ``, "unexpected end of file"},
		{"top-level list", `[{"image_id":1}]`, "is this a results file"},
		{"top-level number", `3`, "want an object"},
		{"truncated", `{"images":[{"id":1`, "images"},
		{"trailing garbage", `{"images":[]} {"images":[]}`, "trailing data"},
		{"bbox short", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[1,2,3]}`), `annotations[1]`},
		{"bbox long", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[1,2,3,4,5]}`), "want 4 numbers"},
		{"bbox string", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":"0 0 1 1"}`), "bbox"},
		{"bbox null", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":null}`), "bbox: null"},
		{"NaN literal", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[NaN,0,1,1]}`), "invalid character"},
		{"huge number", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[1e400,0,1,1]}`), "bbox"},
		{"id not integer", ann(`{"id":2.5,"image_id":1,"category_id":1,"bbox":[0,0,1,1]}`), "annotations[1]"},
		{"odd polygon", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":[[1,2,3]]}`), "odd number"},
		{"polygon strings", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":[["a"]]}`), "polygons"},
		{"rle size", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[3],"counts":[12]}}`), "want [height, width]"},
		{"rle negative size", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[-3,4],"counts":[12]}}`), "negative"},
		{"rle no counts", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[3,4]}}`), "without counts"},
		{"rle counts object", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[3,4],"counts":{}}}`), "want a list or a string"},
		{"rle negative count", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"size":[3,4],"counts":[-1,13]}}`), "counts"},
		{"segmentation number", ann(`{"id":2,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":7}`), "want a polygon list"},
		{"images not list", `{"images":{"id":1}}`, "want a list"},
		{"annotation not object", ann(`7`), "annotations[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadInstances(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestNullSegmentationIsAbsent(t *testing.T) {
	ds, err := ReadInstances(strings.NewReader(`{"annotations":[{"id":2,"bbox":[0,0,1,1],"segmentation":null}]}`))
	if err != nil || ds.Annotations[0].Segmentation != nil {
		t.Fatalf("err %v, segmentation %v", err, ds.Annotations[0].Segmentation)
	}
	var s Segmentation
	if err := s.UnmarshalJSON([]byte("null")); err == nil {
		t.Error("bare null segmentation accepted")
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := LoadInstances("testdata/no-such-file.json")
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such-file.json") {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownKeysSkipped(t *testing.T) {
	ds, err := ReadInstances(strings.NewReader(`{"extra":{"a":[1,{"b":null}]},"images":[{"id":7}],"type":"instances","annotations":[],"categories":[]}`))
	if err != nil || len(ds.Images) != 1 || ds.Images[0].ID != 7 {
		t.Fatalf("ds = %+v, err = %v", ds, err)
	}
}

func TestIndexBadRecords(t *testing.T) {
	base := func() *Instances {
		return &Instances{
			Images:     []Image{{ID: 1, Width: 4, Height: 3}, {ID: 2, Width: 4, Height: 3}},
			Categories: []Category{{ID: 1, Name: "circle"}},
			Annotations: []Annotation{
				{ID: 10, ImageID: 1, CategoryID: 1, BBox: BBox{0, 0, 1, 1}, Area: 1},
			},
		}
	}
	rle := func(h, w int, counts ...uint32) *Segmentation {
		return &Segmentation{RLE: &RLE{Size: [2]int{h, w}, Counts: counts}}
	}
	for _, tc := range []struct {
		name         string
		edit         func(*Instances)
		want         string
		skipImg      int
		skipAnn      int
		errEvenIfBad bool
	}{
		{"unknown image", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 99, CategoryID: 1})
		}, "annotations[1] (id 11): image_id 99 is not in images", 0, 1, false},
		{"unknown category", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 1, CategoryID: 5})
		}, "category_id 5", 0, 1, false},
		{"duplicate annotation id", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 10, ImageID: 2, CategoryID: 1})
		}, "duplicate annotation id", 0, 1, false},
		{"negative box", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 1, CategoryID: 1, BBox: BBox{0, 0, -1, 1}})
		}, "negative size", 0, 1, false},
		{"negative area", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 1, CategoryID: 1, Area: -2})
		}, "negative area", 0, 1, false},
		{"rle size mismatch", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 1, CategoryID: 1, Segmentation: rle(4, 3, 12)})
		}, "differs from image size", 0, 1, false},
		{"rle counts sum", func(d *Instances) {
			d.Annotations = append(d.Annotations, Annotation{ID: 11, ImageID: 1, CategoryID: 1, Segmentation: rle(3, 4, 5, 6)})
		}, "sum to 11", 0, 1, false},
		{"duplicate image", func(d *Instances) {
			d.Images = append(d.Images, Image{ID: 2})
		}, "images[2] (id 2): duplicate image id", 1, 0, false},
		{"huge image", func(d *Instances) {
			d.Images = append(d.Images, Image{ID: 3, Width: 1 << 30, Height: 1})
		}, "bad size", 1, 0, false},
		{"duplicate category", func(d *Instances) {
			d.Categories = append(d.Categories, Category{ID: 1, Name: "again"})
		}, "duplicate category id 1", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := base()
			tc.edit(ds)
			_, err := NewIndex(ds, IndexOptions{Source: "x.json"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.json: ") {
				t.Fatalf("err = %v, want x.json: ...%q", err, tc.want)
			}
			var logs bytes.Buffer
			ix, err := NewIndex(ds, IndexOptions{SkipBad: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if tc.errEvenIfBad {
				if err == nil {
					t.Fatal("want an error even with SkipBad")
				}
				return
			}
			if err != nil {
				t.Fatalf("SkipBad: %v", err)
			}
			if ix.SkippedImages != tc.skipImg || ix.SkippedAnnotations != tc.skipAnn {
				t.Errorf("skipped %d images, %d annotations; want %d, %d", ix.SkippedImages, ix.SkippedAnnotations, tc.skipImg, tc.skipAnn)
			}
			if !strings.Contains(logs.String(), "skipping bad record") {
				t.Errorf("no warning logged: %q", logs.String())
			}
			if got := ix.Annotations(1); len(got) != 1 || got[0].ID != 10 {
				t.Errorf("annotations of image 1 = %v", got)
			}
			if ids := ix.ImageIDs(); len(ids) != 2 {
				t.Errorf("ImageIDs = %v", ids)
			}
		})
	}
}

func TestPanopticIndexBadRecords(t *testing.T) {
	base := func() *Panoptic {
		return &Panoptic{
			Images:     []Image{{ID: 1, Width: 4, Height: 3}},
			Categories: []Category{{ID: 1, Name: "circle", IsThing: Flag(1)}},
			Annotations: []PanopticAnnotation{{ImageID: 1, FileName: "1.png", SegmentsInfo: []Segment{
				{ID: 5, CategoryID: 1, Area: 2, BBox: BBox{0, 0, 2, 1}},
			}}},
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*Panoptic)
		want string
	}{
		{"void id", func(p *Panoptic) { p.Annotations[0].SegmentsInfo[0].ID = 0 }, "outside 1.."},
		{"id too big", func(p *Panoptic) { p.Annotations[0].SegmentsInfo[0].ID = 1 << 24 }, "outside 1.."},
		{"duplicate id", func(p *Panoptic) {
			p.Annotations[0].SegmentsInfo = append(p.Annotations[0].SegmentsInfo, p.Annotations[0].SegmentsInfo[0])
		}, "duplicate segment id 5"},
		{"unknown category", func(p *Panoptic) { p.Annotations[0].SegmentsInfo[0].CategoryID = 9 }, "category_id 9"},
		{"unknown image", func(p *Panoptic) { p.Annotations[0].ImageID = 9 }, "image_id 9 is not in images"},
		{"no file name", func(p *Panoptic) { p.Annotations[0].FileName = "" }, "no file_name"},
		{"two annotations", func(p *Panoptic) { p.Annotations = append(p.Annotations, p.Annotations[0]) }, "second annotation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.edit(p)
			_, err := NewPanopticIndex(p, IndexOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			px, err := NewPanopticIndex(p, IndexOptions{SkipBad: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil || px.SkippedAnnotations != 1 {
				t.Fatalf("SkipBad: %v, skipped %d", err, px.SkippedAnnotations)
			}
		})
	}
}

func TestCheckIDMap(t *testing.T) {
	m := NewIDMap(4, 3)
	m.IDs[0], m.IDs[1], m.IDs[5] = 5, 5, 7
	a := PanopticAnnotation{FileName: "1.png", SegmentsInfo: []Segment{
		{ID: 5, Area: 2, BBox: BBox{0, 0, 2, 1}},
		{ID: 7, Area: 1, BBox: BBox{1, 1, 1, 1}},
	}}
	if err := CheckIDMap(a, m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*PanopticAnnotation, *IDMap)
		want string
	}{
		{"unlisted id", func(a *PanopticAnnotation, m *IDMap) { m.IDs[11] = 9 }, "PNG id 9"},
		{"missing pixels", func(a *PanopticAnnotation, m *IDMap) { m.IDs[5] = 0 }, "id 7 has no pixels"},
		{"area", func(a *PanopticAnnotation, m *IDMap) { a.SegmentsInfo[0].Area = 3 }, "area 3 in JSON, 2 pixels"},
		{"bbox", func(a *PanopticAnnotation, m *IDMap) { a.SegmentsInfo[1].BBox = BBox{0, 1, 2, 1} }, "bbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a2 := a
			a2.SegmentsInfo = append([]Segment(nil), a.SegmentsInfo...)
			m2 := &IDMap{Width: 4, Height: 3, IDs: append([]uint32(nil), m.IDs...)}
			tc.edit(&a2, m2)
			if err := CheckIDMap(a2, m2); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestIDMapBadPNG(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"empty", ""},
		{"not png", "GIF89a......"},
		{"truncated", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"},
	} {
		if _, err := DecodeIDMap(strings.NewReader(tc.data)); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	big := NewIDMap(1, 1)
	big.IDs[0] = 1 << 24
	if err := EncodeIDMap(io.Discard, big); err == nil {
		t.Error("id 2^24 encoded without error")
	}
}

func TestReadResultsBadInput(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"images":[]}`, "want a list"},
		{`[{"image_id":1,"bbox":[1,2]}]`, "results: [0]"},
		{`[{"image_id":1}] x`, "trailing data"},
		{`[{"image_id":1},`, "unexpected end"},
	} {
		if _, err := ReadDetections(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}
