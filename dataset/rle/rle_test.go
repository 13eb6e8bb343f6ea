package rle

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"rewardvision/internal/testfix"
)

// bruteMask is a random row-major mask with a blob-like structure, so
// that runs are of mixed lengths.
func bruteMask(rng *rand.Rand, h, w int, p float64) []byte {
	m := make([]byte, h*w)
	for i := range m {
		if rng.Float64() < p {
			m[i] = 1
		}
	}
	return m
}

func TestFromMaskHandComputed(t *testing.T) {
	// rows: 1 0 1 / 1 1 0 -> column-major 1 1 | 0 1 | 1 0
	mask := []byte{1, 0, 1, 1, 1, 0}
	r, err := FromMask(mask, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, 2, 1, 2, 1}
	if !r.Equal(RLE{Height: 2, Width: 3, Counts: want}) {
		t.Fatalf("counts %v, want %v", r.Counts, want)
	}
	if a := r.Area(); a != 4 {
		t.Errorf("area %d, want 4", a)
	}
	if bb := r.ToBBox(); bb != [4]float64{0, 0, 3, 2} {
		t.Errorf("bbox %v, want [0 0 3 2]", bb)
	}
	back, err := r.Mask()
	if err != nil {
		t.Fatal(err)
	}
	for i := range mask {
		if back[i] != mask[i] {
			t.Fatalf("decoded mask %v, want %v", back, mask)
		}
	}
}

func TestToBBoxCases(t *testing.T) {
	tests := []struct {
		name string
		r    RLE
		want [4]float64
	}{
		{"empty", RLE{4, 5, []uint32{20}}, [4]float64{}},
		{"no counts", RLE{4, 5, nil}, [4]float64{}},
		{"full", RLE{4, 5, []uint32{0, 20}}, [4]float64{0, 0, 5, 4}},
		{"one pixel x=2 y=1", RLE{4, 5, []uint32{9, 1, 10}}, [4]float64{2, 1, 1, 1}},
		// A run from (x=0, y=3) to (x=1, y=0) spans two columns: all rows.
		{"wrapping run", RLE{4, 5, []uint32{3, 2, 15}}, [4]float64{0, 0, 2, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.ToBBox(); got != tc.want {
				t.Errorf("ToBBox = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMaskRoundTripAndBBoxBrute(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 200; it++ {
		h, w := 1+rng.IntN(12), 1+rng.IntN(12)
		mask := bruteMask(rng, h, w, rng.Float64())
		r, err := FromMask(mask, h, w)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		back, _ := r.Mask()
		area, xs, ys, xe, ye := 0, w, h, -1, -1
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if back[y*w+x] != mask[y*w+x] {
					t.Fatalf("round trip differs at %d,%d", x, y)
				}
				if mask[y*w+x] != 0 {
					area++
					xs, ys, xe, ye = min(xs, x), min(ys, y), max(xe, x), max(ye, y)
				}
			}
		}
		if r.Area() != area {
			t.Fatalf("area %d, want %d", r.Area(), area)
		}
		want := [4]float64{}
		if area > 0 {
			want = [4]float64{float64(xs), float64(ys), float64(xe - xs + 1), float64(ye - ys + 1)}
		}
		if got := r.ToBBox(); got != want {
			t.Fatalf("%dx%d mask: bbox %v, want %v", h, w, got, want)
		}
		s := r.String()
		r2, err := FromString(s, h, w)
		if err != nil || !r2.Equal(r) {
			t.Fatalf("string %q round trip: %v %v, want %v", s, r2.Counts, err, r.Counts)
		}
	}
}

func TestValidateAndMaskErrors(t *testing.T) {
	tests := []struct {
		name string
		r    RLE
	}{
		{"short counts", RLE{2, 2, []uint32{1, 2}}},
		{"long counts", RLE{2, 2, []uint32{1, 2, 3}}},
		{"negative size", RLE{-1, 2, []uint32{0}}},
		{"huge size", RLE{1 << 20, 1 << 20, []uint32{0}}},
		{"no counts", RLE{2, 2, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.r.Validate(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
			if _, err := tc.r.Mask(); err == nil {
				t.Error("Mask accepted an invalid RLE")
			}
		})
	}
	if _, err := FromMask(make([]byte, 5), 2, 3); err == nil {
		t.Error("FromMask accepted a mask of the wrong length")
	}
}

type realAnn struct {
	ID           int        `json:"id"`
	Area         int        `json:"area"`
	BBox         [4]float64 `json:"bbox"`
	Segmentation struct {
		Size   [2]int `json:"size"`
		Counts string `json:"counts"`
	} `json:"segmentation"`
}

// TestRealCOCOMasks checks decode, area, box and re-encoding on real COCO
// val2017 masks written by pycocotools.
func TestRealCOCOMasks(t *testing.T) {
	b, err := os.ReadFile(testfix.Path(t, "coco-det/real2/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gt struct {
		Annotations []realAnn `json:"annotations"`
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		t.Fatal(err)
	}
	if len(gt.Annotations) != 50 {
		t.Fatalf("%d annotations, want 50", len(gt.Annotations))
	}
	for _, a := range gt.Annotations {
		s := a.Segmentation
		r, err := FromString(s.Counts, s.Size[0], s.Size[1])
		if err != nil {
			t.Fatalf("annotation %d: %v", a.ID, err)
		}
		if r.Area() != a.Area {
			t.Errorf("annotation %d: area %d, want %d", a.ID, r.Area(), a.Area)
		}
		if bb := r.ToBBox(); bb != a.BBox {
			t.Errorf("annotation %d: bbox %v, want %v", a.ID, bb, a.BBox)
		}
		if got := r.String(); got != s.Counts {
			t.Errorf("annotation %d: re-encoded string differs", a.ID)
		}
		m, _ := r.Mask()
		r2, _ := FromMask(m, s.Size[0], s.Size[1])
		if !r2.Equal(r) {
			t.Errorf("annotation %d: mask round trip differs", a.ID)
		}
	}
}
