package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"rewardvision/eval/batch"
	"rewardvision/eval/colorize"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/codec"
)

// gridCell is the side of one image's cell in GridFile, in px; gridGap
// the white space between cells.
const (
	gridCell = 128
	gridGap  = 4
)

// colorExamples fills the colorization examples: with two models the
// images whose rewards differ most, else the first images by id; each
// with the gray input the models saw, every model's output and the ground
// truth (HTML panels, and the rows of GridFile).
func colorExamples(p *page, sc *batch.Scored, order []int) error {
	ev := sc.Eval
	var positions []int
	if sc.AB != nil {
		p.ExamplesTitle = "Largest reward differences"
		positions = sc.AB.Diffs[:min(MaxExamples, len(sc.AB.Diffs))]
	} else {
		p.ExamplesTitle = "Examples"
		for pos := range min(MaxExamples, len(ev.ImageIDs)) {
			positions = append(positions, pos)
		}
	}
	p.GridColumns = append(append([]string{"input (gray)"}, p.Variants...), "ground truth")
	for _, pos := range positions {
		im := ev.Images[pos]
		src, err := batch.DecodeImage(im)
		if err != nil {
			return fmt.Errorf("report: %s (image id %d): %w", im.Path, im.ID, err)
		}
		row := []image.Image{gray(src)}
		ex := example{ImageID: im.ID, File: im.Path}
		if sc.AB != nil {
			ex.Diff = signed(ev.Variants[order[1]].Rewards[pos] - ev.Variants[order[0]].Rewards[pos])
		}
		if ex.Input, err = panel(row[0], nil); err != nil {
			return err
		}
		for _, i := range order {
			v := ev.Variants[i]
			path := ev.ColorizedPath(v, pos)
			out, err := batch.DecodeImage(batch.ImageRec{Path: path})
			if err != nil {
				return fmt.Errorf("report: %s: %w", path, err)
			}
			row = append(row, out)
			pn, err := panel(out, nil)
			if err != nil {
				return err
			}
			ex.Panels = append(ex.Panels, pn)
			ex.Reward = append(ex.Reward, num(v.Rewards[pos]))
			ex.Scores = append(ex.Scores, fmt.Sprintf("PSNR %.2f dB, SSIM %.3f, colourfulness %.1f",
				v.PerImage[batch.MetricPSNR][pos], v.PerImage[batch.MetricSSIM][pos], v.PerImage[batch.MetricColorfulness][pos]))
		}
		row = append(row, src)
		if ex.Truth, err = panel(src, nil); err != nil {
			return err
		}
		ex.TruthScores = fmt.Sprintf("colourfulness %.1f", ev.Variants[order[0]].PerImage[batch.MetricColorfulnessGT][pos])
		p.Examples = append(p.Examples, ex)
		p.grid = append(p.grid, row)
	}
	return nil
}

// gray is the luminance the model sees (model.json's input.gray,
// codec.Luma).
func gray(img image.Image) *image.Gray {
	rgb := colorize.FromImage(img)
	out := image.NewGray(image.Rect(0, 0, rgb.Width, rgb.Height))
	for i := range out.Pix {
		out.Pix[i] = codec.Luma(rgb.Pix[3*i], rgb.Pix[3*i+1], rgb.Pix[3*i+2])
	}
	return out
}

// writeGrid draws rows of images as one PNG: each image scaled into a
// gridCell square (centred), cells gridGap apart on white.
func writeGrid(path string, rows [][]image.Image) error {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	w := cols*gridCell + (cols+1)*gridGap
	h := len(rows)*gridCell + (len(rows)+1)*gridGap
	canvas := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for y, r := range rows {
		for x, img := range r {
			small := fit(img, gridCell)
			b := small.Bounds()
			x0 := gridGap + x*(gridCell+gridGap) + (gridCell-b.Dx())/2
			y0 := gridGap + y*(gridCell+gridGap) + (gridCell-b.Dy())/2
			draw.Draw(canvas, image.Rect(x0, y0, x0+b.Dx(), y0+b.Dy()), small, b.Min, draw.Src)
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, canvas) })
}
