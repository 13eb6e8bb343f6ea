package coco

import (
	"bytes"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rewardvision/internal/testfix"
)

// roundTrip writes v with write, reads it back with read, and checks the
// result is deep-equal to v; then writes again and checks the bytes agree.
func roundTrip[T any](t *testing.T, v T, write func(io.Writer, T) error, read func(io.Reader) (T, error)) {
	t.Helper()
	var b1 bytes.Buffer
	if err := write(&b1, v); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := read(bytes.NewReader(b1.Bytes()))
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip differs")
	}
	var b2 bytes.Buffer
	if err := write(&b2, got); err != nil {
		t.Fatalf("write again: %v", err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Fatalf("second write differs from the first")
	}
}

func TestInstancesReal2(t *testing.T) {
	ds, err := LoadInstances(testfix.Path(t, "coco-det/real2/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Images) != 2 || len(ds.Annotations) != 50 || len(ds.Categories) != 133 || len(ds.Licenses) != 8 {
		t.Fatalf("got %d images, %d annotations, %d categories, %d licenses; want 2, 50, 133, 8",
			len(ds.Images), len(ds.Annotations), len(ds.Categories), len(ds.Licenses))
	}
	a := ds.Annotations[0]
	if a.ID != 1000 || a.ImageID != 142238 || a.CategoryID != 1 || a.BBox != (BBox{282, 207, 48, 149}) || a.Area != 3528 || a.IsCrowd != 0 {
		t.Errorf("first annotation = %+v", a)
	}
	if k := a.Segmentation.Kind(); k != SegCompressedRLE {
		t.Errorf("segmentation kind %v, want compressed RLE", k)
	}
	if r := a.Segmentation.RLE; r.Size != [2]int{427, 640} || !strings.HasPrefix(r.CountsString, "eme31V=8H8H7I4L") {
		t.Errorf("RLE = %v %.16q", r.Size, r.CountsString)
	}
	crowd := 0
	for _, a := range ds.Annotations {
		crowd += a.IsCrowd
	}
	if crowd != 3 {
		t.Errorf("%d crowd annotations, want 3", crowd)
	}
	im := ds.Images[0]
	if im.ID != 142238 || im.Width != 640 || im.Height != 427 || im.FileName != "000000142238.jpg" || im.License != 2 ||
		im.DateCaptured != "2013-11-20 16:47:35" {
		t.Errorf("first image = %+v", im)
	}
	ix, err := NewIndex(ds, IndexOptions{Source: "real2"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ix.Annotations(439180)) + len(ix.Annotations(142238)); n != 50 {
		t.Errorf("index holds %d annotations, want 50", n)
	}
	if c, ok := ix.Category(1); !ok || c.Name != "person" || !c.Thing() {
		t.Errorf("category 1 = %+v", c)
	}
	if got := ix.ImageIDs(); !reflect.DeepEqual(got, []int64{142238, 439180}) {
		t.Errorf("ImageIDs = %v", got)
	}
	roundTrip(t, ds, WriteInstances, ReadInstances)
}

func TestInstancesSmallPolygonsAndCrowdRLE(t *testing.T) {
	ds, err := LoadInstances(testfix.Path(t, "coco-det/small/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Images) != 300 || len(ds.Annotations) != 1661 || len(ds.Categories) != 10 {
		t.Fatalf("got %d images, %d annotations, %d categories", len(ds.Images), len(ds.Annotations), len(ds.Categories))
	}
	kinds := map[SegKind]int{}
	for _, a := range ds.Annotations {
		kinds[a.Segmentation.Kind()]++
		if (a.IsCrowd == 1) != (a.Segmentation.Kind() == SegRLE) {
			t.Fatalf("annotation %d: crowd %d with %v", a.ID, a.IsCrowd, a.Segmentation.Kind())
		}
	}
	if kinds[SegPolygons] != 1615 || kinds[SegRLE] != 46 {
		t.Errorf("kinds = %v, want 1615 polygons and 46 uncompressed RLE", kinds)
	}
	if _, err := NewIndex(ds, IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, ds, WriteInstances, ReadInstances)
}

func TestDetectionResults(t *testing.T) {
	dets, err := LoadDetections(testfix.Path(t, "coco-det/real2/dets.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := dets[0]
	if d.ImageID != 142238 || d.CategoryID != 1 || d.BBox == nil || *d.BBox != (BBox{282.55, 203.42, 42.52, 139.26}) ||
		d.Score != 0.4503 || d.Segmentation.Kind() != SegCompressedRLE {
		t.Errorf("first detection = %+v", d)
	}
	roundTrip(t, dets, WriteDetections, ReadDetections)

	segm, err := LoadDetections(testfix.Path(t, "coco-det/small/dets_segm.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range segm {
		if d.BBox != nil || d.Segmentation == nil {
			t.Fatalf("dets_segm[%d]: bbox %v segmentation %v; want segm-only", i, d.BBox, d.Segmentation)
		}
	}
	roundTrip(t, segm, WriteDetections, ReadDetections)
}

func TestPanopticReal2(t *testing.T) {
	gtPath := testfix.Path(t, "panoptic/real2/gt.json")
	for _, tc := range []struct{ json, pngDir string }{
		{"panoptic/real2/gt.json", "gt"},
		{"panoptic/real2/pred.json", "pred"},
	} {
		p, err := LoadPanoptic(testfix.Path(t, tc.json))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Images) != 2 || len(p.Annotations) != 2 || len(p.Categories) != 133 {
			t.Fatalf("%s: %d images, %d annotations, %d categories", tc.json, len(p.Images), len(p.Annotations), len(p.Categories))
		}
		px, err := NewPanopticIndex(p, IndexOptions{Source: tc.json})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Annotations {
			m, err := ReadIDMap(filepath.Join(filepath.Dir(testfix.Path(t, tc.json)), tc.pngDir, a.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if im, _ := px.Image(a.ImageID); m.Width != im.Width || m.Height != im.Height {
				t.Errorf("%s: PNG %dx%d, image %dx%d", a.FileName, m.Width, m.Height, im.Width, im.Height)
			}
			// panopticapi recounts prediction areas from the PNG; the GT
			// JSON's areas and boxes were derived from the same pixels.
			if err := CheckIDMap(a, m); err != nil {
				t.Errorf("%s: %v", tc.json, err)
			}
			var buf bytes.Buffer
			if err := EncodeIDMap(&buf, m); err != nil {
				t.Fatal(err)
			}
			back, err := DecodeIDMap(&buf)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("id map round trip: %v", err)
			}
		}
		roundTrip(t, p, WritePanoptic, ReadPanoptic)
	}
	p, _ := LoadPanoptic(gtPath)
	segs := 0
	for _, a := range p.Annotations {
		segs += len(a.SegmentsInfo)
	}
	if segs != 50 {
		t.Errorf("%d segments, want 50", segs)
	}
	s := p.Annotations[0].SegmentsInfo[0]
	if s != (Segment{ID: 3937500, CategoryID: 1, Area: 3528, BBox: BBox{282, 207, 48, 149}}) {
		t.Errorf("first segment = %+v", s)
	}
	cats, err := LoadCategories(testfix.Path(t, "panoptic/real2/categories.json"))
	if err != nil {
		t.Fatal(err)
	}
	things := 0
	for _, c := range cats {
		if c.Thing() {
			things++
		}
	}
	if len(cats) != 133 || things != 80 || !reflect.DeepEqual(cats, p.Categories) {
		t.Errorf("categories.json: %d categories, %d things, equal to gt.json's: %v", len(cats), things, reflect.DeepEqual(cats, p.Categories))
	}
}

func TestCaptionsSmall(t *testing.T) {
	c, err := LoadCaptions(testfix.Path(t, "captions/small/refs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Images) != 5 || len(c.Annotations) != 25 {
		t.Fatalf("%d images, %d captions", len(c.Images), len(c.Annotations))
	}
	if string(c.Info) != `{"description":"5 hand-written COCO-like captions"}` {
		t.Errorf("info = %s", c.Info)
	}
	roundTrip(t, c, WriteCaptions, ReadCaptions)
	res, err := LoadCaptionResults(testfix.Path(t, "captions/small/preds.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 || res[0] != (CaptionResult{1, "a man riding a wave on a surfboard"}) {
		t.Errorf("preds = %v", res)
	}
	roundTrip(t, res, WriteCaptionResults, ReadCaptionResults)
}

func TestWriteNilListsAndInfo(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteInstances(&buf, &Instances{}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "{\"images\":[],\"annotations\":[],\"categories\":[]}\n" {
		t.Errorf("empty instances = %q", got)
	}
	buf.Reset()
	if err := WriteDetections(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("empty results = %q, %v", buf.String(), err)
	}
}

func TestStreamingWriterMatchesWholeWrite(t *testing.T) {
	ds := &Instances{
		Info:       []byte(`{"description":"x"}`),
		Images:     []Image{{ID: 1, Width: 4, Height: 3, FileName: "a.png"}},
		Categories: []Category{{ID: 1, Name: "circle", Supercategory: "round", IsThing: Flag(1)}, {ID: 2, Name: "sky", IsThing: Flag(0)}},
		Annotations: []Annotation{
			{ID: 1, ImageID: 1, CategoryID: 1, BBox: BBox{0, 0, 2, 1.5}, Area: 3, Segmentation: &Segmentation{Polygons: [][]float64{{0, 0, 2, 0, 2, 1.5}}}},
			{ID: 2, ImageID: 1, CategoryID: 1, BBox: BBox{1, 1, 1, 1}, Area: 1, IsCrowd: 1, Segmentation: &Segmentation{RLE: &RLE{Size: [2]int{3, 4}, Counts: []uint32{4, 1, 7}}}},
			{ID: 3, ImageID: 1, CategoryID: 1, BBox: BBox{1e-7, 2e21, 0, 0}, Area: 0, Segmentation: &Segmentation{RLE: &RLE{Size: [2]int{3, 4}, CountsString: "<", Compressed: true}}},
		},
	}
	var whole bytes.Buffer
	if err := WriteInstances(&whole, ds); err != nil {
		t.Fatal(err)
	}
	want := `{"info":{"description":"x"},"images":[
{"id":1,"width":4,"height":3,"file_name":"a.png"}
],"annotations":[
{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,2,1.5],"area":3,"iscrowd":0,"segmentation":[[0,0,2,0,2,1.5]]},
{"id":2,"image_id":1,"category_id":1,"bbox":[1,1,1,1],"area":1,"iscrowd":1,"segmentation":{"size":[3,4],"counts":[4,1,7]}},
{"id":3,"image_id":1,"category_id":1,"bbox":[1e-7,2e+21,0,0],"area":0,"iscrowd":0,"segmentation":{"size":[3,4],"counts":"<"}}
],"categories":[
{"id":1,"name":"circle","supercategory":"round","isthing":1},
{"id":2,"name":"sky","isthing":0}
]}
`
	if whole.String() != want {
		t.Errorf("got\n%s\nwant\n%s", whole.String(), want)
	}
	roundTrip(t, ds, WriteInstances, ReadInstances)
	if _, err := NewIndex(ds, IndexOptions{}); err != nil {
		t.Errorf("index: %v", err)
	}
}
