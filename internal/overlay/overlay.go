// Package overlay draws a panoptic map over its image, for people: the
// server's `predict --out` pictures and the eval report's figures.
package overlay

import (
	"image"
	"image/color"
)

// Segments draws img, scaled up by scale, into dst from its top-left
// corner: each pixel tinted half-way to the colour tint gives its segment
// in ids (w×h, row-major; ids without a tint keep the image's colour),
// and black where the source pixel's right or lower neighbour belongs to
// another segment (the border drawn on the last row and column of the
// scaled-up pixel). img must cover w×h from its Min.
func Segments(dst *image.RGBA, img image.Image, ids []uint32, w, h, scale int, tint map[uint32]color.RGBA) {
	b := img.Bounds()
	for y := range h * scale {
		for x := range w * scale {
			sx, sy := x/scale, y/scale
			r, g, bl, _ := img.At(b.Min.X+sx, b.Min.Y+sy).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			id := ids[sy*w+sx]
			if t, ok := tint[id]; ok {
				c = color.RGBA{uint8((uint16(c.R) + uint16(t.R)) / 2), uint8((uint16(c.G) + uint16(t.G)) / 2), uint8((uint16(c.B) + uint16(t.B)) / 2), 255}
			}
			if (x%scale == scale-1 && sx+1 < w && ids[sy*w+sx+1] != id) || (y%scale == scale-1 && sy+1 < h && ids[(sy+1)*w+sx] != id) {
				c = color.RGBA{0, 0, 0, 255}
			}
			dst.SetRGBA(x, y, c)
		}
	}
}
