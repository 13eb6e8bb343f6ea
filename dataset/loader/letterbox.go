package loader

import (
	"math"

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
