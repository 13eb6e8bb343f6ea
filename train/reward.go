package train

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"rewardvision/eval/colorize"
	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/export"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// RewardConfig is one reward-tuning run: REINFORCE on the task reward
// (Algorithm 2 of the paper), starting from a trained checkpoint.
type RewardConfig struct {
	Task     string // optional: Init's task must be this one
	Init     string // checkpoint folder to start from (meta.json + weights), e.g. a shipped MLE model
	TrainDir string
	ValDir   string
	OutDir   string

	Samples     int     // samples per image; the leave-one-out baseline needs ≥ 2
	Temperature float64 // sampling temperature (1: the model's own distribution)
	Steps       int
	Batch       int // images per step (Batch·Samples sequences)
	LR          float64
	Warmup      int
	WeightDecay float64
	Clip        float64
	Seed        int64

	EvalEvery, EvalN, CkptEvery, Keep, LogEvery int
	Resume                                      bool

	Workers int
	SkipBad bool
	// ORTLib is the ONNX Runtime library (empty: the usual search),
	// ORTLibSource where it came from, for messages ("env RV_ORT_LIB";
	// empty: flag --ort-lib); Threads its intra-op threads (0: one per
	// core).
	ORTLib       string
	ORTLibSource string
	Threads      int

	Command, DataDesc, Commit string
	DataSeed                  int64
	World                     string // data gen flags of the training world; "": the init checkpoint's

	Logger *slog.Logger
	OnStep func(StepInfo)
}

