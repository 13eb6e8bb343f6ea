package loader

import (
	"image"
	"math"

	"github.com/disintegration/imaging"

	"rewardvision/dataset/coco"
)

// Letterbox is the map from a source image to the Size×Size model input:
// the image is scaled so that its longer side is Size, keeping the aspect
// ratio, and placed at the top-left corner; the rest (right or bottom) is
// padding. This is pix2seq's convention, and boxes need no offset.
//
// The scaled content is W×H pixels with W = round(SrcW·Size/max) and
// H = round(SrcH·Size/max); coordinates scale by W/SrcW in x and H/SrcH in
// y, so boxes follow the pixels exactly.
type Letterbox struct {
	SrcW, SrcH int
	Size       int
	W, H       int
}

// NewLetterbox computes the letterbox of a srcW×srcH image into size×size.
func NewLetterbox(srcW, srcH, size int) Letterbox {
	l := Letterbox{SrcW: srcW, SrcH: srcH, Size: size, W: size, H: size}
	if srcW <= 0 || srcH <= 0 {
		return l
	}
	m := float64(max(srcW, srcH))
	l.W = max(1, min(size, int(math.Round(float64(srcW)*float64(size)/m))))
	l.H = max(1, min(size, int(math.Round(float64(srcH)*float64(size)/m))))
	return l
}

// Scale returns the x and y scale factors from source to input pixels.
func (l Letterbox) Scale() (sx, sy float64) {
	return float64(l.W) / float64(l.SrcW), float64(l.H) / float64(l.SrcH)
}

// Box maps a box from source to input pixels. Multiplying before dividing
// keeps exact results exact (53·64/640 = 5.3, not 5.300000000000001).
func (l Letterbox) Box(b coco.BBox) coco.BBox {
	w, h, sw, sh := float64(l.W), float64(l.H), float64(l.SrcW), float64(l.SrcH)
	return coco.BBox{b[0] * w / sw, b[1] * h / sh, b[2] * w / sw, b[3] * h / sh}
}

// Unbox maps a box from input back to source pixels (for predictions).
func (l Letterbox) Unbox(b coco.BBox) coco.BBox {
	w, h, sw, sh := float64(l.W), float64(l.H), float64(l.SrcW), float64(l.SrcH)
	return coco.BBox{b[0] * sw / w, b[1] * sh / h, b[2] * sw / w, b[3] * sh / h}
}

// LetterboxImage places img into a size×size RGB buffer (3 bytes a pixel,
// row-major): scaled with imaging's linear filter (no resampling when the
// size is already right) to NewLetterbox's geometry, at the top-left,
// padded right and bottom with pad. Training data and served requests both
// go through it, so a model sees the same pixels in both.
func LetterboxImage(img image.Image, size int, pad [3]uint8) ([]uint8, Letterbox) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	lb := NewLetterbox(w, h, size)
	var src *image.NRGBA
	if lb.W == w && lb.H == h {
		src = imaging.Clone(img)
	} else {
		src = imaging.Resize(img, lb.W, lb.H, imaging.Linear)
	}
	pix := make([]uint8, 3*size*size)
	for i := range size * size {
		pix[3*i], pix[3*i+1], pix[3*i+2] = pad[0], pad[1], pad[2]
	}
	for y := range lb.H {
		row := src.Pix[y*src.Stride:]
		out := pix[3*y*size:]
		for x := range lb.W {
			copy(out[3*x:3*x+3], row[4*x:4*x+3])
		}
	}
	return pix, lb
}
