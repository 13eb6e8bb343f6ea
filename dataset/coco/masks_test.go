package coco

import (
	"strings"
	"testing"

	"rewardvision/internal/testfix"
)

func TestSegmentationMask(t *testing.T) {
	ds, err := LoadInstances(testfix.Path(t, "coco-det/small/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := NewIndex(ds, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ds.Annotations[:200] {
		im, _ := ix.Image(a.ImageID)
		m, err := a.Segmentation.Mask(im.Height, im.Width)
		if err != nil {
			t.Fatalf("annotation %d: %v", a.ID, err)
		}
		if a.Segmentation.Kind() == SegRLE && float64(m.Area()) != a.Area {
			t.Fatalf("crowd annotation %d: mask area %d, area field %v", a.ID, m.Area(), a.Area)
		}
		// the compressed and list forms decode to the same mask
		for _, compressed := range []bool{true, false} {
			back, err := FromMask(m, compressed).Mask(im.Height, im.Width)
			if err != nil || !back.Equal(m) {
				t.Fatalf("annotation %d: FromMask(compressed=%v) round trip: %v", a.ID, compressed, err)
			}
		}
	}
	real, err := LoadInstances(testfix.Path(t, "coco-det/real2/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := real.Annotations[0]
	m, err := a.Segmentation.Mask(427, 640)
	if err != nil || float64(m.Area()) != a.Area || m.ToBBox() != [4]float64(a.BBox) {
		t.Fatalf("real2 annotation 1000: area %d bbox %v (%v), want %v %v", m.Area(), m.ToBBox(), err, a.Area, a.BBox)
	}
	if _, err := a.Segmentation.Mask(428, 640); err == nil || !strings.Contains(err.Error(), "RLE size") {
		t.Errorf("size mismatch: %v", err)
	}
	bad := &Segmentation{RLE: &RLE{Size: [2]int{2, 2}, Counts: []uint32{1, 1}}}
	if _, err := bad.Mask(2, 2); err == nil {
		t.Error("counts summing to 2 of 4 accepted")
	}
}
