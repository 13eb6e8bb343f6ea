package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"rewardvision/internal/buildinfo"
	"rewardvision/internal/cli"
	"rewardvision/models/task"
	"rewardvision/train"
)

const trainRewardHelp = `Tunes a trained model on its task reward with REINFORCE (Algorithm 2 of the
paper). Each step takes --batch training images, samples --samples outputs per
image at --temperature with ONNX Runtime on the current weights (the KV-cached
decoder of the exported graphs, refreshed every step), scores each with the
task reward (detection: class-weighted matching at IoU 0.50:0.05:0.95 with a
0.3 duplicate penalty, weights from the training split's class counts;
captioning: CIDEr-D with document frequencies from the training references;
colorization: colourfulness plus the luminance similarity to the input;
panoptic: the image's PQ over the categories present),
and takes one AdamW step on −mean (R − b)·Σ log p(sample), b the mean reward
of the image's other samples (leave-one-out). No KL term.

--init is the checkpoint folder to start from (e.g. assets/checkpoints/
detection-mle); its task, architecture and codec are kept. --out receives
checkpoints (with optimizer state: --resume continues exactly), meta.json
(variant "reward"), log.jsonl (per step: loss, reward, baseline, advantage
spread, sample entropy, boxes or words per sample, rollout/reward/update
seconds, the largest ONNX Runtime vs GoMLX log-probability difference; the
validation metrics and the mean greedy reward every --eval-every steps).`

func trainRewardCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "reward",
		Short: "REINFORCE tuning of a trained model on its task reward",
		Long:  trainRewardHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train reward", "rewardvision train reward --init CKPT --data DIR --out DIR [flags]\n\n"+trainRewardHelp)
			taskName := fs.String("task", "", "", "detection, captioning, colorization or panoptic: checked against --init's task (optional)")
			initDir := fs.String("init", "", "", "checkpoint folder to start from (meta.json + weights)")
			splits := addSplitFlags(fs)
			out := fs.String("out", "", "", "output folder (checkpoints, meta.json, log.jsonl)")
			samples := fs.Int("samples", "", 4, "samples per image (≥ 2: the leave-one-out baseline)")
			temperature := fs.Float64("temperature", "", 1, "sampling temperature")
			steps := fs.Int("steps", "", 1000, "total optimizer steps")
			batch := fs.Int("batch", "", 8, "images per step (batch × samples sequences)")
			lr := fs.Float64("lr", "", 1e-4, "peak learning rate")
			warmup := fs.Int("warmup", "", 20, "linear warmup steps")
			wd := fs.Float64("weight-decay", "", 0, "AdamW decoupled weight decay")
			clip := fs.Float64("clip", "", 1.0, "global gradient-norm clip (0: none)")
			seed := fs.Int("seed", "", 1, "seed of the data order and the samples")
			evalEvery := fs.Int("eval-every", "", 100, "validate every N steps (and at the end; 0: only at the end)")
			evalN := fs.Int("eval-n", "", 500, "validation images (0: all)")
			ckptEvery := fs.Int("ckpt-every", "", 50, "checkpoint every N steps (and at the end)")
			keep := fs.Int("keep", "", 3, "checkpoints kept")
			logEvery := fs.Int("log-every", "", 1, "write a log.jsonl line every N steps")
			resume := fs.Bool("resume", "", false, "continue the run in --out from its latest checkpoint")
			threads := fs.Int("threads", "RV_ORT_THREADS", 0, "ONNX Runtime intra-op threads for the rollouts (0: one per core)")
			ortLib := fs.String("ort-lib", "RV_ORT_LIB", "", "ONNX Runtime library path (default: the usual search, see version)")
			df := addDataFlags(fs, ": default the init checkpoint's")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("train reward takes no arguments, got %q", fs.Args())
			}
			trainDir, valDir, err := splits.dirs("train reward")
			if err != nil {
				return err
			}
			if err := df.check("train reward"); err != nil {
				return err
			}
			if *initDir == "" || trainDir == "" || valDir == "" || *out == "" {
				return cli.Usagef("train reward: --init, --data (or --train and --val) and --out are required (see --help)")
			}
			if *taskName != "" && !slices.Contains(task.Names, *taskName) {
				return cli.Usagef("train reward: --task must be one of %s, got %q", strings.Join(task.Names, ", "), *taskName)
			}
			ortSource := "" // flag --ort-lib
			if env := fs.FromEnv("ort-lib"); env != "" {
				ortSource = "env " + env
			}
			term := cli.IsTerminal(stderr)
			cfg := train.RewardConfig{
				Task: *taskName, Init: *initDir, TrainDir: trainDir, ValDir: valDir, OutDir: *out,
				Samples: *samples, Temperature: *temperature, Steps: *steps, Batch: *batch, LR: *lr, Warmup: *warmup,
				WeightDecay: *wd, Clip: *clip, Seed: int64(*seed),
				EvalEvery: *evalEvery, EvalN: *evalN, CkptEvery: *ckptEvery, Keep: *keep, LogEvery: *logEvery, Resume: *resume,
				Workers: *df.workers, SkipBad: *df.skipBad, ORTLib: *ortLib, ORTLibSource: ortSource, Threads: *threads,
				Command: "rewardvision train reward " + shellJoin(args), DataDesc: *df.desc, DataSeed: int64(*df.seed), World: *df.world,
				Commit: buildinfo.Revision(), Logger: slog.Default(),
				OnStep: stepReporter(stderr, term, true, slog.Default()),
			}
			if err := cfg.Validate(); err != nil {
				return cli.Usagef("train reward: %v", err)
			}
			res, err := train.RunReward(ctx, cfg)
			if term {
				fmt.Fprintln(stderr)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "reward-tuned %s: steps %d..%d in %s, checkpoints in %s\n", res.Meta.Task, res.StartStep, res.Steps, res.Elapsed.Round(time.Second), cfg.OutDir)
			return writeMetrics(stdout, res.Metrics)
		},
	}
}
