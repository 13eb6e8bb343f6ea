package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"text/tabwriter"

	"rewardvision/eval/colorize"
	"rewardvision/internal/cli"
)

const evalColorfulnessHelp = `Prints the colourfulness (Hasler & Süsstrunk 2003, M3, on 0..255 sRGB) of each
PNG or JPEG image. With --ref DIR, also PSNR (dB) and SSIM against the ground-truth
colour image of the same file name in DIR (SSIM: Gaussian 11×11, σ 1.5, per RGB
channel averaged, as tf.image.ssim). With --input DIR, also the colorization
reward against the gray input of the same name in DIR: colourfulness +
weight × similarity, similarity = −mean |luminance difference| (BT.601, 0..255).
In --json output a PSNR of +Inf (identical images) is written as null.`

// colorImageReport is one image of `eval colorfulness --json`.
type colorImageReport struct {
	File         string    `json:"file"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	Colorfulness float64   `json:"colorfulness"`
	PSNR         *psnrJSON `json:"psnr,omitempty"`
	SSIM         *float64  `json:"ssim,omitempty"`
	Similarity   *float64  `json:"similarity,omitempty"`
	Reward       *float64  `json:"reward,omitempty"`

	psnr      float64 // kept when +Inf (JSON cannot hold it)
	hasPSNR   bool
	hasReward bool
}

type colorMean struct {
	Colorfulness float64   `json:"colorfulness"`
	PSNR         *psnrJSON `json:"psnr,omitempty"`
	SSIM         *float64  `json:"ssim,omitempty"`
	Similarity   *float64  `json:"similarity,omitempty"`
	Reward       *float64  `json:"reward,omitempty"`
}

type colorReport struct {
	Images []colorImageReport `json:"images"`
	Mean   colorMean          `json:"mean"`
	Meta   map[string]any     `json:"meta"`
}

func evalColorfulnessCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "colorfulness",
		Short: "colourfulness (M3) of images, with PSNR/SSIM and the colorization reward",
		Long:  evalColorfulnessHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval colorfulness", "rewardvision eval colorfulness [--json] [--ref DIR] [--input DIR [--weight W]] IMAGE...\n\n"+evalColorfulnessHelp)
			limits := addInputLimits(fs, false, true)
			asJSON := fs.Bool("json", "", false, "print JSON")
			refDir := fs.String("ref", "", "", "folder of ground-truth colour images (same file names): adds PSNR and SSIM")
			inputDir := fs.String("input", "", "", "folder of gray input images (same file names): adds the colorization reward")
			weight := fs.Float64("weight", "", colorize.DefaultSimilarityWeight, "weight of the luminance similarity in the reward")
			images, err := fs.ParseMixed(args)
			if err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			if len(images) == 0 {
				return cli.Usagef("eval colorfulness: no images given (see --help)")
			}
			if math.IsNaN(*weight) || math.IsInf(*weight, 0) || *weight < 0 {
				return cli.Usagef("eval colorfulness: --weight %v: want a finite value >= 0", *weight)
			}
			if *inputDir == "" && fs.Given("weight") {
				return cli.Usagef("eval colorfulness: --weight weighs the reward, which needs --input")
			}
			reps, err := scoreColorImages(ctx, images, *refDir, *inputDir, *weight)
			if err != nil {
				return err
			}
			rep := colorReport{Images: reps, Mean: meanColor(reps, *refDir != "", *inputDir != ""), Meta: map[string]any{
				"colorfulness": "Hasler & Süsstrunk 2003 M3 on 0..255 sRGB, population std",
			}}
			if *refDir != "" {
				rep.Meta["ref"] = *refDir
				rep.Meta["ssim"] = "Wang et al. 2004, Gaussian 11x11 sigma 1.5, K1 0.01, K2 0.03, L 255, valid windows, mean of R, G, B"
			}
			if *inputDir != "" {
				rep.Meta["input"] = *inputDir
				rep.Meta["reward"] = fmt.Sprintf("colorfulness + %g * similarity, similarity = -mean|Y(out) - Y(in)|, Y = BT.601 luma on 0..255", *weight)
			}
			if *asJSON {
				return printJSON(stdout, rep)
			}
			return writeColorTable(stdout, rep, *refDir != "", *inputDir != "")
		},
	}
}

// scoreColorImages scores every image, a few at a time; results keep the
// argument order and the first failing image (in that order) is reported.
func scoreColorImages(ctx context.Context, files []string, refDir, inputDir string, weight float64) ([]colorImageReport, error) {
	reps := make([]colorImageReport, len(files))
	errs := make([]error, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				reps[i], errs[i] = scoreColorImage(files[i], refDir, inputDir, weight)
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reps, nil
}

func scoreColorImage(file, refDir, inputDir string, weight float64) (colorImageReport, error) {
	img, err := colorize.Load(file)
	if err != nil {
		return colorImageReport{}, err
	}
	r := colorImageReport{File: file, Width: img.Width, Height: img.Height, Colorfulness: colorize.Colorfulness(img)}
	if refDir != "" {
		refPath := filepath.Join(refDir, filepath.Base(file))
		ref, err := colorize.Load(refPath)
		if err != nil {
			return r, fmt.Errorf("%s: reference: %w", file, err)
		}
		psnr, err := colorize.PSNR(img, ref)
		if err != nil {
			return r, fmt.Errorf("%s vs %s: %w", file, refPath, err)
		}
		ssim, err := colorize.SSIM(img, ref)
		if err != nil {
			return r, fmt.Errorf("%s vs %s: %w", file, refPath, err)
		}
		p := psnrJSON(psnr)
		r.psnr, r.hasPSNR, r.SSIM, r.PSNR = psnr, true, &ssim, &p
	}
	if inputDir != "" {
		inPath := filepath.Join(inputDir, filepath.Base(file))
		in, err := colorize.Load(inPath)
		if err != nil {
			return r, fmt.Errorf("%s: input: %w", file, err)
		}
		rw, err := colorize.ColorizationReward(img, in, weight)
		if err != nil {
			return r, fmt.Errorf("%s vs %s: %w", file, inPath, err)
		}
		r.Similarity, r.Reward, r.hasReward = &rw.Similarity, &rw.Total, true
	}
	return r, nil
}

// psnrJSON is a PSNR that JSON writes as null when it is +Inf (identical
// images), as --help says, rather than leaving the key out.
type psnrJSON float64

func (p psnrJSON) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(p), 0) || math.IsNaN(float64(p)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(p))
}

// meanColor averages each column; a mean PSNR with an identical pair in it
// is +Inf, written as null.
func meanColor(reps []colorImageReport, withRef, withReward bool) colorMean {
	var m colorMean
	var psnr, ssim, sim, reward float64
	for _, r := range reps {
		m.Colorfulness += r.Colorfulness
		if withRef {
			psnr += r.psnr
			ssim += *r.SSIM
		}
		if withReward {
			sim += *r.Similarity
			reward += *r.Reward
		}
	}
	n := float64(len(reps))
	m.Colorfulness /= n
	if withRef {
		p := psnrJSON(psnr / n)
		m.PSNR = &p
		s := ssim / n
		m.SSIM = &s
	}
	if withReward {
		s, r := sim/n, reward/n
		m.Similarity, m.Reward = &s, &r
	}
	return m
}

func writeColorTable(w io.Writer, rep colorReport, withRef, withReward bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "colorfulness\t"
	if withRef {
		head += "PSNR dB\tSSIM\t"
	}
	if withReward {
		head += "similarity\treward\t"
	}
	fmt.Fprintf(tw, "%s size\t image\n", head)
	row := func(name, size string, c float64, psnr float64, ssim, sim, reward *float64) {
		line := fmt.Sprintf("%.4f\t", c)
		if withRef {
			line += fmt.Sprintf("%.3f\t%.4f\t", psnr, *ssim)
		}
		if withReward {
			line += fmt.Sprintf("%.4f\t%.4f\t", *sim, *reward)
		}
		fmt.Fprintf(tw, "%s %s\t %s\n", line, size, name)
	}
	for _, r := range rep.Images {
		row(r.File, fmt.Sprintf("%dx%d", r.Width, r.Height), r.Colorfulness, r.psnr, r.SSIM, r.Similarity, r.Reward)
	}
	if len(rep.Images) > 1 {
		psnr := math.Inf(1)
		if rep.Mean.PSNR != nil {
			psnr = float64(*rep.Mean.PSNR)
		}
		row(fmt.Sprintf("mean of %d", len(rep.Images)), "", rep.Mean.Colorfulness, psnr, rep.Mean.SSIM, rep.Mean.Similarity, rep.Mean.Reward)
	}
	return tw.Flush()
}
