package batch

import (
	"fmt"
	"io"
	"strconv"

	"rewardvision/eval/colorize"
	"rewardvision/internal/atomicfile"
)

// Colorization's metric names. The per-image ones are means over the
// images; ColorFD is a distance between the sets.
const (
	MetricPSNR           = "PSNR"
	MetricSSIM           = "SSIM"
	MetricColorfulness   = "colorfulness"
	MetricColorfulnessGT = "colorfulness_gt"
	MetricSimilarity     = "similarity"
	MetricColorFD        = "color-FD"
	MetricReward         = "reward"
)

// colorPerImage are colorization's per-image scores, in scores.csv's
// column order (the reward last).
var colorPerImage = []string{MetricPSNR, MetricSSIM, MetricColorfulness, MetricColorfulnessGT, MetricSimilarity, MetricReward}

// PSNRCap is the PSNR an identical output scores (colorize.Score).
const PSNRCap = colorize.PSNRCap

// ColorizedDir is the folder, inside a model's folder of the run, that
// holds its colorized PNGs (one per image, named by image id).
const ColorizedDir = "colorized"

// ScoresFile is a colorization model's per-image scores in its folder.
const ScoresFile = "scores.csv"

// colorDefinitions describe colorization's metrics, for metrics.json.
var colorDefinitions = map[string]string{
	MetricPSNR:           fmt.Sprintf("mean per-image PSNR (dB) of the output against the ground-truth colour image, RGB 0..255; identical images count %d", PSNRCap),
	MetricSSIM:           "mean per-image SSIM against the ground truth (Gaussian 11×11, σ 1.5, mean of the RGB channels)",
	MetricColorfulness:   "mean Hasler–Süsstrunk M3 colourfulness of the outputs",
	MetricColorfulnessGT: "mean M3 colourfulness of the ground-truth images (the same for every model; no A/B)",
	MetricSimilarity:     "mean luminance similarity −mean|Y(output) − Y(ground truth)| (BT.601, 0..255); 0 keeps the luminance exactly",
	MetricColorFD:        "Fréchet distance between Gaussians fitted to per-image colour statistics (mean and standard deviation of rg = R − G and yb = (R + G)/2 − B) of the outputs and of the ground truths; lower is closer; -1 with fewer than 2 images",
	MetricReward:         "mean per-image reward (see reward_definition)",
}

// colorValues are s in colorPerImage order.
func colorValues(s colorize.Scores) []float64 {
	return []float64{s.PSNR, s.SSIM, s.Colorfulness, s.ColorfulnessGT, s.Similarity, s.Reward}
}

// colorFeature is the vector the Fréchet distance compares.
func colorFeature(c colorize.Components) []float64 {
	return []float64{c.MeanRG, c.MeanYB, c.StdRG, c.StdYB}
}

// scoreColorization scores every variant's colorized images against the
// ground-truth colour images (decoded once per image for all variants),
// a few images at a time; the first failing image in id order is
// reported.
func scoreColorization(ev *Evaluation) error {
	n := len(ev.ImageIDs)
	for _, v := range ev.Variants {
		v.PerImage = map[string][]float64{}
		for _, name := range colorPerImage {
			v.PerImage[name] = make([]float64, n)
		}
		v.colorFeats = make([][]float64, n)
	}
	gtFeats := make([][]float64, n)
	if err := forEachImage(n, func(i int) error { return scoreColorImage(ev, i, gtFeats) }); err != nil {
		return err
	}
	for _, v := range ev.Variants {
		v.gtFeats = gtFeats
		for _, name := range colorPerImage {
			v.Metrics[name] = mean(v.PerImage[name], nil)
		}
		v.Rewards = v.PerImage[MetricReward]
		fd, err := colorFD(v.colorFeats, gtFeats, nil)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", v.Info.Key, MetricColorFD, err)
		}
		v.Metrics[MetricColorFD] = fd
	}
	return nil
}

// scoreColorImage scores image position i for every variant.
func scoreColorImage(ev *Evaluation, i int, gtFeats [][]float64) error {
	im := ev.Images[i]
	src, err := DecodeImage(im)
	if err != nil {
		return fmt.Errorf("ground truth %s (image id %d): %w", im.Path, im.ID, err)
	}
	gt := colorize.FromImage(src)
	gtFeats[i] = colorFeature(colorize.ColorfulnessComponents(gt))
	for _, v := range ev.Variants {
		key := v.Info.Key
		path, err := pngPath(ev.Task, ev.Dir, key, im.ID, v.Outputs[i].Colorized)
		if err != nil {
			return err
		}
		out, err := colorize.Load(path)
		if err != nil {
			return fmt.Errorf("model %s, image id %d: colorized output: %w", key, im.ID, err)
		}
		s, err := colorize.Score(out, gt)
		if err != nil {
			return fmt.Errorf("model %s: %s against %s (image id %d): %w", key, path, im.Path, im.ID, err)
		}
		for k, val := range colorValues(s) {
			v.PerImage[colorPerImage[k]][i] = val
		}
		v.colorFeats[i] = colorFeature(colorize.ColorfulnessComponents(out))
	}
	return nil
}

// colorFD is the Fréchet distance between the outputs' and the ground
// truths' colour statistics over counts copies of each image (nil: one
// each); -1 with fewer than two images.
func colorFD(feats, gtFeats [][]float64, counts []int) (float64, error) {
	var a, b [][]float64
	for i := range feats {
		c := 1
		if counts != nil {
			c = counts[i]
		}
		for range c {
			a = append(a, feats[i])
			b = append(b, gtFeats[i])
		}
	}
	if len(a) < 2 {
		return -1, nil
	}
	return colorize.FrechetDistance(a, b)
}

// resampledColor fills out (MetricNames order) with the metrics over counts
// copies of each image.
func (v *VariantResult) resampledColor(names []string, counts []int, out []float64) error {
	for k, name := range names {
		if name == MetricColorFD {
			fd, err := colorFD(v.colorFeats, v.gtFeats, counts)
			if err != nil {
				return err
			}
			out[k] = fd
			continue
		}
		out[k] = mean(v.PerImage[name], counts)
	}
	return nil
}

// writeColorScores writes a variant's per-image scores as
// DIR/<key>/scores.csv: image_id and the colorPerImage columns.
func writeColorScores(path string, ev *Evaluation, v *VariantResult) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		b := []byte("image_id")
		for _, name := range colorPerImage {
			b = append(b, ',')
			b = append(b, name...)
		}
		b = append(b, '\n')
		for i, id := range ev.ImageIDs {
			b = strconv.AppendInt(b, int64(id), 10)
			for _, name := range colorPerImage {
				b = append(b, ',')
				b = strconv.AppendFloat(b, v.PerImage[name][i], 'g', -1, 64)
			}
			b = append(b, '\n')
		}
		_, err := w.Write(b)
		return err
	})
}
