package report

import (
	"fmt"
	"image"

	"rewardvision/eval/batch"
	"rewardvision/eval/colorize"
	"rewardvision/models/codec"
)

// colorFigure shows the gray input the models saw, every model's
// colorized image and the colour ground truth.
func colorFigure(sc *batch.Scored) figure {
	ev := sc.Eval
	return figure{
		input: "input (gray)",
		in:    func(src image.Image) image.Image { return gray(src) },
		output: func(v *batch.VariantResult, pos int, _ image.Image) (image.Image, string, error) {
			path := ev.OutputPNG(v, pos)
			out, err := batch.DecodeImage(batch.ImageRec{Path: path})
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", path, err)
			}
			return out, fmt.Sprintf("PSNR %.2f dB, SSIM %.3f, colourfulness %.1f",
				v.PerImage[batch.MetricPSNR][pos], v.PerImage[batch.MetricSSIM][pos], v.PerImage[batch.MetricColorfulness][pos]), nil
		},
		truth: func(pos int, src image.Image) (image.Image, string, error) {
			return src, fmt.Sprintf("colourfulness %.1f", ev.Variants[0].PerImage[batch.MetricColorfulnessGT][pos]), nil
		},
	}
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
