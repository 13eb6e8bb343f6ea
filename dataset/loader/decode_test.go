package loader

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"rewardvision/internal/testfix"
)

func TestDecodeImage(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(2, 1, color.NRGBA{R: 200, G: 10, B: 30, A: 255})
	var pngData, tiffData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tiffData, img, nil); err != nil {
		t.Fatal(err)
	}
	got, format, err := DecodeImage(pngData.Bytes(), 6)
	if err != nil || format != "png" || got.Bounds().Dx() != 3 || got.Bounds().Dy() != 2 {
		t.Fatalf("png: %v %q %v", got.Bounds(), format, err)
	}
	if r, g, b, _ := got.At(2, 1).RGBA(); r>>8 != 200 || g>>8 != 10 || b>>8 != 30 {
		t.Errorf("pixel (2,1) = %d %d %d, want 200 10 30", r>>8, g>>8, b>>8)
	}
	for _, tc := range []struct {
		name string
		data []byte
		max  int64
		kind error // nil: any other (bad image) error
		want string
	}{
		{"empty", nil, 100, nil, "empty image"},
		{"not an image", []byte("hello"), 100, nil, "not JPEG, PNG, GIF, WebP or BMP"},
		{"tiff", tiffData.Bytes(), 100, ErrImageFormat, "tiff images are not supported"},
		{"one pixel over", pngData.Bytes(), 5, ErrImageTooLarge, "3x2 = 6 pixels is too large (the limit is 5)"},
		{"bomb", testfix.PNGHeader(100_000, 100_000), MaxPixels, ErrImageTooLarge, "10000000000 pixels is too large"},
		{"truncated", pngData.Bytes()[:40], 100, nil, "undecodable png image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeImage(tc.data, tc.max)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
			for _, k := range []error{ErrImageFormat, ErrImageTooLarge} {
				if errors.Is(err, k) != (k == tc.kind) {
					t.Errorf("errors.Is(err, %v) = %v", k, errors.Is(err, k))
				}
			}
		})
	}
}
