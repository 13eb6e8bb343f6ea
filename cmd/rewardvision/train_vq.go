package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"rewardvision/internal/buildinfo"
	"rewardvision/internal/cli"
	"rewardvision/models/codec"
	"rewardvision/models/task"
	"rewardvision/train"
)

const trainVQHelp = `Stage I (UViM's discrete code of the target) of the colorization model: a
k-means codebook of chroma patches. Each training image's Cb and Cr planes
(BT.601) are cut into --patch × --patch pixel patches, subsampled by --sub,
and clustered into --k codes by Lloyd's algorithm from --k random patches; an
empty cluster restarts at the worst-fitted patch, so no code is dead. The
luminance is never coded: outputs take it from the input.

--out receives codebook.json (the codes, for 'train mle --task colorization
--vq') and vq.json: the oracle (true codes of the validation images decoded
onto their luminance: PSNR, SSIM, colourfulness against the ground truth's,
mean reward), the fraction of codes those images use, and provenance. The
oracle bounds what stage II can reach.

Stage I of the panoptic model (--task panoptic): a code of patch label sets.
Each training panoptic map becomes a label map (stuff class; thing class and
rank of the instance by first appearance in raster order, at most --ranks
instances), cut into --patch × --patch pixel patches; the --k most frequent
sets of labels in a patch are the codes. Decoding places a patch's labels on
its pixels by colour: each label's mean colour, each pixel to the nearest of
its patch's labels, the means refitted --refits times. vq.json holds the
oracle: PQ, SQ, RQ (All, Things, Stuff) and the mean image PQ of the true
codes decoded on the validation images.`

// Bounds of train vq's flags: a code is a token of stage II's vocabulary
// (models/arch: at most 1<<16 tokens, the first codec.CodeOffset special),
// and a 64² image holds at most 64² instances.
const (
	maxVQCodes = 1<<16 - codec.CodeOffset
	maxVQRanks = 64 * 64
)

func trainVQCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "vq",
		Short: "stage I of colorization or panoptic: the code of the target, with its oracle",
		Long:  trainVQHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train vq", "rewardvision train vq --task colorization|panoptic --data DIR --out DIR [flags]\n\n"+trainVQHelp)
			taskName := fs.String("task", "", task.Colorization, "colorization or panoptic")
			splits := addSplitFlags(fs)
			out := fs.String("out", "", "", "output folder (codebook.json, vq.json)")
			k := fs.Int("k", "", 512, "codebook size")
			patch := fs.Int("patch", "", 8, "pixels per code, each side (dividing the image size)")
			sub := fs.Int("sub", "", 2, "colorization: chroma subsampling inside a patch (dividing --patch)")
			images := fs.Int("images", "", 8000, "training images whose patches are clustered or counted (0: all)")
			iters := fs.Int("iters", "", 25, "colorization: k-means iterations")
			ranks := fs.Int("ranks", "", 4, "panoptic: thing instances an image may hold")
			refits := fs.Int("refits", "", 3, "panoptic: colour refits of the decoder")
			seed := fs.Int("seed", "", 1, "seed of the image choice and the initial centres")
			evalN := fs.Int("eval-n", "", 500, "validation images of the oracle (0: all)")
			df := addDataFlags(fs, "")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("train vq takes no arguments, got %q", fs.Args())
			}
			minK := 2
			switch *taskName {
			case task.Colorization:
				if fs.Given("ranks") || fs.Given("refits") {
					return cli.Usagef("train vq: --ranks and --refits are for --task panoptic")
				}
				if *iters < 1 {
					return cli.Usagef("train vq: --iters %d: want ≥ 1", *iters)
				}
				if _, err := codec.NewChroma(64, *patch, *sub, 1); err != nil {
					return cli.Usagef("train vq: --patch %d, --sub %d: %v", *patch, *sub, err)
				}
			case task.Panoptic:
				if fs.Given("sub") || fs.Given("iters") {
					return cli.Usagef("train vq: --sub and --iters are for --task colorization")
				}
				minK = 1
				switch {
				case *ranks < 1 || *ranks > maxVQRanks:
					return cli.Usagef("train vq: --ranks %d: want 1..%d (a 64² image's pixels)", *ranks, maxVQRanks)
				case *refits < 0:
					return cli.Usagef("train vq: --refits %d: want ≥ 0", *refits)
				case *patch < 1 || 64%*patch != 0:
					return cli.Usagef("train vq: --patch %d: want a divisor of the image size, 64", *patch)
				}
			default:
				return cli.Usagef("train vq: --task must be colorization or panoptic, got %q", *taskName)
			}
			switch {
			case *k < minK || *k > maxVQCodes:
				return cli.Usagef("train vq: --k %d: want k ≥ %d, at most %d (codes are tokens of the model's vocabulary)", *k, minK, maxVQCodes)
			case *images < 0:
				return cli.Usagef("train vq: --images %d: want ≥ 0 (0: all)", *images)
			case *evalN < 0:
				return cli.Usagef("train vq: --eval-n %d: want ≥ 0 (0: all)", *evalN)
			}
			trainDir, valDir, err := splits.dirs("train vq")
			if err != nil {
				return err
			}
			if err := df.check("train vq"); err != nil {
				return err
			}
			if trainDir == "" || valDir == "" || *out == "" {
				return cli.Usagef("train vq: --data (or --train and --val) and --out are required (see --help)")
			}
			if *taskName == task.Panoptic {
				return runPanopticVQ(ctx, stdout, train.PanopticVQConfig{TrainDir: trainDir, ValDir: valDir, OutDir: *out,
					Patch: *patch, K: *k, Ranks: *ranks, Refits: *refits, Images: *images, Seed: int64(*seed), EvalN: *evalN,
					Workers: *df.workers, SkipBad: *df.skipBad,
					Command: "rewardvision train vq " + shellJoin(args), DataDesc: *df.desc, DataSeed: int64(*df.seed), World: *df.world,
					Commit: buildinfo.Revision(), Logger: slog.Default()})
			}
			term := cli.IsTerminal(stderr)
			cfg := train.VQConfig{TrainDir: trainDir, ValDir: valDir, OutDir: *out,
				Patch: *patch, Sub: *sub, K: *k, Images: *images, Iters: *iters, Seed: int64(*seed), EvalN: *evalN,
				Workers: *df.workers, SkipBad: *df.skipBad,
				Command: "rewardvision train vq " + shellJoin(args), DataDesc: *df.desc, DataSeed: int64(*df.seed), World: *df.world,
				Commit: buildinfo.Revision(), Logger: slog.Default(),
				OnIter: func(it train.VQIter) {
					eta := it.Elapsed * time.Duration(it.Total-it.Iter) / time.Duration(it.Iter)
					if term {
						fmt.Fprintf(stderr, "\riteration %d/%d  mse %.2f  restarted %d  ETA %s   ", it.Iter, it.Total, it.MSE, it.Restarted, eta.Round(time.Second))
						return
					}
					slog.Info("train vq", "iter", it.Iter, "total", it.Total, "mse", it.MSE, "restarted", it.Restarted, "eta", eta.Round(time.Second).String())
				},
			}
			meta, err := train.RunVQ(ctx, cfg)
			if term {
				fmt.Fprintln(stderr)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "codebook of %d codes on a %d² grid (patch %d, sub %d) from %d patches of %d images in %s\n",
				meta.K, meta.Grid, meta.Patch, meta.Sub, meta.Patches, meta.Images, *out)
			fmt.Fprintf(stdout, "oracle on %d validation images: PSNR %.2f dB, SSIM %.4f, colourfulness %.2f (ground truth %.2f), reward %.2f; codes used %.1f%%\n",
				meta.Oracle.Images, meta.Oracle.PSNR, meta.Oracle.SSIM, meta.Oracle.Colorfulness, meta.Oracle.ColorfulnessGT, meta.Oracle.Reward, 100*meta.CodesUsed)
			return nil
		},
	}
}

func runPanopticVQ(ctx context.Context, stdout io.Writer, cfg train.PanopticVQConfig) error {
	meta, err := train.RunPanopticVQ(ctx, cfg)
	if err != nil {
		return err
	}
	o := meta.Oracle
	fmt.Fprintf(stdout, "%d codes (patch label sets) on a %d² grid from %d images, covering %.2f%% of their patches, in %s\n",
		meta.K, meta.Grid, meta.Images, 100*meta.Coverage, cfg.OutDir)
	fmt.Fprintf(stdout, "oracle on %.0f validation images: PQ %.4f (things %.4f, stuff %.4f), SQ %.4f, RQ %.4f, mean image PQ %.4f; codes used %.1f%%\n",
		o["images"], o["PQ"], o["PQ_things"], o["PQ_stuff"], o["SQ"], o["RQ"], o["reward"], 100*meta.CodesUsed)
	return nil
}
