package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"rewardvision/internal/buildinfo"
	"rewardvision/internal/cli"
	"rewardvision/models/checkpoint"
	"rewardvision/models/task"
	"rewardvision/train"
)

const trainMLEHelp = `Trains a detection, captioning, colorization or panoptic model by maximum likelihood (Algorithm 1 of
the paper): teacher-forced token cross-entropy, AdamW with decoupled weight
decay, linear warmup then cosine decay, global-norm gradient clipping.

--data is a split folder from 'rewardvision data gen' holding train/ and val/
(or give --train and --val). --out receives GoMLX checkpoints (every
--ckpt-every steps, the last --keep kept), meta.json (models/checkpoint metadata with
the last validation metrics), log.jsonl (one line per logged step: loss, lr,
gradient norm, steps/s, validation metrics) and, for captioning, vocab.json;
for colorization and panoptic (stage II: the gray image, or the image, to the
codes of the --vq codebook from 'train vq'), codebook.json.
A run is a function of --seed: --resume continues a stopped run exactly.
A non-finite loss stops the run and keeps the last good checkpoint.`

const trainShipHelp = `Copies the latest checkpoint of a training folder into a shipping folder:
the weights only (no optimizer state; reward tuning starts a fresh optimizer),
meta.json and, for captioning, the vocabulary. The result loads with
seq.Load and checkpoint.Load like the training folder. The run's log.jsonl is
copied too, with its chart in curve.svg (as 'train plot' draws it). With
--val the shipped weights are evaluated and meta.json records those metrics
(with their step).`

func trainCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "train",
		Short: "train models (MLE), ship checkpoints, plot training logs",
		Subs:  []*cli.Command{trainVQCommand(stdout, stderr), trainMLECommand(stdout, stderr), trainRewardCommand(stdout, stderr), trainShipCommand(stdout), trainValidateCommand(stdout), trainPlotCommand(stdout)},
	}
}

func trainMLECommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "mle",
		Short: "maximum-likelihood training of a detection, captioning, colorization or panoptic model",
		Long:  trainMLEHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train mle", "rewardvision train mle --task detection|captioning|colorization|panoptic --data DIR --out DIR [flags]\n\n"+trainMLEHelp)
			taskName := fs.String("task", "", "", "detection, captioning, colorization or panoptic")
			splits := addSplitFlags(fs)
			out := fs.String("out", "", "", "output folder (checkpoints, meta.json, log.jsonl)")
			steps := fs.Int("steps", "", 3000, "total optimizer steps")
			batch := fs.Int("batch", "", 32, "images per step")
			lr := fs.Float64("lr", "", 1e-3, "peak learning rate")
			warmup := fs.Int("warmup", "", 200, "linear warmup steps")
			wd := fs.Float64("weight-decay", "", 1e-4, "AdamW decoupled weight decay")
			clip := fs.Float64("clip", "", 1.0, "global gradient-norm clip (0: none)")
			seed := fs.Int("seed", "", 1, "seed of weights, data order and sample choices")
			evalEvery := fs.Int("eval-every", "", 500, "validate every N steps (and at the end; 0: only at the end)")
			evalN := fs.Int("eval-n", "", 500, "validation images (0: all)")
			ckptEvery := fs.Int("ckpt-every", "", 200, "checkpoint every N steps (and at the end)")
			keep := fs.Int("keep", "", 3, "checkpoints kept")
			logEvery := fs.Int("log-every", "", 10, "write a log.jsonl line every N steps")
			resume := fs.Bool("resume", "", false, "continue the run in --out from its latest checkpoint")
			patch := fs.Int("patch", "", 0, "ViT patch side in pixels, dividing the image size (0: task default)")
			width := fs.Int("width", "", 0, "model width (0: task default)")
			encDepth := fs.Int("enc-depth", "", 0, "encoder blocks (0: task default)")
			stem := fs.Int("stem-channels", "", 0, "channels of a 3×3 stride-2 convolution stem before the patch embedding (0: none, the plain ViT)")
			decDepth := fs.Int("dec-depth", "", 0, "decoder blocks (0: task default)")
			heads := fs.Int("heads", "", 0, "attention heads (0: task default)")
			posInit := fs.String("pos-init", "", "sincos", "encoder position initialisation: sincos (2-D sine-cosine table) or random (normal, stddev 0.02)")
			initEnc := fs.String("init-encoder", "", "", "start the encoder from this checkpoint's (a run or shipped folder of a model with the same encoder, e.g. assets/checkpoints/captioning-mle)")
			bins := fs.Int("bins", "", 0, "detection: coordinate bins (0: image size + 1, one per pixel)")
			boxOrder := fs.String("box-order", "", train.BoxOrderCoords, "detection: box tokens as pix2seq, coordinates then class ("+train.BoxOrderCoords+"), or class then coordinates ("+train.BoxOrderClass+")")
			boxes := fs.Int("max-boxes", "", 0, "detection: boxes per sequence (0: most in a training image, ≤ 16)")
			vq := fs.String("vq", "", "", "colorization, panoptic: the stage-I codebook, a 'train vq' folder or its codebook.json")
			maxLen := fs.Int("max-len", "", 0, "captioning: decoder positions incl. EOS (0: longest training caption + 1)")
			df := addDataFlags(fs, "")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("train mle takes no arguments, got %q", fs.Args())
			}
			if !slices.Contains(task.Names, *taskName) {
				return cli.Usagef("train mle: --task must be one of %s, got %q", strings.Join(task.Names, ", "), *taskName)
			}
			// Flags of another task's codec would be ignored.
			for _, f := range []struct{ flag, task string }{
				{"bins", task.Detection}, {"box-order", task.Detection}, {"max-boxes", task.Detection}, {"max-len", task.Captioning},
			} {
				if fs.Given(f.flag) && *taskName != f.task {
					return cli.Usagef("train mle: --%s %s is for --task %s, not %s", f.flag, fs.Lookup(f.flag).Value, f.task, *taskName)
				}
			}
			if *vq != "" && !task.Dense(*taskName) {
				return cli.Usagef("train mle: --vq (the stage-I codebook) is for --task colorization or panoptic")
			}
			if *vq == "" && task.Dense(*taskName) && !*resume {
				return cli.Usagef("train mle: --task %s needs --vq, the stage-I codebook from 'train vq'", *taskName)
			}
			trainDir, valDir, err := splits.dirs("train mle")
			if err != nil {
				return err
			}
			if err := df.check("train mle"); err != nil {
				return err
			}
			if trainDir == "" || valDir == "" || *out == "" {
				return cli.Usagef("train mle: --data (or --train and --val) and --out are required (see --help)")
			}
			term := cli.IsTerminal(stderr)
			cfg := train.Config{
				Task: *taskName, TrainDir: trainDir, ValDir: valDir, OutDir: *out,
				Steps: *steps, Batch: *batch, LR: *lr, Warmup: *warmup, WeightDecay: *wd, Clip: *clip, Seed: int64(*seed),
				EvalEvery: *evalEvery, EvalN: *evalN, CkptEvery: *ckptEvery, Keep: *keep, LogEvery: *logEvery, Resume: *resume,
				Model:   train.ModelSize{PatchSize: *patch, Width: *width, EncDepth: *encDepth, StemChannels: *stem, DecDepth: *decDepth, Heads: *heads},
				PosInit: *posInit, InitEncoder: *initEnc, Bins: *bins, BoxOrder: *boxOrder, Boxes: *boxes, VQ: *vq, MaxLen: *maxLen, Workers: *df.workers, SkipBad: *df.skipBad,
				Command: "rewardvision train mle " + shellJoin(args), DataDesc: *df.desc, DataSeed: int64(*df.seed), World: *df.world,
				Commit: buildinfo.Revision(), Logger: slog.Default(),
				OnStep: stepReporter(stderr, term, false, slog.Default()),
			}
			if err := cfg.Validate(); err != nil {
				return cli.Usagef("train mle: %v", err)
			}
			res, err := train.Run(ctx, cfg)
			if term {
				fmt.Fprintln(stderr)
			}
			if err != nil {
				return err
			}
			return writeTrainSummary(stdout, cfg, res)
		},
	}
}

// dataFlags are how every training command reads its data and records
// where it came from (meta.json provenance).
type dataFlags struct {
	workers *int
	skipBad *bool
	desc    *string
	seed    *int
	world   *string
}

