package rle

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// TestPolygonsMatchPycocotools compares rasterisations with masks made by
// pycocotools (see testdata/README.md).
func TestPolygonsMatchPycocotools(t *testing.T) {
	b, err := os.ReadFile("testdata/polygons12.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Polygon []float64 `json:"polygon"`
		Size    [2]int    `json:"size"`
		Counts  string    `json:"counts"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 400 {
		t.Fatalf("%d cases, want 400", len(cases))
	}
	for i, c := range cases {
		got, err := FromPolygons([][]float64{c.Polygon}, c.Size[0], c.Size[1])
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if s := got.String(); s != c.Counts {
			t.Fatalf("case %d: counts %q, want %q", i, s, c.Counts)
		}
	}
}

func TestFromBBoxPixels(t *testing.T) {
	// A box with integer corners covers exactly the pixels whose centres
	// lie inside it: [1,1,2,3] on a 6x5 image -> x 1..2, y 1..3.
	r, err := FromBBox([4]float64{1, 1, 2, 3}, 6, 5)
	if err != nil {
		t.Fatal(err)
	}
	if a := r.Area(); a != 6 {
		t.Errorf("area %d, want 6", a)
	}
	if bb := r.ToBBox(); bb != [4]float64{1, 1, 2, 3} {
		t.Errorf("bbox %v, want [1 1 2 3]", bb)
	}
	// Boxes as polygon-list entries (first entry of length 4).
	r2, err := FromPolygons([][]float64{{1, 1, 2, 3}}, 6, 5)
	if err != nil || !r2.Equal(r) {
		t.Errorf("FromPolygons(box) = %v, %v; want %v", r2, err, r)
	}
	// Clipped to the image.
	r3, err := FromBBox([4]float64{-10, -10, 100, 100}, 6, 5)
	if err != nil || r3.Area() != 30 {
		t.Errorf("oversized box: area %d, %v; want 30", r3.Area(), err)
	}
}

func TestFromPolygonsUnion(t *testing.T) {
	a := []float64{0, 0, 0, 2, 2, 2, 2, 0}
	b := []float64{1, 1, 1, 3, 3, 3, 3, 1}
	ra, _ := FromPolygon(a, 4, 4)
	rb, _ := FromPolygon(b, 4, 4)
	u, err := FromPolygons([][]float64{a, b}, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Area(), ra.Area()+rb.Area()-Intersection(ra, rb); got != want {
		t.Errorf("union area %d, want %d", got, want)
	}
	if e, err := FromPolygons(nil, 3, 4); err != nil || e.Area() != 0 || e.Validate() != nil {
		t.Errorf("empty polygon list: %v, %v", e, err)
	}
}

func TestFromPolygonErrors(t *testing.T) {
	tests := []struct {
		name  string
		polys [][]float64
		h, w  int
	}{
		{"too few coordinates", [][]float64{{1, 2, 3, 4, 5}}, 10, 10},
		{"odd length", [][]float64{{1, 2, 3, 4, 5, 6, 7}}, 10, 10},
		{"NaN", [][]float64{{1, 2, math.NaN(), 4, 5, 6}}, 10, 10},
		{"infinite", [][]float64{{1, 2, math.Inf(1), 4, 5, 6}}, 10, 10},
		{"huge", [][]float64{{1, 2, 1e300, 4, 5, 6}}, 10, 10},
		{"box then polygon", [][]float64{{1, 2, 3, 4}, {1, 2, 3, 4, 5, 6}}, 10, 10},
		{"negative size", [][]float64{{1, 2, 3, 4, 5, 6}}, -1, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := FromPolygons(tc.polys, tc.h, tc.w); !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPolygonDegenerate(t *testing.T) {
	// Repeated vertices and a zero-area polygon must not crash and give a
	// valid (possibly empty) mask.
	for _, p := range [][]float64{
		{1, 1, 1, 1, 1, 1},
		{0, 0, 5, 5, 0, 0},
		{-3.3, -2, -1, -7, -4, -0.1},
		{2, 2, 2, 2, 8, 2, 8, 8},
	} {
		r, err := FromPolygon(p, 6, 7)
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
	}
}

func FuzzFromPolygon(f *testing.F) {
	f.Add(1.0, 1.0, 5.0, 1.5, 3.0, 7.25, 8, 6)
	f.Add(-3.3, -2.0, -1.0, -7.0, -4.0, -0.1, 4, 4)
	f.Fuzz(func(t *testing.T, x1, y1, x2, y2, x3, y3 float64, h, w int) {
		if h > 64 || w > 64 {
			return
		}
		r, err := FromPolygon([]float64{x1, y1, x2, y2, x3, y3}, h, w)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("invalid result: %v", err)
		}
	})
}
