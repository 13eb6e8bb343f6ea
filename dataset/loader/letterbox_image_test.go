package loader

import (
	"image"
	"image/color"
	"testing"
)

func TestLetterboxImage(t *testing.T) {
	// A 4×2 image into 4×4: no resampling, two rows of padding below.
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for i := range 8 {
		img.Set(i%4, i/4, color.NRGBA{uint8(10 * i), uint8(i), 200, 255})
	}
	pad := [3]uint8{1, 2, 3}
	pix, lb := LetterboxImage(img, 4, pad)
	if lb != (Letterbox{SrcW: 4, SrcH: 2, Size: 4, W: 4, H: 2}) {
		t.Fatalf("letterbox %+v", lb)
	}
	for y := range 4 {
		for x := range 4 {
			got := [3]uint8(pix[3*(4*y+x) : 3*(4*y+x)+3])
			want := pad
			if y < 2 {
				i := 4*y + x
				want = [3]uint8{uint8(10 * i), uint8(i), 200}
			}
			if got != want {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}

	// An 8×4 image into 4×4 is halved: a uniform colour stays uniform.
	big := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	for i := range 32 {
		big.Set(i%8, i/8, color.NRGBA{50, 60, 70, 255})
	}
	pix, lb = LetterboxImage(big, 4, pad)
	if lb.W != 4 || lb.H != 2 {
		t.Fatalf("letterbox %+v", lb)
	}
	if got := [3]uint8(pix[0:3]); got != [3]uint8{50, 60, 70} {
		t.Errorf("scaled pixel %v", got)
	}
	if got := [3]uint8(pix[3*12 : 3*12+3]); got != pad {
		t.Errorf("padding pixel %v", got)
	}
}