func addDataFlags(fs *cli.FlagSet, worldHelp string) dataFlags {
	return dataFlags{
		workers: fs.Int("workers", "RV_WORKERS", 2, "image decoding goroutines"),
		skipBad: fs.Bool("skip-bad", "", false, "skip bad records and unreadable images with a warning (see data check) instead of failing"),
		desc:    fs.String("data-desc", "", "", "how the data was made, for meta.json provenance (e.g. the data gen command)"),
		seed:    fs.Int("data-seed", "", 0, "generator seed of the training split, for provenance"),
		world:   fs.String("world", "", "", "data gen flags of the training world, for provenance (e.g. --preset detection)"+worldHelp),
	}
}

// check refuses a --workers below 1 (RV_WORKERS=-4 was taken as is).
func (f dataFlags) check(cmd string) error {
	if *f.workers < 1 {
		return cli.Usagef("%s: --workers %d: want ≥ 1", cmd, *f.workers)
	}
	return nil
}

// splitFlags are --data (a folder with train/ and val/) or --train and
// --val.
type splitFlags struct{ data, train, val *string }

func addSplitFlags(fs *cli.FlagSet) splitFlags {
	return splitFlags{
		data:  fs.String("data", "", "", "split folder with train/ and val/ inside"),
		train: fs.String("train", "", "", "training split folder (instead of --data)"),
		val:   fs.String("val", "", "", "validation split folder (instead of --data)"),
	}
}

// dirs resolves the training and validation folders ("" when not given).
func (f splitFlags) dirs(cmd string) (train, val string, err error) {
	if *f.data == "" {
		return *f.train, *f.val, nil
	}
	if *f.train != "" || *f.val != "" {
		return "", "", cli.Usagef("%s: give --data or --train/--val, not both", cmd)
	}
	return filepath.Join(*f.data, "train"), filepath.Join(*f.data, "val"), nil
}

// stepReporter shows step, loss (and a reward run's mean sample reward),
// steps/s and ETA: a self-rewriting line on a terminal, a log record
// every 30 s otherwise.
func stepReporter(w io.Writer, terminal, reward bool, log *slog.Logger) func(train.StepInfo) {
	var mu sync.Mutex
	var last time.Time
	return func(s train.StepInfo) {
		mu.Lock()
		defer mu.Unlock()
		eta := time.Duration(s.ETASeconds * float64(time.Second)).Round(time.Second)
		if terminal {
			r := ""
			if reward {
				r = fmt.Sprintf("  reward %.4f", s.Reward)
			}
			fmt.Fprintf(w, "\rstep %d/%d%s  loss %.4f  lr %.2e  %.2f steps/s  ETA %s   ", s.Step, s.Total, r, s.Loss, s.LR, s.StepsPerS, eta)
			return
		}
		if time.Since(last) < 30*time.Second && s.Step != s.Total {
			return
		}
		last = time.Now()
		attrs := []any{"step", s.Step, "total", s.Total, "loss", s.Loss, "grad_norm", s.GradNorm, "lr", s.LR,
			"steps_per_s", fmt.Sprintf("%.3f", s.StepsPerS), "eta", eta.String()}
		if reward {
			attrs = append(attrs, "reward", s.Reward)
		}
		log.Info("train", attrs...)
	}
}

func writeTrainSummary(w io.Writer, cfg train.Config, res *train.Result) error {
	fmt.Fprintf(w, "trained %s: steps %d..%d in %s, checkpoints in %s\n", cfg.Task, res.StartStep, res.Steps, res.Elapsed.Round(time.Second), cfg.OutDir)
	if n := len(res.Losses); n > 0 {
		fmt.Fprintf(w, "loss: first %.4f, last %.4f\n", res.Losses[0], res.Losses[n-1])
	}
	return writeMetrics(w, res.Metrics)
}

// writeMetrics prints "name: value" lines in name order.
func writeMetrics(w io.Writer, metrics map[string]float64) error {
	keys := make([]string, 0, len(metrics))
	for k := range metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "%s: %.4f\n", k, metrics[k]); err != nil {
			return err
		}
	}
	return nil
}

const trainValidateHelp = `Scores the latest checkpoint of a training or shipped folder (with meta.json)
on a validation split with the metric training reports: detection AP, AP50,
AP75, AR100 of greedy decodes under the grammar mask; captioning CIDEr-D,
BLEU-4, ROUGE-L of greedy captions; colorization PSNR, SSIM, colourfulness
and reward of the greedy codes decoded onto each image's luminance;
panoptic PQ, SQ, RQ (All, Things, Stuff) and the mean image PQ (reward) of
the greedy codes decoded on each image.
--results writes those outputs: a COCO results file for detection ('eval
coco', AP per category) or captioning ('eval captions'), a list of
{image_id, codes} for colorization and panoptic; it needs the whole split
evaluated.`

func trainValidateCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Short: "validation metrics of a checkpoint folder",
		Long:  trainValidateHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train validate", "rewardvision train validate --ckpt DIR --val DIR [--eval-n N] [--results FILE]\n\n"+trainValidateHelp)
			ckpt := fs.String("ckpt", "", "", "checkpoint folder (training output or shipped)")
			val := fs.String("val", "", "", "validation split folder")
			evalN := fs.Int("eval-n", "", 0, "validation images (0: all)")
			resultsPath := fs.String("results", "", "", "also write the greedy outputs (COCO detections or captions; colorization or panoptic codes)")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("train validate takes no arguments, got %q", fs.Args())
			}
			if *ckpt == "" || *val == "" {
				return cli.Usagef("train validate: --ckpt and --val are required")
			}
			if *evalN < 0 {
				return cli.Usagef("train validate: --eval-n %d: want ≥ 0 (0: all)", *evalN)
			}
			// The results file beside the split's annotations could replace
			// one of them (--results VAL/instances.json).
			if *resultsPath != "" {
				if di, err := os.Stat(filepath.Dir(*resultsPath)); err == nil {
					if vi, err := os.Stat(*val); err == nil && os.SameFile(di, vi) {
						return cli.Usagef("train validate: --results %s is inside the --val split; write it elsewhere", *resultsPath)
					}
				}
			}
			metrics, err := train.Evaluate(ctx, train.EvalOptions{Checkpoint: *ckpt, Val: *val, N: *evalN, Workers: 2, Results: *resultsPath, Logger: slog.Default()})
			if err != nil {
				return err
			}
			return writeMetrics(stdout, metrics)
		},
	}
}

func trainShipCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "ship",
		Short: "copy a training folder's latest weights (no optimizer state) and metadata",
		Long:  trainShipHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train ship", "rewardvision train ship --from DIR --to DIR [--val DIR --eval-n N]\n\n"+trainShipHelp)
			from := fs.String("from", "", "", "training output folder")
			to := fs.String("to", "", "", "shipping folder (replaced)")
			val := fs.String("val", "", "", "validation split: evaluate the shipped weights and record the metrics in meta.json")
			evalN := fs.Int("eval-n", "", 0, "validation images (0: all)")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("train ship takes no arguments, got %q", fs.Args())
			}
			if *from == "" || *to == "" {
				return cli.Usagef("train ship: --from and --to are required")
			}
			switch {
			case *evalN < 0:
				return cli.Usagef("train ship: --eval-n %d: want ≥ 0 (0: all)", *evalN)
			case fs.Given("eval-n") && *val == "":
				return cli.Usagef("train ship: --eval-n applies to --val only")
			}
			// The shipped weights are the latest checkpoint's: evaluate them
			// there, before anything is written, so that a bad --val leaves
			// --to as it was.
			var metrics map[string]float64
			if *val != "" {
				if err := train.CheckShipTarget(*from, *to); err != nil {
					return err
				}
				m, err := train.Evaluate(ctx, train.EvalOptions{Checkpoint: *from, Val: *val, N: *evalN, Workers: 2, Logger: slog.Default()})
				if err != nil {
					return fmt.Errorf("evaluate %s: %w", *from, err)
				}
				metrics = m
			}
			meta, err := train.Ship(*from, *to)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "shipped %s %s at step %d to %s\n", meta.Task, meta.Variant, meta.Prov.Steps, *to)
			if *val == "" {
				return nil
			}
			// A run still writing to --from may have saved a newer
			// checkpoint between the evaluation and the copy.
			if step, ok := metrics["step"]; ok && int(step) != meta.Prov.Steps {
				return fmt.Errorf("train ship: --val evaluated step %d of %s, but step %d was shipped (a newer checkpoint landed meanwhile): ship again", int(step), *from, meta.Prov.Steps)
			}
			meta.Prov.Metrics = metrics
			if err := checkpoint.Save(*to, meta); err != nil {
				return err
			}
			return writeMetrics(stdout, metrics)
		},
	}
}

// shellJoin joins args as a shell would need them: arguments with spaces
// or quotes single-quoted, so the recorded command can be pasted back.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\*?;&|<>()#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
