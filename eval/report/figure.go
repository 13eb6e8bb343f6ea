package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"rewardvision/eval/batch"
	"rewardvision/internal/atomicfile"
)

// gridCell is the side of one image's cell in GridFile, in px; gridGap
// the white space between cells.
const (
	gridCell = 128
	gridGap  = 4
)

// figure draws the examples of a task whose outputs are images
// (colorization, panoptic): the input the models saw, every model's
// output and the ground truth, side by side.
type figure struct {
	input string // the input column's name
	in    func(src image.Image) image.Image
	// output draws a variant's output of image position pos, with a line
	// of its scores.
	output func(v *batch.VariantResult, pos int, src image.Image) (image.Image, string, error)
	// truth draws the ground truth of image position pos, with a line.
	truth func(pos int, src image.Image) (image.Image, string, error)
}

// figureExamples fills the examples of f: with two models the images
// whose rewards differ most, else the first images by id (HTML panels,
// and the rows of GridFile).
func figureExamples(p *page, sc *batch.Scored, order []int, f figure) error {
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
	p.GridColumns = append(append([]string{f.input}, p.Variants...), "ground truth")
	for _, pos := range positions {
		im := ev.Images[pos]
		src, err := batch.DecodeImage(im)
		if err != nil {
			return fmt.Errorf("report: %s (image id %d): %w", im.Path, im.ID, err)
		}
		row := []image.Image{f.in(src)}
		ex := example{ImageID: im.ID, File: im.Path}
		if sc.AB != nil {
			ex.Diff = signed(ev.Variants[order[1]].Rewards[pos] - ev.Variants[order[0]].Rewards[pos])
		}
		if ex.Input, err = panel(row[0], nil); err != nil {
			return err
		}
		for _, i := range order {
			v := ev.Variants[i]
			out, scores, err := f.output(v, pos, src)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			row = append(row, out)
			pn, err := panel(out, nil)
			if err != nil {
				return err
			}
			ex.Panels = append(ex.Panels, pn)
			ex.Reward = append(ex.Reward, num(v.Rewards[pos]))
			ex.Scores = append(ex.Scores, scores)
		}
		truth, scores, err := f.truth(pos, src)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		row = append(row, truth)
		if ex.Truth, err = panel(truth, nil); err != nil {
			return err
		}
		ex.TruthScores = scores
		p.Examples = append(p.Examples, ex)
		p.grid = append(p.grid, row)
	}
	return nil
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
