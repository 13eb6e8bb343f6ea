package report

import (
	"fmt"
	"image"
	"image/color"

	"rewardvision/dataset/coco"
	"rewardvision/eval/batch"
	ov "rewardvision/internal/overlay"
)

// segmentColors colour the categories in the panoptic overlays, by their
// position in the dataset's list (Tableau 20): a category looks the same
// in every column.
var segmentColors = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
	{174, 199, 232, 255}, {255, 187, 120, 255}, {152, 223, 138, 255}, {255, 152, 150, 255}, {197, 176, 213, 255},
	{196, 156, 148, 255}, {247, 182, 210, 255}, {199, 199, 199, 255}, {219, 219, 141, 255}, {158, 218, 229, 255},
}

// panopticFigure shows the input, every model's segments and the ground
// truth's, each drawn over the input.
func panopticFigure(sc *batch.Scored) figure {
	ev, gt := sc.Eval, sc.Dataset.Panoptic
	colors := map[int]color.RGBA{}
	for i, c := range gt.Categories {
		colors[int(c.ID)] = segmentColors[i%len(segmentColors)]
	}
	return figure{
		input: "input",
		in:    func(src image.Image) image.Image { return src },
		output: func(v *batch.VariantResult, pos int, src image.Image) (image.Image, string, error) {
			path := ev.OutputPNG(v, pos)
			m, err := coco.ReadIDMap(path)
			if err != nil {
				return nil, "", err
			}
			cats := map[uint32]int{}
			for _, s := range v.Outputs[pos].Segments {
				cats[uint32(s.ID)] = int(s.CategoryID)
			}
			st := v.PanopticStats(pos)
			all, _, _ := st.Summary()
			var tp, fp, fn int
			for _, c := range st.Classes {
				tp, fp, fn = tp+c.TP, fp+c.FP, fn+c.FN
			}
			return overlay(src, m, cats, colors), fmt.Sprintf("PQ %.3f, SQ %.3f, RQ %.3f; TP %d, FP %d, FN %d", all.PQ, all.SQ, all.RQ, tp, fp, fn), nil
		},
		truth: func(pos int, src image.Image) (image.Image, string, error) {
			m, cats, err := gt.GroundTruth(ev.ImageIDs[pos])
			if err != nil {
				return nil, "", err
			}
			return overlay(src, m, cats, colors), fmt.Sprintf("%d segments", len(cats)), nil
		},
	}
}

// overlay draws the segments of m over img, each tinted in its category's
// colour (void and ids cats does not list stay as they are).
func overlay(img image.Image, m *coco.IDMap, cats map[uint32]int, colors map[int]color.RGBA) *image.RGBA {
	tint := make(map[uint32]color.RGBA, len(cats))
	for id, cat := range cats {
		if id != 0 {
			tint[id] = colors[cat]
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, m.Width, m.Height))
	ov.Segments(out, img, m.IDs, m.Width, m.Height, 1, tint)
	return out
}