// rewardSaved is the part of RewardConfig a resumed run must agree with.
type rewardSaved struct {
	Task        string  `json:"task"`
	Init        string  `json:"init"`
	Train       string  `json:"train"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	Samples     int     `json:"samples"`
	Temperature float64 `json:"temperature"`
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	WeightDecay float64 `json:"weight_decay"`
	Clip        float64 `json:"clip"`
	Seed        int64   `json:"seed"`
}

// rewardLogLine is one JSONL record of a reward run: an MLE run's record
// (the plot reads step, loss and eval alike) plus the REINFORCE statistics.
type rewardLogLine struct {
	logLine
	// Reward is the mean reward of the step's samples (nil on the step-0
	// validation line); Baseline the mean leave-one-out baseline; AdvStd
	// the spread of the advantages.
	Reward   *float64 `json:"reward,omitempty"`
	Baseline float64  `json:"baseline"`
	AdvStd   float64  `json:"adv_std"`
	// Entropy is the mean −log p per sampled token, an estimate of the
	// policy's per-token entropy; Size the mean boxes or words per sample.
	Entropy float64 `json:"entropy"`
	Size    float64 `json:"size"`
	// LogProbDiff is the largest |Σ log p| difference between the
	// rollout engine (ONNX Runtime) and the update (GoMLX) on the step's
	// samples: how on-policy the update is.
	LogProbDiff float64 `json:"logprob_diff"`
	RolloutS    float64 `json:"rollout_s"`
	RewardS     float64 `json:"reward_s"`
	UpdateS     float64 `json:"update_s"`
}

// Validate reports the first invalid setting, as Config.Validate.
func (c *RewardConfig) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c *RewardConfig) withDefaults() (RewardConfig, error) {
	d := *c
	if d.Init == "" || d.TrainDir == "" || d.ValDir == "" || d.OutDir == "" {
		return d, fmt.Errorf("init checkpoint, train, val and out folders are required")
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
	case d.Samples < 2 || d.Samples > 64:
		return d, fmt.Errorf("samples %d: want 2..64 (the leave-one-out baseline needs another sample of the image)", d.Samples)
	case !(d.Temperature > 0) || d.Temperature > 10:
		return d, fmt.Errorf("temperature %g: want (0, 10]", d.Temperature)
	case d.Steps < 1 || d.Steps > maxSteps:
		return d, fmt.Errorf("steps %d: want 1..%d", d.Steps, maxSteps)
	case d.Batch < 1 || d.Batch*d.Samples > 4096:
		return d, fmt.Errorf("batch %d × samples %d: want 1..4096 sequences", d.Batch, d.Samples)
	case !(d.WeightDecay >= 0) || d.WeightDecay > 1:
		return d, fmt.Errorf("weight decay %g: want 0..1", d.WeightDecay)
	case !(d.Clip >= 0) || math.IsInf(d.Clip, 0):
		return d, fmt.Errorf("clip %g: want ≥ 0 (0: no clipping)", d.Clip)
	case d.EvalEvery < 0 || d.EvalN < 0 || d.CkptEvery < 0 || d.Keep < 1 || d.LogEvery < 1 || d.Threads < 0:
		return d, fmt.Errorf("eval-every %d, eval-n %d, ckpt-every %d, keep %d, log-every %d, threads %d: want ≥ 0 (keep, log-every ≥ 1)",
			d.EvalEvery, d.EvalN, d.CkptEvery, d.Keep, d.LogEvery, d.Threads)
	}
	if err := (Schedule{Peak: d.LR, Warmup: d.Warmup, Total: d.Steps}).Validate(); err != nil {
		return d, err
	}
	return d, nil
}

func (c *RewardConfig) saved(taskName string) rewardSaved {
	return rewardSaved{Task: taskName, Init: c.Init, Train: c.TrainDir, Steps: c.Steps, Batch: c.Batch, Samples: c.Samples,
		Temperature: c.Temperature, LR: c.LR, Warmup: c.Warmup, WeightDecay: c.WeightDecay, Clip: c.Clip, Seed: c.Seed}
}

// checkRewardResume compares the run with the one that wrote the
// checkpoints in OutDir: everything that decides the samples, batches and
// schedule must agree.
func (c *RewardConfig) checkResume(taskName string) error {
	path := filepath.Join(c.OutDir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("resume %s: %w", c.OutDir, err)
	}
	var prev rewardSaved
	if err := json.Unmarshal(data, &prev); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cur := c.saved(taskName)
	if prev.Samples == 0 {
		return fmt.Errorf("resume %s: it holds an MLE run, not a reward run", c.OutDir)
	}
	steps := prev.Steps
	prev.Steps = cur.Steps
	if prev != cur {
		return fmt.Errorf("resume %s: the run's settings differ: checkpoint run %+v, now %+v", c.OutDir, prev, cur)
	}
	if steps != cur.Steps {
		c.Logger.Warn("resuming with another --steps: the cosine schedule changes from here", "was", steps, "now", cur.Steps)
	}
	return nil
}

// rewardRun holds what a reward run's steps share.
type rewardRun struct {
	cfg   RewardConfig
	spec  taskSpec
	rw    rewarder
	model *seq.Model
	live  *export.Live
	st    *stepper
	train *split
	val   *split
	mask  []float32
	order *sampler
}

// RunReward tunes cfg.Init on the task reward for cfg.Steps steps (or
// resumes the run in cfg.OutDir). Each step samples cfg.Samples outputs
// per image with ONNX Runtime on the current weights, scores them, and
// takes one clipped AdamW step on −mean (R − b)·Σ log p(sample), with b
// the leave-one-out baseline.
func RunReward(ctx context.Context, c RewardConfig) (*Result, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	initMeta, err := checkpoint.Load(cfg.Init)
	if err != nil {
		return nil, fmt.Errorf("init checkpoint: %w", err)
	}
	if cfg.Task != "" && cfg.Task != initMeta.Task {
		return nil, fmt.Errorf("--task %s: %s holds a %s model", cfg.Task, cfg.Init, initMeta.Task)
	}
	if err := checkOutDir(cfg.OutDir); err != nil {
		return nil, err
	}
	have, err := hasCheckpoints(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	switch {
	case have && !cfg.Resume:
		return nil, fmt.Errorf("%s already holds checkpoints: pass --resume to continue that run, or choose another --out", cfg.OutDir)
	case !have && cfg.Resume:
		return nil, fmt.Errorf("--resume: %s holds no checkpoints to resume", cfg.OutDir)
	case have:
		if err := cfg.checkResume(initMeta.Task); err != nil {
			return nil, err
		}
	}
	r := &rewardRun{cfg: cfg}
	size := initMeta.Model.ImageSize
	if r.spec, err = specFromMeta(cfg.Init, initMeta); err != nil {
		return nil, err
	}
	r.mask = r.spec.mask()
	t0 := time.Now()
	if r.train, err = loadSplit(ctx, cfg.TrainDir, initMeta.Task, size, cfg.Workers, cfg.SkipBad, log); err != nil {
		return nil, err
	}
	if r.val, err = loadSplit(ctx, cfg.ValDir, initMeta.Task, size, cfg.Workers, cfg.SkipBad, log); err != nil {
		return nil, err
	}
	log.Info("data loaded", "train", r.train.len(), "val", r.val.len(), "elapsed", time.Since(t0).Round(time.Millisecond))
	switch t := r.spec.(type) {
	case *detectionTask:
		if err := sameCategories(t, r.train); err != nil {
			return nil, fmt.Errorf("%s against %s: %w", cfg.Init, cfg.TrainDir, err)
		}
		if r.rw, err = newDetectionRewarder(t.codec, r.train); err != nil {
			return nil, err
		}
	case *captionTask:
		r.rw = newCaptionRewarder(t.vocab, r.train)
	case *colorizationTask:
		r.rw = &colorizationRewarder{cb: t.cb, weight: colorize.DefaultSimilarityWeight}
	case *panopticTask:
		r.rw = &panopticRewarder{t: t}
	}
	r.order = newSampler(r.train, r.spec, cfg.Seed)

	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	if have {
		r.model, err = seq.New(be, initMeta.Model, seq.Options{Seed: cfg.Seed, LearningRate: cfg.LR})
	} else {
		// A fresh optimizer and step count: the run's steps are its own.
		if r.model, err = seq.LoadWeights(be, cfg.Init, &initMeta.Model); err == nil {
			err = optimizers.GetGlobalStepVar(r.model.Context()).SetValue(tensors.FromScalar(int64(0)))
		}
	}
	if err != nil {
		return nil, err
	}
	// ONNX Runtime before anything is written to --out: a wrong
	// --ort-lib leaves no half-made run behind.
	rt, err := ortrun.LoadFrom(cfg.ORTLib, cfg.ORTLibSource)
	if err != nil {
		return nil, fmt.Errorf("rollouts need ONNX Runtime: %w", err)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg.OutDir, err)
	}
	if err := r.model.OpenCheckpoints(cfg.OutDir, cfg.Keep); err != nil {
		return nil, err
	}
	start := int(r.model.GlobalStep())
	if start > cfg.Steps {
		return nil, fmt.Errorf("checkpoint in %s is at step %d, past --steps %d", cfg.OutDir, start, cfg.Steps)
	}
	if err := writeJSON(filepath.Join(cfg.OutDir, ConfigFile), cfg.saved(initMeta.Task)); err != nil {
		return nil, err
	}
	meta := r.newMeta(initMeta)
	// The run folder is a checkpoint folder like the MLE one: export and
	// ship find the vocabulary or codebook beside the weights.
	switch t := r.spec.(type) {
	case *captionTask:
		if err := codec.SaveVocab(t.vocab, filepath.Join(cfg.OutDir, meta.VocabFile)); err != nil {
			return nil, err
		}
	case denseSpec:
		if err := t.saveCode(filepath.Join(cfg.OutDir, meta.Codebook().CodebookFile)); err != nil {
			return nil, err
		}
	}
	if r.live, err = export.NewLive(r.model, meta, cfg.OutDir, rt, ortrun.Device{}, runner.Options{IntraOpThreads: cfg.Threads}); err != nil {
		return nil, err
	}
	defer r.live.Close()
	if r.st, err = compileStep(r.model, cfg.WeightDecay, cfg.Clip, r.mask, r.lossGraph); err != nil {
		return nil, err
	}
	defer r.st.close()
	log.Info("reward tuning", "task", initMeta.Task, "init", cfg.Init, "params", initMeta.Model.ParamCount(),
		"start_step", start, "steps", cfg.Steps, "samples", cfg.Samples, "reward", r.rw.describe())
	return r.loop(ctx, start, meta)
}

// sameCategories checks that the checkpoint's labels are the split's
// thing categories in the same order: class k must mean the same thing.
func sameCategories(t *detectionTask, s *split) error {
	if len(t.ids) != len(s.cats) {
		return fmt.Errorf("the model has %d classes, the data %d thing categories", len(t.ids), len(s.cats))
	}
	for k, id := range t.ids {
		if s.cats[k].ID != id {
			return fmt.Errorf("class %d is category %d in the model and %d in the data", k, id, s.cats[k].ID)
		}
	}
	return nil
}

func (r *rewardRun) newMeta(init *checkpoint.Meta) *checkpoint.Meta {
	meta := *init
	meta.Variant = task.Reward
	world := r.cfg.World
	if world == "" {
		world = init.Prov.World // tuned on the world it learned
	}
	meta.Prov = checkpoint.Provenance{Data: r.cfg.DataDesc, World: world, DataSeed: r.cfg.DataSeed, Seed: r.cfg.Seed, Command: r.cfg.Command,
		Reward: r.rw.describe(), Init: r.cfg.Init, Commit: r.cfg.Commit}
	if meta.Prov.Data == "" {
		meta.Prov.Data = r.cfg.TrainDir
	}
	return &meta
}

// lossGraph: inputs images [S/n,H,W,C] (each image once, n = Samples),
// inputs, targets, weights [S,L] (n consecutive rows per image),
// advantages [S]; the extra output is each sequence's Σ log p before the
// update (for the on-policy check).
func (r *rewardRun) lossGraph(ctx *mlctx.Context, in []*graph.Node, mask *graph.Node) (*graph.Node, []*graph.Node) {
	n := in[1].Shape().Dimensions[0] / in[0].Shape().Dimensions[0]
	logits := seq.ForwardRepeated(ctx, r.model.Cfg, in[0], in[1], n)
	lp := seq.SequenceLogProbs(logits, in[2], in[3], mask)
	return seq.PolicyLoss(lp, in[4]), []*graph.Node{graph.StopGradient(lp)}
}

// rollout is one step's samples and their scores.
type rollout struct {
	idx        []int     // training image of each sequence (Samples consecutive rows per image)
	tokens     [][]int32 // up to EOS
	ortLogProb []float64 // Σ log p from the rollout engine
	rewards    []float64
	adv        []float64
	baseline   []float64
}

// sample draws Samples outputs for each image of the step's batch.
func (r *rewardRun) sample(step int) (*rollout, error) {
	n, B := r.cfg.Samples, r.cfg.Batch
	ro := &rollout{idx: make([]int, B*n)}
	for j := range B {
		i := r.order.index(int64(step)*int64(B) + int64(j))
		for k := range n {
			ro.idx[j*n+k] = i
		}
	}
	seed := uint64(r.cfg.Seed)*0x9e3779b97f4a7c15 ^ uint64(step)
	gen, err := r.live.Runner().Generate(flatImages(r.train, ro.idx), B*n, runner.GenerateOptions{Temperature: r.cfg.Temperature, Seed: seed, GrammarMask: r.mask})
	if err != nil {
		return nil, fmt.Errorf("rollout: %w", err)
	}
	ro.tokens = make([][]int32, B*n)
	ro.ortLogProb = make([]float64, B*n)
	for s := range gen.Tokens {
		ro.tokens[s] = codec.UpToEOS(gen.Tokens[s])
		for _, lp := range gen.LogProbs[s][:len(ro.tokens[s])] {
			ro.ortLogProb[s] += float64(lp)
		}
	}
	return ro, nil
}

// score fills the rewards (in parallel) and the advantages.
func (r *rewardRun) score(ro *rollout) {
	ro.rewards = parallelScores(r.rw, r.train, ro.idx, ro.tokens)
	ro.adv, ro.baseline = leaveOneOut(ro.rewards, r.cfg.Samples)
}

// parallelScores scores tokens[s] as the output of image idx[s] of s.
func parallelScores(rw rewarder, s *split, idx []int, tokens [][]int32) []float64 {
	out := make([]float64, len(idx))
	workers := min(runtime.GOMAXPROCS(0), len(idx))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(idx); k += workers {
				out[k] = rw.score(s, idx[k], tokens[k])
			}
		}()
	}
	wg.Wait()
	return out
}

// update takes the gradient step on the rollout and returns loss, norm
// and GoMLX's Σ log p per sequence (before the update).
func (r *rewardRun) update(ro *rollout) (loss, norm float32, lp []float32, err error) {
	L := r.model.Cfg.SeqLen
	S := len(ro.idx)
	in := make([]int32, 0, S*L)
	tg := make([]int32, 0, S*L)
	w := make([]float32, 0, S*L)
	adv := make([]float32, S)
	for s, toks := range ro.tokens {
		a, b, c, err := codec.TeacherForcing(toks, L)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("sample %d: %w", s, err)
		}
		in, tg, w = append(in, a...), append(tg, b...), append(w, c...)
		adv[s] = float32(ro.adv[s])
	}
	images := make([]int, 0, S/r.cfg.Samples)
	for s := 0; s < S; s += r.cfg.Samples {
		images = append(images, ro.idx[s])
	}
	out, err := r.st.exec.Exec(imagesTensor(r.train, images),
		tensors.FromFlatDataAndDimensions(in, S, L), tensors.FromFlatDataAndDimensions(tg, S, L),
		tensors.FromFlatDataAndDimensions(w, S, L), tensors.FromFlatDataAndDimensions(adv, S), r.st.mask)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("train step: %w", err)
	}
	return tensors.ToScalar[float32](out[0]), tensors.ToScalar[float32](out[1]), tensors.MustCopyFlatData[float32](out[2]), nil
}

func (r *rewardRun) loop(ctx context.Context, start int, meta *checkpoint.Meta) (*Result, error) {
	cfg, log := r.cfg, r.cfg.Logger
	logf, err := os.OpenFile(filepath.Join(cfg.OutDir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close()
	jl := json.NewEncoder(logf)
	sched := Schedule{Peak: cfg.LR, Warmup: cfg.Warmup, Total: cfg.Steps}
	res := &Result{StartStep: start}
	if start == 0 && cfg.EvalEvery > 0 {
		// The starting point's metrics begin the curve.
		metrics, err := r.validate()
		if err != nil {
			return res, fmt.Errorf("validation of %s: %w", cfg.Init, err)
		}
		metrics["step"] = 0
		log.Info("validation", "step", 0, r.spec.headline(), metrics[r.spec.headline()], "reward", metrics["reward"], "metrics", metrics)
		if err := jl.Encode(rewardLogLine{logLine: logLine{Eval: metrics}}); err != nil {
			return res, fmt.Errorf("write log: %w", err)
		}
	}
	runStart := time.Now()
	lastGood := start
	for step := start; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("stopped at step %d (last checkpoint at step %d): %w", step, lastGood, err)
		}
		lr := sched.At(step)
		if err := r.st.setLR(lr); err != nil {
			return res, err
		}
		t0 := time.Now()
		if _, err := r.live.Refresh(); err != nil {
			return res, err
		}
		ro, err := r.sample(step)
		if err != nil {
			return res, fmt.Errorf("step %d: %w", step+1, err)
		}
		t1 := time.Now()
		r.score(ro)
		t2 := time.Now()
		loss, norm, lp, err := r.update(ro)
		if err != nil {
			return res, fmt.Errorf("step %d: %w", step+1, err)
		}
		t3 := time.Now()
		done := step + 1
		line := r.stepLine(ro, lp)
		line.Step, line.Loss, line.GradNorm, line.LR = done, jsonFloat(loss), jsonFloat(norm), lr
		line.RolloutS, line.RewardS, line.UpdateS = t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds()
		el := time.Since(runStart).Seconds()
		line.WallS, line.StepsPerS = el, float64(done-start)/el
		if !finite(loss) || !finite(norm) {
			line.Event = "non-finite"
			_ = jl.Encode(line)
			return res, fmt.Errorf("step %d: loss %g, gradient norm %g: %w; stopped, the last good checkpoint (step %d) is kept in %s",
				done, loss, norm, ErrNonFinite, lastGood, cfg.OutDir)
		}
		res.Losses = append(res.Losses, loss)
		res.Steps = done
		info := StepInfo{Step: done, Total: cfg.Steps, Loss: loss, GradNorm: norm, LR: lr, StepsPerS: line.StepsPerS, Reward: *line.Reward}
		if info.StepsPerS > 0 {
			info.ETASeconds = float64(cfg.Steps-done) / info.StepsPerS
		}
		last := done == cfg.Steps
		if (cfg.EvalEvery > 0 && done%cfg.EvalEvery == 0) || last {
			te := time.Now()
			metrics, err := r.validate()
			if err != nil {
				return res, fmt.Errorf("validation at step %d: %w", done, err)
			}
			metrics["step"] = float64(done)
			line.Eval, info.Eval, res.Metrics = metrics, metrics, metrics
			log.Info("validation", "step", done, r.spec.headline(), metrics[r.spec.headline()], "reward", metrics["reward"],
				"metrics", metrics, "elapsed", time.Since(te).Round(time.Millisecond))
		}
		if done%cfg.LogEvery == 0 || line.Eval != nil || last {
			if err := jl.Encode(line); err != nil {
				return res, fmt.Errorf("write log: %w", err)
			}
		}
		if (cfg.CkptEvery > 0 && done%cfg.CkptEvery == 0) || last {
			if err := saveCheckpoint(r.model, meta, res.Metrics, done, cfg.OutDir, log); err != nil {
				return res, err
			}
			lastGood = done
		}
		if cfg.OnStep != nil {
			cfg.OnStep(info)
		}
	}
	res.Meta = meta
	res.Elapsed = time.Since(runStart)
	return res, nil
}

// stepLine summarises a step's samples for the log.
func (r *rewardRun) stepLine(ro *rollout, gomlxLP []float32) rewardLogLine {
	var l rewardLogLine
	S := float64(len(ro.rewards))
	tokens, reward := 0, 0.0
	for s, rw := range ro.rewards {
		reward += rw / S
		l.Baseline += ro.baseline[s] / S
		l.Size += float64(r.rw.size(ro.tokens[s])) / S
		l.Entropy -= ro.ortLogProb[s]
		tokens += len(ro.tokens[s])
		l.LogProbDiff = max(l.LogProbDiff, math.Abs(ro.ortLogProb[s]-float64(gomlxLP[s])))
	}
	l.Reward = &reward
	l.Entropy /= float64(max(tokens, 1))
	for _, a := range ro.adv {
		l.AdvStd += a * a / S
	}
	l.AdvStd = math.Sqrt(l.AdvStd)
	return l
}

// validate decodes the first EvalN validation images greedily with ONNX
// Runtime on the current weights and returns the task's metrics and the
// mean reward of those outputs ("reward").
func (r *rewardRun) validate() (map[string]float64, error) {
	rewards := map[int]float64{}
	decode := func(fn func(int, []int32, []float32) error) error {
		return ortGreedy(r.live.Runner(), r.val, r.cfg.EvalN, 64, r.mask, func(i int, toks []int32, probs []float32) error {
			rewards[i] = r.rw.score(r.val, i, toks)
			return fn(i, toks, probs)
		})
	}
	metrics, err := scoreOutputs(r.spec, r.val, r.cfg.EvalN, decode)
	if err != nil {
		return nil, err
	}
	sum := 0.0
	for _, v := range rewards {
		sum += v
	}
	metrics["reward"] = sum / float64(max(len(rewards), 1))
	return metrics, nil
}

// scoreOutputs scores decoded outputs with the task's validation metrics.
func scoreOutputs(spec taskSpec, val *split, n int, decode decodeFunc) (map[string]float64, error) {
	switch t := spec.(type) {
	case *detectionTask:
		m, _, err := t.score(val, n, decode)
		return m, err
	case *captionTask:
		m, _, err := t.score(val, n, decode)
		return m, err
	case *colorizationTask:
		m, _, err := t.score(val, n, decode)
		return m, err
	case *panopticTask:
		m, _, err := t.score(val, n, decode)
		return m, err
	}
	return nil, fmt.Errorf("no validation for %T", spec)
}

// ortGreedy is greedy (see greedy) with an ONNX Runtime runner.
func ortGreedy(run *runner.Runner, s *split, n, batch int, mask []float32, fn func(i int, tokens []int32, probs []float32) error) error {
	return inBatches(s, n, batch, func(idx []int) ([][]int32, [][]float32, error) {
		gen, err := run.Generate(flatImages(s, idx), len(idx), runner.GenerateOptions{GrammarMask: mask})
		if err != nil {
			return nil, nil, err
		}
		return gen.Tokens, gen.LogProbs, nil
	}, fn)
}
