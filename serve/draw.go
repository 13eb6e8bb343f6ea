package serve

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"rewardvision/api"
)

// palette colours boxes by category, so one class keeps one colour.
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
