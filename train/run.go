package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// Files written in the output folder besides the GoMLX checkpoints.
const (
	LogFile    = "log.jsonl"
	ConfigFile = "train_config.json"
)

// ErrNonFinite is wrapped by the error of a run stopped by a NaN or
// infinite loss or gradient norm.
var ErrNonFinite = errors.New("non-finite loss")

// Result summarises a finished run.
type Result struct {
	Steps     int                // steps done in total (resumed ones included)
	StartStep int                // step the run started (or resumed) from
	Losses    []float32          // loss of each step this run took
	Metrics   map[string]float64 // last validation metrics
	Meta      *checkpoint.Meta
	Elapsed   time.Duration
}

// savedConfig is the part of Config a resumed run must agree with.
type savedConfig struct {
	Task        string  `json:"task"`
	Train       string  `json:"train"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	WeightDecay float64 `json:"weight_decay"`
	Clip        float64 `json:"clip"`
	Seed        int64   `json:"seed"`
	PosInit     string  `json:"pos_init,omitempty"`
	InitEncoder string  `json:"init_encoder,omitempty"`
	BoxOrder    string  `json:"box_order,omitempty"` // detection; "" in runs before the option: coords
}

// Run trains (or resumes) cfg to cfg.Steps steps.
func Run(ctx context.Context, c Config) (*Result, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := newMLERun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.loop(ctx)
}

// mleRun is one MLE training run: its data, model, compiled step and log.
type mleRun struct {
	cfg        Config
	log        *slog.Logger
	val        *split
	spec       taskSpec
	model      *seq.Model
	st         *stepper
	smp        *sampler
	logf       *os.File
	jl         *json.Encoder
	meta       *checkpoint.Meta
	start      int // step the run starts (or resumes) from
	evalBatch  int
	runStart   time.Time
	lastGood   int // step of the last checkpoint written
	lastMetric map[string]float64
}

// newMLERun checks the output folder against --resume, loads the data,
// builds the model (restoring the latest checkpoint) and opens the log.
func newMLERun(ctx context.Context, cfg Config) (*mleRun, error) {
	log := cfg.Logger
	if err := checkOutDir(cfg.OutDir); err != nil {
		return nil, err
	}
	have, err := hasCheckpoints(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	if have && !cfg.Resume {
		return nil, fmt.Errorf("%s already holds checkpoints: pass --resume to continue that run, or choose another --out", cfg.OutDir)
	}
	if !have && cfg.Resume {
		return nil, fmt.Errorf("--resume: %s holds no checkpoints to resume", cfg.OutDir)
	}
	if have {
		if err := checkResume(&cfg); err != nil {
			return nil, err
		}
	}
	imageSize := cfg.Model.ImageSize
	if imageSize == 0 {
		imageSize = 64
	}
	t0 := time.Now()
	trainSet, err := loadSplit(ctx, cfg.TrainDir, cfg.Task, imageSize, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	valSet, err := loadSplit(ctx, cfg.ValDir, cfg.Task, imageSize, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	log.Info("data loaded", "train", trainSet.len(), "val", valSet.len(), "elapsed", time.Since(t0).Round(time.Millisecond))

	var spec taskSpec
	switch cfg.Task {
	case task.Detection:
		spec, err = newDetectionTask(&cfg, trainSet)
	case task.Colorization:
		spec, err = newColorizationTask(&cfg, trainSet)
	case task.Panoptic:
		spec, err = newPanopticTask(&cfg, trainSet)
	default:
		spec, err = newCaptionTask(&cfg, trainSet)
	}
	if err != nil {
		return nil, err
	}
	mcfg := modelConfig(cfg.Task, cfg.Model, spec)
	if err := mcfg.Validate(); err != nil {
		return nil, err
	}
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	m, err := seq.New(be, mcfg, seq.Options{Seed: cfg.Seed, LearningRate: cfg.LR})
	if err != nil {
		return nil, err
	}
	if err := initPositions(m, cfg.PosInit); err != nil {
		return nil, err
	}
	meta := newMeta(&cfg, mcfg, spec)
	if cfg.InitEncoder != "" && !have {
		n, err := initEncoder(m, meta.Input, cfg.InitEncoder)
		if err != nil {
			return nil, err
		}
		log.Info("encoder initialised", "from", cfg.InitEncoder, "variables", n)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg.OutDir, err)
	}
	if err := m.OpenCheckpoints(cfg.OutDir, cfg.Keep); err != nil {
		return nil, err
	}
	start := int(m.GlobalStep())
	if start > cfg.Steps {
		return nil, fmt.Errorf("checkpoint in %s is at step %d, past --steps %d", cfg.OutDir, start, cfg.Steps)
	}
	if err := writeJSON(filepath.Join(cfg.OutDir, ConfigFile), saved(&cfg)); err != nil {
		return nil, err
	}
	log.Info("model", "task", cfg.Task, "params", mcfg.ParamCount(), "config", mcfg.String(), "start_step", start, "steps", cfg.Steps)

	st, err := newStepper(m, cfg.WeightDecay, cfg.Clip, spec.mask())
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(cfg.OutDir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("open log: %w", err)
	}
	r := &mleRun{cfg: cfg, log: log, val: valSet, spec: spec, model: m, st: st, logf: logf, jl: json.NewEncoder(logf),
		meta: meta, smp: newSampler(trainSet, spec, cfg.Seed), start: start, lastGood: start, evalBatch: 64}
	if cfg.EvalN > 0 {
		r.evalBatch = min(r.evalBatch, cfg.EvalN)
	}
	return r, nil
}

func (r *mleRun) close() {
	r.st.close()
	r.logf.Close()
}

// loop takes the steps from r.start to cfg.Steps: each a batch, an
// optimizer step, then validation, a log line and a checkpoint when due.
func (r *mleRun) loop(ctx context.Context) (*Result, error) {
	cfg := r.cfg
	res := &Result{StartStep: r.start}
	sched := cfg.schedule()
	r.runStart = time.Now()
	for step := r.start; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("stopped at step %d (last checkpoint at step %d): %w", step, r.lastGood, err)
		}
		b, err := r.smp.batch(step, cfg.Batch)
		if err != nil {
			return res, fmt.Errorf("batch of step %d: %w", step+1, err)
		}
		lr := sched.At(step)
		if err := r.st.setLR(lr); err != nil {
			return res, err
		}
		loss, norm, err := r.st.run(b)
		if err != nil {
			return res, fmt.Errorf("step %d: %w", step+1, err)
		}
		if cfg.lossHook != nil {
			loss = cfg.lossHook(step+1, loss)
		}
		done := step + 1
		if !finite(loss) || !finite(norm) {
			_ = r.jl.Encode(logLine{Step: done, Loss: jsonFloat(loss), GradNorm: jsonFloat(norm), LR: lr, WallS: time.Since(r.runStart).Seconds(), Event: "non-finite"})
			return res, fmt.Errorf("step %d: loss %g, gradient norm %g: %w; stopped, the last good checkpoint (step %d) is kept in %s",
				done, loss, norm, ErrNonFinite, r.lastGood, cfg.OutDir)
		}
		res.Losses = append(res.Losses, loss)
		res.Steps = done
		info := r.stepInfo(done, loss, norm, lr)
		if err := r.afterStep(&info); err != nil {
			return res, err
		}
		res.Metrics = r.lastMetric
		if cfg.OnStep != nil {
			cfg.OnStep(info)
		}
	}
	res.Meta = r.meta
	res.Elapsed = time.Since(r.runStart)
	if r.start == cfg.Steps {
		r.log.Info("nothing to do: the checkpoint is already at the last step", "steps", r.start)
	}
	return res, nil
}

func (r *mleRun) stepInfo(done int, loss, norm float32, lr float64) StepInfo {
	info := StepInfo{Step: done, Total: r.cfg.Steps, Loss: loss, GradNorm: norm, LR: lr,
		StepsPerS: float64(done-r.start) / time.Since(r.runStart).Seconds()}
	if info.StepsPerS > 0 {
		info.ETASeconds = float64(r.cfg.Steps-done) / info.StepsPerS
	}
	return info
}

// afterStep validates, logs and checkpoints step info.Step when due.
func (r *mleRun) afterStep(info *StepInfo) error {
	cfg, done := r.cfg, info.Step
	last := done == cfg.Steps
	if (cfg.EvalEvery > 0 && done%cfg.EvalEvery == 0) || last {
		te := time.Now()
		metrics, _, err := r.spec.evaluate(r.model, r.val, cfg.EvalN, r.evalBatch)
		if err != nil {
			return fmt.Errorf("validation at step %d: %w", done, err)
		}
		// The step says which weights the metrics belong to: meta.json
		// is rewritten at checkpoints between evaluations.
		metrics["step"] = float64(done)
		info.Eval, r.lastMetric = metrics, metrics
		r.log.Info("validation", "step", done, r.spec.headline(), metrics[r.spec.headline()], "metrics", metrics, "elapsed", time.Since(te).Round(time.Millisecond))
	}
	if done%cfg.LogEvery == 0 || info.Eval != nil || last {
		if err := r.jl.Encode(logLine{Step: done, Loss: jsonFloat(info.Loss), GradNorm: jsonFloat(info.GradNorm), LR: info.LR,
			StepsPerS: info.StepsPerS, WallS: time.Since(r.runStart).Seconds(), Eval: info.Eval}); err != nil {
			return fmt.Errorf("write log: %w", err)
		}
	}
	if (cfg.CkptEvery > 0 && done%cfg.CkptEvery == 0) || last {
		if err := saveCheckpoint(r.model, r.meta, r.lastMetric, done, cfg.OutDir, r.log); err != nil {
			return err
		}
		r.lastGood = done
	}
	return nil
}

// saveCheckpoint writes the model's checkpoint and meta.json with the
// steps done and the last validation metrics (if any).
func saveCheckpoint(m *seq.Model, meta *checkpoint.Meta, metrics map[string]float64, done int, dir string, log *slog.Logger) error {
	if err := m.SaveCheckpoint(); err != nil {
		return err
	}
	meta.Prov.Steps = done
	if metrics != nil {
		meta.Prov.Metrics = metrics
	}
	if err := checkpoint.Save(dir, meta); err != nil {
		return err
	}
	log.Info("checkpoint", "step", done, "dir", dir)
	return nil
}

// logLine is one JSONL record.
type logLine struct {
	Step      int                `json:"step"`
	Loss      *float64           `json:"loss"`
	GradNorm  *float64           `json:"grad_norm"`
	LR        float64            `json:"lr"`
	StepsPerS float64            `json:"steps_per_s,omitempty"`
	WallS     float64            `json:"wall_s"`
	Eval      map[string]float64 `json:"eval,omitempty"`
	Event     string             `json:"event,omitempty"`
}

// jsonFloat is v, or nil (JSON null) when not finite: encoding/json
// refuses NaN.
func jsonFloat(v float32) *float64 {
	if !finite(v) {
		return nil
	}
	f := float64(v)
	return &f
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func modelConfig(taskName string, s ModelSize, spec taskSpec) seq.Config {
	if taskName == task.Detection {
		return modelConfigOf(s, seq.DetectionConfig(spec.vocabSize(), spec.seqLen()))
	}
	return modelConfigOf(s, seq.CaptionConfig(spec.vocabSize(), spec.seqLen()))
}

// modelConfigOf is c, the task's default architecture, with the sizes s
// sets.
func modelConfigOf(s ModelSize, c seq.Config) seq.Config {
	set := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	set(&c.ImageSize, s.ImageSize)
	set(&c.PatchSize, s.PatchSize)
	set(&c.Width, s.Width)
	set(&c.EncDepth, s.EncDepth)
	set(&c.DecDepth, s.DecDepth)
	set(&c.Heads, s.Heads)
	set(&c.MLPRatio, s.MLPRatio)
	set(&c.StemChannels, s.StemChannels)
	return c
}

func newMeta(cfg *Config, mcfg seq.Config, spec taskSpec) *checkpoint.Meta {
	meta := &checkpoint.Meta{
		Task: cfg.Task, Variant: task.MLE, Model: mcfg,
		Input: checkpoint.Input{Size: mcfg.ImageSize, Channels: mcfg.Channels, Mean: inputMean, Std: inputStd,
			Letterbox: true, Pad: float32(padLevel) / 255},
		Decoding: checkpoint.Decoding{Temperature: 0, MaxTokens: mcfg.SeqLen},
		Prov:     checkpoint.Provenance{Data: cfg.DataDesc, World: cfg.World, DataSeed: cfg.DataSeed, Seed: cfg.Seed, Command: cfg.Command, Commit: cfg.Commit},
	}
	if meta.Prov.Data == "" {
		meta.Prov.Data = cfg.TrainDir
	}
	spec.fillMeta(meta)
	return meta
}

func saved(cfg *Config) savedConfig {
	return savedConfig{Task: cfg.Task, Train: cfg.TrainDir, Steps: cfg.Steps, Batch: cfg.Batch, LR: cfg.LR, Warmup: cfg.Warmup,
		WeightDecay: cfg.WeightDecay, Clip: cfg.Clip, Seed: cfg.Seed, PosInit: cfg.PosInit, InitEncoder: cfg.InitEncoder, BoxOrder: cfg.BoxOrder}
}

// checkResume compares the run with the one that wrote the checkpoints:
// the task (from meta.json) must match, and so must everything that
// decides the batches and the schedule, else the run would not continue
// the same training.
func checkResume(cfg *Config) error {
	if meta, err := checkpoint.Load(cfg.OutDir); err == nil && meta.Task != cfg.Task {
		return fmt.Errorf("%s holds a %s checkpoint, not %s", cfg.OutDir, meta.Task, cfg.Task)
	}
	path := filepath.Join(cfg.OutDir, ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // checkpoints from elsewhere: the model config check still applies
	}
	if err != nil {
		return err
	}
	var prev savedConfig
	if err := json.Unmarshal(data, &prev); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cur := saved(cfg)
	if prev.Task != cur.Task {
		return fmt.Errorf("%s holds a %s run, not %s", cfg.OutDir, prev.Task, cur.Task)
	}
	var diffs []string
	add := func(name string, a, b any) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s %v (checkpoint run %v)", name, b, a))
		}
	}
	add("batch", prev.Batch, cur.Batch)
	add("seed", prev.Seed, cur.Seed)
	add("lr", prev.LR, cur.LR)
	add("warmup", prev.Warmup, cur.Warmup)
	add("weight decay", prev.WeightDecay, cur.WeightDecay)
	add("clip", prev.Clip, cur.Clip)
	if prev.PosInit != "" { // written by runs before the option existed: random
		add("pos-init", prev.PosInit, cur.PosInit)
	}
	add("init-encoder", prev.InitEncoder, cur.InitEncoder)
	if cur.Task == task.Detection {
		was := prev.BoxOrder
		if was == "" {
			was = BoxOrderCoords
		}
		add("box-order", was, cur.BoxOrder)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("resume %s: the run's settings differ: %v", cfg.OutDir, diffs)
	}
	if prev.Steps != cur.Steps {
		cfg.Logger.Warn("resuming with another --steps: the cosine schedule changes from here", "was", prev.Steps, "now", cur.Steps)
	}
	return nil
}

// checkOutDir fails early, before any data is read, on an output folder
// that cannot be created: dir or the nearest of its parents that exists
// is not a folder; and on a data split or a folder of splits (--data
// DIR with train/ and val/): the run's files would be mixed into the data,
// and a later data gen --out there would delete them.
func checkOutDir(dir string) error {
	for _, sub := range []string{"", "train", "val", "test"} {
		for _, f := range []string{"instances.json", "captions.json", "panoptic.json"} {
			if _, err := os.Stat(filepath.Join(dir, sub, f)); err == nil {
				return fmt.Errorf("--out %s holds a data split (%s): write the run elsewhere", dir, filepath.Join(sub, f))
			}
		}
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				if d == filepath.Clean(dir) {
					return fmt.Errorf("create %s: it is a file, not a folder", dir)
				}
				return fmt.Errorf("create %s: %s is a file, not a folder", dir, d)
			}
			return nil
		}
		// ENOTDIR: a parent is a file, found on the way up.
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) || filepath.Dir(d) == d {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
}

// hasCheckpoints reports whether dir holds GoMLX checkpoint files.
func hasCheckpoints(dir string) (bool, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	if err != nil {
		return false, err
	}
	return len(matches) > 0, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
