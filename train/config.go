package train

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// Detection box orders (--box-order).
const (
	BoxOrderClass  = "class"  // class token, then ymin, xmin, ymax, xmax
	BoxOrderCoords = "coords" // ymin, xmin, ymax, xmax, then the class (pix2seq)
)

// Config is one training run.
type Config struct {
	Task     string // one of task.Names
	TrainDir string // split folder (instances.json, images/, captions.json)
	ValDir   string
	OutDir   string // checkpoints, meta.json, log.jsonl, vocab.json

	Steps       int     // total optimizer steps of the run
	Batch       int     // images per step
	LR          float64 // peak learning rate
	Warmup      int     // linear warmup steps
	WeightDecay float64 // AdamW decoupled weight decay (scaled by the learning rate)
	Clip        float64 // global gradient-norm clip; 0: none
	Seed        int64   // weights, data order, per-sample choices

	EvalEvery int // validate every N steps (and at the end); 0: only at the end
	EvalN     int // validation images (0: all)
	CkptEvery int // checkpoint every N steps (and at the end)
	Keep      int // checkpoints kept (≥ 1)
	LogEvery  int // JSONL line every N steps; 0 means 10
	Resume    bool

	Model   ModelSize // architecture; zero fields take the task defaults
	PosInit string    // encoder positions: PosInitSinCos (default) or PosInitRandom
	// InitEncoder: a checkpoint (run or shipped) whose encoder weights
	// start this model's (same encoder architecture and input); "" : random.
	InitEncoder string
	Bins        int    // detection: coordinate bins; 0 = image size + 1 (one per pixel)
	BoxOrder    string // detection box layout: BoxOrderCoords (pix2seq's, default) or BoxOrderClass
	Boxes       int    // detection: boxes per sequence; 0 = the most in a training image (at most 16)
	VQ          string // colorization: the stage-I codebook (a `train vq` folder or its codebook.json)
	MaxLen      int    // captioning: decoder positions (words + EOS); 0 = longest training caption + 1 (at most 32)

	Workers int  // image decoding goroutines
	SkipBad bool // skip bad records and unreadable images with a warning instead of failing

	// Provenance recorded in meta.json.
	Command  string // command line of the run
	DataDesc string // how the data was made, e.g. the data gen command
	World    string // data gen flags of the training world (provenance)
	DataSeed int64
	Commit   string

	Logger *slog.Logger
	// OnStep is called after every step (progress display); may be nil.
	OnStep func(StepInfo)

	// lossHook, for tests, replaces the loss seen by the loop (e.g. a NaN
	// at a given step).
	lossHook func(step int, loss float32) float32
}

// ModelSize overrides the default architecture (seq.DetectionConfig /
// seq.CaptionConfig); zero fields keep the defaults.
type ModelSize struct {
	ImageSize, PatchSize, Width, EncDepth, DecDepth, Heads, MLPRatio, StemChannels int
}

// StepInfo describes a finished step.
type StepInfo struct {
	Step       int // steps done
	Total      int
	Loss       float32
	GradNorm   float32
	LR         float64
	StepsPerS  float64 // over this process's steps
	ETASeconds float64
	Reward     float64            // reward runs: the step's mean sample reward
	Eval       map[string]float64 // validation metrics when this step evaluated, else nil
}

// maxSteps bounds --steps so step·batch cannot overflow.
const maxSteps = 1 << 30

// Validate reports the first invalid setting (a flag's value): Run
// refuses the same, but a command calls this first to tell a usage error
// from a failure.
func (c *Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c *Config) withDefaults() (Config, error) {
	d := *c
	if !slices.Contains(task.Names, d.Task) {
		return d, fmt.Errorf("task %q: want one of %s", d.Task, strings.Join(task.Names, ", "))
	}
	if d.TrainDir == "" || d.ValDir == "" || d.OutDir == "" {
		return d, fmt.Errorf("train, val and out folders are required")
	}
	switch d.BoxOrder {
	case "":
		d.BoxOrder = BoxOrderCoords
	case BoxOrderClass, BoxOrderCoords:
	default:
		return d, fmt.Errorf("box order %q: want %s or %s", d.BoxOrder, BoxOrderClass, BoxOrderCoords)
	}
	if d.PosInit == "" {
		d.PosInit = PosInitSinCos
	}
	if d.PosInit != PosInitSinCos && d.PosInit != PosInitRandom {
		return d, fmt.Errorf("position init %q: want %s or %s", d.PosInit, PosInitSinCos, PosInitRandom)
	}
	if d.LogEvery == 0 {
		d.LogEvery = 10
	}
	if d.Keep == 0 {
		d.Keep = 3
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	switch {
	case d.Steps < 1 || d.Steps > maxSteps:
		return d, fmt.Errorf("steps %d: want 1..%d", d.Steps, maxSteps)
	case d.Batch < 1 || d.Batch > 4096:
		return d, fmt.Errorf("batch %d: want 1..4096", d.Batch)
	case !(d.WeightDecay >= 0) || d.WeightDecay > 1:
		return d, fmt.Errorf("weight decay %g: want 0..1", d.WeightDecay)
	case !(d.Clip >= 0) || math.IsInf(d.Clip, 0):
		return d, fmt.Errorf("clip %g: want ≥ 0 (0: no clipping)", d.Clip)
	case d.EvalEvery < 0 || d.EvalN < 0 || d.CkptEvery < 0 || d.Keep < 1 || d.LogEvery < 1:
		return d, fmt.Errorf("eval-every %d, eval-n %d, ckpt-every %d, keep %d, log-every %d: want ≥ 0 (keep, log-every ≥ 1)",
			d.EvalEvery, d.EvalN, d.CkptEvery, d.Keep, d.LogEvery)
	case d.Bins < 0 || d.Bins == 1 || d.Bins > 4096:
		return d, fmt.Errorf("bins %d: want 0 (one per pixel) or 2..4096", d.Bins)
	case d.Boxes < 0 || d.Boxes > 100:
		return d, fmt.Errorf("max-boxes %d: want 0..100 (0: the most in a training image)", d.Boxes)
	case d.MaxLen < 0 || d.MaxLen > 256:
		return d, fmt.Errorf("max-len %d: want 0..256 (0: the longest training caption + 1)", d.MaxLen)
	}
	if err := d.schedule().Validate(); err != nil {
		return d, err
	}
	// The architecture's own checks (sizes, divisibility) before any data
	// is read or output written; the vocabulary is the task's, known later.
	if err := modelConfigOf(d.Model, seq.CaptionConfig(3, 1)).Validate(); err != nil {
		return d, err
	}
	return d, nil
}

func (c *Config) schedule() Schedule {
	return Schedule{Peak: c.LR, Warmup: c.Warmup, Total: c.Steps}
}
