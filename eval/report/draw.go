package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"strings"

	"github.com/disintegration/imaging"

	"rewardvision/eval/batch"
	"rewardvision/internal/plot"
	"rewardvision/models/task"
)

// panelSize is the longer side of a drawn example, in px.
const panelSize = 224

// drawPanel returns an inline SVG: the image (scaled, as a PNG data URI),
// the ground truth dashed and the model's boxes with labels.
func drawPanel(sc *batch.Scored, im batch.ImageRec, v *batch.VariantResult, pos int) (template.HTML, error) {
	img, err := batch.DecodeImage(im)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return panel(img, func(s *strings.Builder, scale float64) { drawOutput(s, sc, im, v, pos, scale) })
}

// fit scales img to panelSize on its longer side: nearest neighbour up
// (pixels stay visible), Lanczos down.
func fit(img image.Image, size int) image.Image {
	b := img.Bounds()
	scale := float64(size) / float64(max(b.Dx(), b.Dy()))
	w, h := int(float64(b.Dx())*scale+0.5), int(float64(b.Dy())*scale+0.5)
	if scale < 1 {
		return imaging.Resize(img, w, h, imaging.Lanczos)
	}
	return imaging.Resize(img, w, h, imaging.NearestNeighbor)
}

// panel returns an inline SVG of img (downscaled, as a PNG data URI) with
// what overlay draws on it (nil: nothing), in the panel's coordinates
// (scale: panel px per image px).
func panel(img image.Image, overlay func(s *strings.Builder, scale float64)) (template.HTML, error) {
	b := img.Bounds()
	scale := float64(panelSize) / float64(max(b.Dx(), b.Dy()))
	w, h := float64(b.Dx())*scale, float64(b.Dy())*scale
	small := fit(img, panelSize)
	var pb bytes.Buffer
	if err := png.Encode(&pb, small); err != nil {
		return "", err
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="panel" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.2f %.2f">`, w, h, w, h)
	fmt.Fprintf(&s, `<image width="%.2f" height="%.2f" href="data:image/png;base64,%s" style="image-rendering:pixelated"/>`, w, h, base64.StdEncoding.EncodeToString(pb.Bytes()))
	if overlay != nil {
		overlay(&s, scale)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()), nil // #nosec: built from escaped text and numbers
}

// drawOutput draws a detection model's boxes over the ground truth's.
func drawOutput(s *strings.Builder, sc *batch.Scored, im batch.ImageRec, v *batch.VariantResult, pos int, scale float64) {
	if sc.Eval.Task == task.Detection {
		for _, g := range sc.Dataset.GT.Boxes(im.ID) {
			fmt.Fprintf(s, `<rect class="gt" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="none" stroke="#ffffff" stroke-width="1.5" stroke-dasharray="4 3"/>`,
				g.BBox[0]*scale, g.BBox[1]*scale, g.BBox[2]*scale, g.BBox[3]*scale)
		}
		for k, d := range v.Outputs[pos].Detections {
			c := plot.Palette[d.CategoryID%len(plot.Palette)]
			x, y := d.BBox[0]*scale, d.BBox[1]*scale
			fmt.Fprintf(s, `<rect class="det" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="none" stroke="%s" stroke-width="2"/>`,
				x, y, d.BBox[2]*scale, d.BBox[3]*scale, c)
			label := ""
			if c, ok := sc.Dataset.GT.Category(d.CategoryID); ok {
				label = c.Name
			}
			if label == "" {
				label = fmt.Sprint(d.CategoryID)
			}
			ty := max(y-2, 10+float64(k%2)*10)
			fmt.Fprintf(s, `<text x="%.2f" y="%.2f" font-size="11" fill="%s" stroke="#000" stroke-width="0.3" font-family="sans-serif">%s %.2f</text>`,
				x+1, ty, c, template.HTMLEscapeString(label), d.Score)
		}
	}
}
