package overlay

import (
	"image"
	"image/color"
	"testing"
)

// TestSegments: a 2×1 map of two segments at scale 2: each tinted
// half-way to its colour, an untinted id keeps the image's colour, and
// the border between them is the last column of the left source pixel.
func TestSegments(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.SetRGBA(0, 0, color.RGBA{100, 100, 100, 255})
	img.SetRGBA(1, 0, color.RGBA{10, 20, 30, 255})
	tint := map[uint32]color.RGBA{7: {200, 0, 50, 255}}
	dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
	Segments(dst, img, []uint32{7, 9}, 2, 1, 2, tint)
	black, tinted, plain := color.RGBA{0, 0, 0, 255}, color.RGBA{150, 50, 75, 255}, color.RGBA{10, 20, 30, 255}
	want := [2][4]color.RGBA{{tinted, black, plain, plain}, {tinted, black, plain, plain}}
	for y := range 2 {
		for x := range 4 {
			if got := dst.RGBAAt(x, y); got != want[y][x] {
				t.Errorf("(%d, %d) = %v, want %v", x, y, got, want[y][x])
			}
		}
	}
	// One segment: no border anywhere.
	Segments(dst, img, []uint32{9, 9}, 2, 1, 2, nil)
	if got := dst.RGBAAt(1, 0); got != (color.RGBA{100, 100, 100, 255}) {
		t.Errorf("one segment: (1, 0) = %v, want the image's colour", got)
	}
}
