package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"rewardvision/api"
	"rewardvision/eval/batch"
	"rewardvision/eval/report"
	"rewardvision/internal/cli"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

const evalRunHelp = `Runs one or more model-repository entries over every image of a COCO-format
dataset and scores them: the benchmark (detection: COCO's 12 bbox stats;
captioning: CIDEr-D, BLEU-1..4, ROUGE-L; colorization: PSNR, SSIM,
colourfulness, luminance similarity, a Fréchet colour distance; panoptic:
PQ, SQ, RQ of all, thing and stuff categories) and the paper's per-image
reward.
With two models it compares them (B − A, the MLE model as A): a paired
bootstrap 95% interval per metric, win/tie/loss on the per-image reward,
reward histograms and the images that differ most, in DIR/report.html and
DIR/report.md.

ENTRY is an entry folder (assets/models/detection-mle/1), its model.json, or
REPO/NAME[@VERSION] (highest version by default). Images are read from disk
as they are evaluated, --concurrency at a time. Each image's output is
appended to DIR/<variant>/outputs.jsonl as it finishes: running the same
command again after a kill resumes where it stopped. DIR/metrics.json is
written last, atomically.

Rewards: detection weights classes by their non-crowd counts in the training
annotations (--train-ann; default SPLIT/../train/instances.json when --data
is given; uniform weights when there is none); captioning scores CIDEr-D with
the document frequencies of the training references (--train-ann; default
SPLIT/../train/captions.json; else the evaluated references). metrics.json
names the source used.

Colorization: the split's images (instances.json + images/) are both the
input and the ground truth: each model gets the colour image and sees its
luminance (model.json's input.gray), and its output, at the image's
resolution, is scored against the colour image: PSNR (identical images
count 100 dB), SSIM, the M3 colourfulness of the output and of the ground
truth, the luminance similarity, and the reward (colorize.ColorizationReward,
colourfulness + 1 × similarity, with the ground truth as the luminance
reference). The colorized images are kept as DIR/<variant>/colorized/ID.png,
the per-image scores in DIR/<variant>/scores.csv, and the report shows the
gray input, each model's output and the ground truth side by side
(DIR/examples.png).

Panoptic: the split's panoptic.json is the ground truth, its PNGs in the
folder of the same name without .json (panoptic/ beside it, as data gen
writes it and panopticapi expects; with --ann FILE the same rule). Each
model's map (segment ids R + 256·G + 256²·B, at the image's resolution) is
kept as DIR/<variant>/panoptic/ID.png and its segments in outputs.jsonl, and
DIR/<variant>/panoptic.json lists them all: a COCO panoptic prediction that
panopticapi's pq_compute (or 'rewardvision eval panoptic') scores with the
same numbers. The metrics are panopticapi's (segments of one category match
at IoU > 0.5; All, Things and Stuff rows), and the reward is the image's PQ
(eval/panoptic.ImagePQ), the A/B bootstrapping both. The report shows the
input and each model's and the ground truth's segments over it, coloured by
category (DIR/examples.png).

--shard i/N (or --shards N with $JOB_COMPLETION_INDEX, as a Kubernetes Indexed
Job sets it) evaluates positions p ≡ i (mod N) of the id-sorted image list
and stops after writing the outputs; 'eval merge' joins the shard folders and
scores them, with exactly the numbers of one unsharded run.

--server URL evaluates through a running server (rewardvision serve) with
api.Client instead of in-process: each --model then names a variant of the
task that the server serves (mle, reward; its highest version), every image
is uploaded as PNG (the pixels the in-process path sees), and an answer from
another model than the one chosen at the start is an error. Scores equal
the in-process run's; boxes in results.json carry the API's rounding (0.01
px, scores 1e-4); colorization scores the PNG of POST /v1/colorize, panoptic
the PNG and segments_info of POST /v1/panoptic.

Images listed but missing, unreadable or of another size than the
annotation file says are an error naming the file; with --skip-bad they are
skipped for every model, counted, and left out of the scores.`

// modelList collects repeated --model flags.
type modelList []string

func (m *modelList) String() string     { return strings.Join(*m, ",") }
func (m *modelList) Set(v string) error { *m = append(*m, v); return nil }

func evalRunCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "run",
		Short: "evaluate model entries over a COCO-format dataset, with the A/B report of two models",
		Long:  evalRunHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval run", "rewardvision eval run --task T (--data SPLIT | --ann FILE --images DIR) --model ENTRY [--model ENTRY ...] --out DIR [flags]\n\n"+evalRunHelp)
			taskName := fs.String("task", "RV_TASK", "", "detection, captioning, colorization or panoptic")
			data := fs.String("data", "RV_DATA", "", "split folder (instances.json, captions.json or panoptic.json and panoptic/; images/)")
			ann := fs.String("ann", "", "", "annotation file (instead of --data)")
			imagesDir := fs.String("images", "", "", "image folder (with --ann)")
			trainAnn := fs.String("train-ann", "RV_TRAIN_ANN", "", "training annotations for the reward (default: SPLIT/../train/<file> when present)")
			var models modelList
			fs.Var(&models, "model", "model entry (repeat for an A/B comparison); with --server, a variant the server serves (mle, reward)")
			server := fs.String("server", "RV_SERVER", "", "evaluate through a running server (rewardvision serve) at this URL instead of in-process")
			out := fs.String("out", "RV_OUT", "", "run folder")
			conc := fs.Int("concurrency", "RV_CONCURRENCY", 2, "images in flight")
			limit := fs.Int("limit", "", 0, "evaluate only the first N images by id (0: all)")
			shard := fs.String("shard", "RV_SHARD", "", "i/N: evaluate shard i of N and write mergeable outputs")
			shards := fs.Int("shards", "RV_SHARDS", 0, "N shards, the index taken from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job)")
			skipBad := fs.Bool("skip-bad", "", false, "skip and count unreadable images instead of failing")
			resamples := fs.Int("resamples", "", 1000, "bootstrap resamples for the A/B intervals")
			seed := fs.Int("seed", "RV_SEED", 1, "bootstrap seed")
			threads := fs.Int("threads", "", 0, "ONNX Runtime intra-op threads per model (0: one per core)")
			of := addORTFlags(fs)
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			si, sn, err := parseShard(*shard, *shards)
			if err != nil {
				return err
			}
			switch {
			case *taskName == "":
				return cli.Usagef("eval run: --task is required (%s)", strings.Join(batch.Tasks, " or "))
			case !slices.Contains(batch.Tasks, *taskName):
				return cli.Usagef("eval run: --task %q: want %s", *taskName, strings.Join(batch.Tasks, " or "))
			case *server != "" && (fs.Given("device") || fs.Given("ort-lib") || fs.Given("threads")):
				return cli.Usagef("eval run: --device, --ort-lib and --threads set up in-process models; with --server the server runs them")
			case len(models) == 0:
				return cli.Usagef("eval run: at least one --model is required")
			case *out == "":
				return cli.Usagef("eval run: --out is required")
			case (*data == "") == (*ann == ""):
				return cli.Usagef("eval run: give either --data SPLIT or --ann FILE --images DIR")
			case *ann != "" && *imagesDir == "":
				return cli.Usagef("eval run: --ann needs --images DIR")
			case *data != "" && *imagesDir != "":
				return cli.Usagef("eval run: --images %s: no effect with --data (the split's images/ are read; give --ann FILE --images DIR instead)", *imagesDir)
			case *threads < 0:
				return cli.Usagef("eval run: --threads %d: want ≥ 0 (0: one per core)", *threads)
			case *conc < 1:
				return cli.Usagef("eval run: --concurrency %d: want ≥ 1", *conc)
			case *limit < 0:
				return cli.Usagef("eval run: --limit %d: want ≥ 0", *limit)
			case *resamples < 1:
				return cli.Usagef("eval run: --resamples %d: want ≥ 1", *resamples)
			case *seed < 0:
				return cli.Usagef("eval run: --seed %d: want ≥ 0", *seed)
			case (*taskName == task.Colorization || *taskName == task.Panoptic) && *trainAnn != "":
				return cli.Usagef("eval run: --train-ann: the %s reward uses no training annotations", *taskName)
			}
			annPath, imgDir := *ann, *imagesDir
			if *data != "" {
				if annPath, imgDir, err = batch.SplitFiles(*taskName, *data); err != nil {
					return cli.Usagef("eval run: %v", err)
				}
				if *trainAnn == "" {
					*trainAnn = batch.DefaultTrainAnn(*taskName, *data)
				}
			}
			ds, err := batch.LoadDataset(*taskName, annPath, imgDir)
			if err != nil {
				return err
			}
			// The reward's training annotations are read when scoring, after
			// every image: a bad file fails now, before any output.
			if _, err := batch.LoadTrainRewards(*taskName, *trainAnn, ds); err != nil {
				return err
			}
			var open func(entry string) (batch.Model, error)
			if *server != "" {
				c, err := api.NewClient(*server, nil)
				if err != nil {
					return cli.Usagef("eval run: --server: %v", err)
				}
				open = func(variant string) (batch.Model, error) {
					return batch.OpenServer(ctx, c, *server, variant, *taskName)
				}
			} else {
				rt, dev, err := of.open()
				if err != nil {
					return err
				}
				open = func(entry string) (batch.Model, error) {
					return batch.OpenEntry(entry, *taskName, rt, dev, runner.Options{IntraOpThreads: *threads})
				}
			}
			var opened []batch.Model
			defer func() {
				for _, m := range opened {
					m.Close()
				}
			}()
			var infos []batch.ModelInfo
			for _, e := range models {
				m, err := open(e)
				if err != nil {
					return err
				}
				opened = append(opened, m)
				infos = append(infos, m.Info())
			}
			if err := batch.AssignKeys(infos); err != nil {
				return err
			}
			for i := range opened {
				opened[i] = keyed{opened[i], infos[i]}
			}
			imgs := ds.Subset(*limit, si, sn)
			if err := ds.CheckGroundTruth(imgs); err != nil {
				return err
			}
			info := batch.RunInfo{Task: *taskName, Ann: annPath, Images: imgDir, TrainAnn: *trainAnn,
				Limit: *limit, Shard: si, Shards: sn, Models: infos}
			if err := batch.Prepare(*out, info); err != nil {
				return err
			}
			if err := batch.RemoveStaleMetrics(*out); err != nil {
				return err
			}
			prog := cli.NewProgress("eval run", len(imgs), stderr, cli.IsTerminal(stderr), slog.Default())
			st, err := batch.Run(ctx, *out, imgs, opened, batch.Options{Concurrency: *conc, SkipBad: *skipBad, OnImage: func() { prog.Add(1) }})
			prog.Done()
			if err != nil {
				return err
			}
			slog.Info("evaluated", "images", st.Images, "now", st.Done, "resumed", st.Resumed, "skipped", st.Skipped)
			if sn > 1 {
				fmt.Fprintf(stdout, "shard %d/%d: %d images in %s; join the shards with: rewardvision eval merge DIR... --out DIR\n", si, sn, st.Images, *out)
				return nil
			}
			return finishRun(stdout, *out, info, ds, batch.ABOptions{Resamples: *resamples, Seed: uint64(*seed)})
		},
	}
}

