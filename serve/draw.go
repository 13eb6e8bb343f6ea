package serve

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"rewardvision/api"
	"rewardvision/dataset/coco"
	"rewardvision/internal/overlay"
)

// palette colours boxes by category (one class keeps one colour) and
// panoptic segments by their place in segments_info.
var palette = []color.RGBA{
	{230, 25, 75, 255}, {60, 180, 75, 255}, {0, 130, 200, 255}, {245, 130, 48, 255}, {145, 30, 180, 255},
	{70, 240, 240, 255}, {240, 50, 230, 255}, {210, 245, 60, 255}, {250, 190, 212, 255}, {0, 128, 128, 255},
}

// DrawDetections returns img with each detection's box (2 px, or 1 on
// images under 200 px) and "label score" drawn over it. Small images are
// scaled up first so the labels stay readable.
func DrawDetections(img image.Image, dets []api.Detection) *image.RGBA {
	b := img.Bounds()
	scale := 1
	for max(b.Dx(), b.Dy())*scale < 256 {
		scale *= 2
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			out.Set(x, y, img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
		}
	}
	thick := 2
	for _, d := range dets {
		c := palette[(d.CategoryID%len(palette)+len(palette))%len(palette)]
		x0, y0 := int(d.BBox[0]*float64(scale)), int(d.BBox[1]*float64(scale))
		x1, y1 := int((d.BBox[0]+d.BBox[2])*float64(scale)), int((d.BBox[1]+d.BBox[3])*float64(scale))
		u := image.NewUniform(c)
		for _, r := range []image.Rectangle{
			image.Rect(x0, y0, x1, y0+thick), image.Rect(x0, y1-thick, x1, y1),
			image.Rect(x0, y0, x0+thick, y1), image.Rect(x1-thick, y0, x1, y1),
		} {
			draw.Draw(out, r.Intersect(out.Rect), u, image.Point{}, draw.Src)
		}
		label := fmt.Sprintf("%s %.2f", d.Label, d.Score)
		w := font.MeasureString(basicfont.Face7x13, label).Ceil()
		ty := max(y0, 13)
		draw.Draw(out, image.Rect(x0, ty-13, x0+w+2, ty).Intersect(out.Rect), u, image.Point{}, draw.Src)
		dr := font.Drawer{Dst: out, Src: image.White, Face: basicfont.Face7x13, Dot: fixed.P(x0+1, ty-3)}
		dr.DrawString(label)
	}
	return out
}

// DrawPanoptic returns img with a panoptic answer drawn over it: each
// segment tinted in its own colour (half the image, half the colour), the
// segments' borders in black, and a legend to the right naming each
// segment ("label #id"). idPNG is the answer's COCO panoptic PNG, of img's
// size; void pixels stay untinted. Small images are scaled up first so
// the legend stays readable.
func DrawPanoptic(img image.Image, idPNG []byte, segs []api.Segment) (*image.RGBA, error) {
	m, err := coco.DecodeIDMap(bytes.NewReader(idPNG))
	if err != nil {
		return nil, fmt.Errorf("the panoptic PNG: %w", err)
	}
	b := img.Bounds()
	if m.Width != b.Dx() || m.Height != b.Dy() {
		return nil, fmt.Errorf("the panoptic PNG is %dx%d, the image %dx%d", m.Width, m.Height, b.Dx(), b.Dy())
	}
	tint := map[uint32]color.RGBA{}
	for i, s := range segs {
		tint[uint32(s.ID)] = palette[i%len(palette)]
	}
	scale := 1
	for max(b.Dx(), b.Dy())*scale < 256 {
		scale *= 2
	}
	const rowH, legendW = 16, 150
	w, h := b.Dx()*scale, max(b.Dy()*scale, rowH*len(segs)+4)
	out := image.NewRGBA(image.Rect(0, 0, w+legendW, h))
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	overlay.Segments(out, img, m.IDs, m.Width, m.Height, scale, tint)
	for i, s := range segs {
		y0 := 2 + i*rowH
		draw.Draw(out, image.Rect(w+4, y0+2, w+16, y0+14), image.NewUniform(palette[i%len(palette)]), image.Point{}, draw.Src)
		dr := font.Drawer{Dst: out, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(w+20, y0+12)}
		dr.DrawString(fmt.Sprintf("%s #%d", s.Label, s.ID))
	}
	return out, nil
}