// keyed is a model with its run key set.
type keyed struct {
	batch.Model
	info batch.ModelInfo
}

func (k keyed) Info() batch.ModelInfo { return k.info }

// parseShard reads --shard i/N, or --shards N with $JOB_COMPLETION_INDEX.
func parseShard(s string, shards int) (int, int, error) {
	if s != "" && shards > 0 {
		return 0, 0, cli.Usagef("eval run: give --shard i/N or --shards N, not both")
	}
	if shards < 0 {
		return 0, 0, cli.Usagef("eval run: --shards %d: want ≥ 1", shards)
	}
	if shards > 0 {
		idx := os.Getenv("JOB_COMPLETION_INDEX")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= shards {
			return 0, 0, cli.Usagef("eval run: --shards %d needs $JOB_COMPLETION_INDEX in 0..%d, got %q", shards, shards-1, idx)
		}
		return i, shards, nil
	}
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, cli.Usagef("eval run: --shard %q: want i/N with 0 ≤ i < N", s)
	}
	return i, n, nil
}

// finishRun scores a complete run folder, writes the report and, last,
// metrics.json.
func finishRun(stdout io.Writer, dir string, info batch.RunInfo, ds *batch.Dataset, opt batch.ABOptions) error {
	sc, err := batch.ScoreRun(dir, info, ds, opt, slog.Default())
	if err != nil {
		return err
	}
	if err := report.Write(dir, sc); err != nil {
		return err
	}
	if err := batch.WriteMetrics(batch.MetricsPath(dir), sc.Metrics); err != nil {
		return err
	}
	return report.PrintSummary(stdout, sc)
}
