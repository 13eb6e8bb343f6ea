package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

func TestLeaveOneOut(t *testing.T) {
	// Two images, four samples each, worked by hand.
	rewards := []float64{1, 0, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2}
	adv, base := leaveOneOut(rewards, 4)
	wantBase := []float64{1.0 / 3, 2.0 / 3, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2}
	wantAdv := []float64{2.0 / 3, -2.0 / 3, 0, 0, 0, 0, 0, 0}
	for i := range rewards {
		if math.Abs(base[i]-wantBase[i]) > 1e-12 || math.Abs(adv[i]-wantAdv[i]) > 1e-12 {
			t.Errorf("sample %d: baseline %v advantage %v, want %v %v", i, base[i], adv[i], wantBase[i], wantAdv[i])
		}
	}
}

// bandit is a one-token task small enough to enumerate: the decoder's
// first token is one of arms (the grammar mask forbids the rest), then
// EOS is forced. Its expected reward J = Σ_a p(a)·R(a) and the exact
// gradient ∇J come from GoMLX's autodiff over the enumeration.
type bandit struct {
	m      *seq.Model
	mask   []float32
	arms   []int32
	reward map[int32]float64
	image  []float32
}

func newBandit(t *testing.T) *bandit {
	t.Helper()
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := seq.CaptionConfig(8, 2)
	cfg.ImageSize, cfg.PatchSize, cfg.Width, cfg.EncDepth, cfg.DecDepth, cfg.Heads, cfg.MLPRatio = 8, 4, 8, 1, 1, 1, 1
	m, err := seq.New(be, cfg, seq.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := &bandit{m: m, arms: []int32{3, 4, 5, 6}, reward: map[int32]float64{3: 0, 4: 1, 5: 0.3, 6: 0.6}}
	b.mask = make([]float32, 2*8)
	for v := range 8 {
		if !slices.Contains(b.arms, int32(v)) {
			b.mask[v] = -1e9
		}
		if v != int(codec.EOS) {
			b.mask[8+v] = -1e9
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.image = make([]float32, 8*8*3)
	for i := range b.image {
		b.image[i] = float32(rng.NormFloat64())
	}
	return b
}

// batch builds the teacher-forced tensors of the given first tokens.
func (b *bandit) batch(arms []int32) (images, in, tg, w *tensors.Tensor) {
	n := len(arms)
	img := make([]float32, 0, n*len(b.image))
	var ins, tgs []int32
	var ws []float32
	for _, a := range arms {
		img = append(img, b.image...)
		ins, tgs, ws = append(ins, codec.BOS, a), append(tgs, a, codec.EOS), append(ws, 1, 1)
	}
	return tensors.FromFlatDataAndDimensions(img, n, 8, 8, 3), tensors.FromFlatDataAndDimensions(ins, n, 2),
		tensors.FromFlatDataAndDimensions(tgs, n, 2), tensors.FromFlatDataAndDimensions(ws, n, 2)
}

// exact returns the arms' probabilities, J and ∇J (flattened over the
// trainable variables, in GoMLX's order).
func (b *bandit) exact(t *testing.T) (probs []float64, j float64, grad []float32) {
	t.Helper()
	images, in, tg, w := b.batch(b.arms)
	r := make([]float32, len(b.arms))
	for k, a := range b.arms {
		r[k] = float32(b.reward[a])
	}
	maskT := tensors.FromFlatDataAndDimensions(slices.Clone(b.mask), 2, 8)
	out := b.gradExec(t, func(ctx *mlctx.Context, in []*graph.Node) *graph.Node {
		lp := seq.SequenceLogProbs(seq.Forward(ctx, b.m.Cfg, in[0], in[1]), in[2], in[3], in[5])
		// −J, so that the gradient returned is that of a loss, like PolicyLoss's.
		return graph.Neg(graph.ReduceAllSum(graph.Mul(graph.Exp(lp), in[4])))
	}, images, in, tg, w, tensors.FromFlatDataAndDimensions(r, len(r)), maskT)
	lp := tensors.MustCopyFlatData[float32](out[1])
	for k := range b.arms {
		probs = append(probs, math.Exp(float64(lp[k])))
	}
	return probs, -float64(tensors.ToScalar[float32](out[0])), flatGrads(out[2:])
}

// gradExec runs fn's loss and its gradient; outputs: loss, the sequence
// log-probabilities, then the gradients.
func (b *bandit) gradExec(t *testing.T, fn func(ctx *mlctx.Context, in []*graph.Node) *graph.Node, args ...any) []*tensors.Tensor {
	t.Helper()
	exec, err := mlctx.NewExec(b.m.Backend(), b.m.Context(), func(ctx *mlctx.Context, in []*graph.Node) []*graph.Node {
		ctx = ctx.Checked(false)
		loss := fn(ctx, in)
		lp := seq.SequenceLogProbs(seq.Forward(ctx, b.m.Cfg, in[0], in[1]), in[2], in[3], in[len(in)-1])
		return append([]*graph.Node{loss, lp}, ctx.BuildTrainableVariablesGradientsGraph(loss)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flatGrads(ts []*tensors.Tensor) []float32 {
	var g []float32
	for _, x := range ts {
		g = append(g, tensors.MustCopyFlatData[float32](x)...)
	}
	return g
}

// draw samples groups×n arms from probs and returns them with their
// leave-one-out advantages.
func (b *bandit) draw(rng *rand.Rand, probs []float64, groups, n int) ([]int32, []float64) {
	arms := make([]int32, groups*n)
	rewards := make([]float64, groups*n)
	for s := range arms {
		u, k := rng.Float64(), 0
		for ; k < len(probs)-1 && u >= probs[k]; k++ {
			u -= probs[k]
		}
		arms[s], rewards[s] = b.arms[k], b.reward[b.arms[k]]
	}
	adv, _ := leaveOneOut(rewards, n)
	return arms, adv
}

// TestPolicyGradientUnbiased: the mean of the REINFORCE estimator with the
// leave-one-out baseline (the gradient of PolicyLoss on many sampled
// groups) matches the exact gradient of the expected reward.
func TestPolicyGradientUnbiased(t *testing.T) {
	b := newBandit(t)
	probs, j, want := b.exact(t)
	t.Logf("arm probabilities %.3f, J = %.4f", probs, j)
	const groups, n = 3000, 4
	arms, adv := b.draw(rand.New(rand.NewPCG(5, 6)), probs, groups, n)
	images, in, tg, w := b.batch(arms)
	a32 := make([]float32, len(adv))
	for i, v := range adv {
		a32[i] = float32(v)
	}
	maskT := tensors.FromFlatDataAndDimensions(slices.Clone(b.mask), 2, 8)
	out := b.gradExec(t, func(ctx *mlctx.Context, in []*graph.Node) *graph.Node {
		lp := seq.SequenceLogProbs(seq.Forward(ctx, b.m.Cfg, in[0], in[1]), in[2], in[3], in[5])
		return seq.PolicyLoss(lp, in[4])
	}, images, in, tg, w, tensors.FromFlatDataAndDimensions(a32, len(a32)), maskT)
	got := flatGrads(out[2:])
	if len(got) != len(want) {
		t.Fatalf("%d gradient values, want %d", len(got), len(want))
	}
	var dot, ng, nw, diff float64
	for i := range got {
		g, e := float64(got[i]), float64(want[i])
		dot, ng, nw, diff = dot+g*e, ng+g*g, nw+e*e, diff+(g-e)*(g-e)
	}
	cos := dot / math.Sqrt(ng*nw)
	rel := math.Sqrt(diff / nw)
	t.Logf("estimator vs exact gradient over %d parameters: cosine %.4f, relative error %.3f, |exact| %.4g", len(got), cos, rel, math.Sqrt(nw))
	// 12,000 samples: the Monte Carlo error is a few percent.
	if cos < 0.98 || rel > 0.1 {
		t.Errorf("cosine %.4f, relative error %.3f: want ≥ 0.98 and ≤ 0.1 (a baseline that includes the sample itself shrinks the mean by (n−1)/n = 0.75)", cos, rel)
	}
	// Without a baseline the estimator has the same mean; with the wrong
	// sign it points away: the comparison can fail.
	for i := range a32 {
		a32[i] = -a32[i]
	}
	out = b.gradExec(t, func(ctx *mlctx.Context, in []*graph.Node) *graph.Node {
		lp := seq.SequenceLogProbs(seq.Forward(ctx, b.m.Cfg, in[0], in[1]), in[2], in[3], in[5])
		return seq.PolicyLoss(lp, in[4])
	}, images, in, tg, w, tensors.FromFlatDataAndDimensions(a32, len(a32)), maskT)
	neg := flatGrads(out[2:])
	dot = 0
	for i := range neg {
		dot += float64(neg[i]) * float64(want[i])
	}
	if dot >= 0 {
		t.Errorf("negated advantages still correlate with the exact gradient (dot %g)", dot)
	}
}

// TestReinforceRaisesReward: the training step of train reward (clipped
// AdamW on PolicyLoss) moves the bandit's policy to its best arm.
func TestReinforceRaisesReward(t *testing.T) {
	b := newBandit(t)
	probs, j0, _ := b.exact(t)
	r := &rewardRun{model: b.m}
	st, err := compileStep(b.m, 0, 1, b.mask, r.lossGraph)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if err := st.setLR(0.05); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 60 {
		arms, adv := b.draw(rng, probs, 8, 4)
		images, in, tg, w := b.batch(arms)
		a32 := make([]float32, len(adv))
		for i, v := range adv {
			a32[i] = float32(v)
		}
		if _, err := st.exec.Exec(images, in, tg, w, tensors.FromFlatDataAndDimensions(a32, len(a32)), st.mask); err != nil {
			t.Fatal(err)
		}
		probs, _, _ = b.exact(t)
	}
	_, j1, _ := b.exact(t)
	t.Logf("expected reward %.4f → %.4f (optimum 1); arm probabilities %.3f", j0, j1, probs)
	if !(j1 > 0.9 && j1 > j0+0.2) {
		t.Errorf("expected reward %.4f → %.4f: want above 0.9 (the best arm pays 1)", j0, j1)
	}
}

// tinyInit trains a tiny model by MLE for a reward run to start from.
func tinyInit(t *testing.T, taskName string) string {
	t.Helper()
	cfg := tinyConfig(t, taskName, 30)
	cfg.LR = 5e-3
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.OutDir
}

func tinyRewardConfig(t *testing.T, init string, steps int) RewardConfig {
	t.Helper()
	base := tinyConfig(t, "detection", 1)
	return RewardConfig{
		Init: init, TrainDir: base.TrainDir, ValDir: base.ValDir, OutDir: t.TempDir(),
		Samples: 4, Temperature: 1, Steps: steps, Batch: 4, LR: 1e-3, Warmup: 1, Clip: 1, Seed: 11,
		EvalN: 8, Keep: 2, LogEvery: 1, Workers: 1, Threads: 1, Logger: base.Logger,
	}
}

// readRewardLog parses a reward run's log.jsonl.
func readRewardLog(t testing.TB, dir string) []rewardLogLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rewardLogLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l rewardLogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestRewardRunResumeExact: a reward run interrupted after a checkpoint
// and resumed takes the same steps (samples, rewards, losses, weights) as
// an uninterrupted one; its samples are on-policy (ONNX Runtime's and
// GoMLX's log-probabilities agree within 1e-4); its output folder is a
// checkpoint folder of the reward variant.
func TestRewardRunResumeExact(t *testing.T) {
	for _, taskName := range []string{task.Detection, task.Captioning} {
		t.Run(taskName, func(t *testing.T) {
			init := tinyInit(t, taskName)
			const steps, stopAt = 4, 2
			full := tinyRewardConfig(t, init, steps)
			full.CkptEvery = stopAt
			want, err := RunReward(context.Background(), full)
			if err != nil {
				t.Fatal(err)
			}
			part := tinyRewardConfig(t, init, steps)
			part.CkptEvery = stopAt
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			part.OnStep = func(s StepInfo) {
				if s.Step == stopAt {
					cancel()
				}
			}
			first, err := RunReward(ctx, part)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: err %v, want context.Canceled", err)
			}
			part.OnStep = nil
			if _, err := RunReward(context.Background(), part); err == nil || !strings.Contains(err.Error(), "--resume") {
				t.Errorf("rerun without --resume: err %v, want a hint at --resume", err)
			}
			part.Resume = true
			second, err := RunReward(context.Background(), part)
			if err != nil {
				t.Fatal(err)
			}
			got := append(append([]float32(nil), first.Losses...), second.Losses...)
			if !slices.Equal(got, want.Losses) {
				t.Errorf("interrupted+resumed losses\n%v\nwant\n%v", got, want.Losses)
			}
			assertSameWeights(t, full.OutDir, part.OutDir)
			lines := readRewardLog(t, full.OutDir)
			if len(lines) != steps {
				t.Fatalf("%d log lines, want %d", len(lines), steps)
			}
			resumed := readRewardLog(t, part.OutDir)
			for i, l := range lines {
				if l.LogProbDiff > 1e-4 {
					t.Errorf("step %d: ORT and GoMLX log-probabilities differ by %g", l.Step, l.LogProbDiff)
				}
				if l.Reward == nil || resumed[i].Reward == nil || *l.Reward != *resumed[i].Reward || l.Size != resumed[i].Size {
					t.Errorf("step %d: reward %v size %v after resume, want %v %v", l.Step, resumed[i].Reward, resumed[i].Size, l.Reward, l.Size)
				}
			}
			if _, ok := want.Metrics["reward"]; !ok {
				t.Errorf("validation metrics %v lack the mean reward", want.Metrics)
			}
			meta, err := checkpoint.Load(full.OutDir)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Variant != task.Reward || meta.Prov.Init != init || meta.Prov.Steps != steps || meta.Prov.Reward == "" {
				t.Errorf("meta variant %q, provenance %+v", meta.Variant, meta.Prov)
			}
			if _, err := specFromMeta(full.OutDir, meta); err != nil {
				t.Errorf("the run folder does not rebuild its codec: %v", err)
			}
		})
	}
}

func TestRewardConfigErrors(t *testing.T) {
	init := tinyInit(t, task.Detection)
	for _, tc := range []struct {
		name string
		edit func(*RewardConfig)
		want string
	}{
		{"one sample", func(c *RewardConfig) { c.Samples = 1 }, "leave-one-out"},
		{"zero temperature", func(c *RewardConfig) { c.Temperature = 0 }, "temperature"},
		{"no init", func(c *RewardConfig) { c.Init = "" }, "required"},
		{"init not a checkpoint", func(c *RewardConfig) { c.Init = t.TempDir() }, "init checkpoint"},
		{"wrong task", func(c *RewardConfig) { c.Task = task.Captioning }, "holds a detection model"},
		{"resume nothing", func(c *RewardConfig) { c.Resume = true }, "no checkpoints to resume"},
		{"negative lr", func(c *RewardConfig) { c.LR = -1 }, "learning rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyRewardConfig(t, init, 2)
			tc.edit(&cfg)
			_, err := RunReward(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestDetectionRewarder: only classes of the training split get weights;
// the ground truth's own tokens score the most, a missing box less, and a
// duplicate costs.
func TestDetectionRewarder(t *testing.T) {
	tr, _ := tinyData(t)
	cfg := tinyConfig(t, task.Detection, 1)
	s, err := loadSplit(context.Background(), tr, task.Detection, 16, 1, false, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.NewDetection(17, len(s.cats), 2)
	if err != nil {
		t.Fatal(err)
	}
	rw, err := newDetectionRewarder(c, s)
	if err != nil {
		t.Fatal(err)
	}
	occur := map[int]bool{}
	for _, bs := range s.boxes {
		for _, b := range bs {
			occur[b.Class] = true
		}
	}
	sum := 0.0
	for k, w := range rw.reward.Weights {
		if !occur[k] {
			t.Errorf("class %d has weight %v but never occurs", k, w)
		}
		sum += w
	}
	if len(rw.reward.Weights) != len(occur) || math.Abs(sum-float64(len(occur))) > 1e-9 {
		t.Errorf("weights %v: want one per occurring class (%d), summing to their number", rw.reward.Weights, len(occur))
	}
	checked := 0
	for i, boxes := range s.boxes {
		if len(boxes) != 2 {
			continue
		}
		gt, err := c.Encode(boxes, 16, 16, nil)
		if err != nil {
			t.Fatal(err)
		}
		full := rw.score(s, i, gt)
		one := rw.score(s, i, append(slices.Clone(gt[:5]), codec.EOS))
		dup := rw.score(s, i, append(append(slices.Clone(gt[:5]), gt[:5]...), codec.EOS))
		empty := rw.score(s, i, []int32{codec.EOS})
		// One pixel per bin: the ground truth's tokens are exact.
		if math.Abs(full-1) > 1e-9 || empty != 0 || !(one < full) || !(dup < one) {
			t.Errorf("image %d: reward full %v, one box %v, one box twice %v, empty %v", i, full, one, dup, empty)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no training image with two boxes")
	}
	if got := rw.size([]int32{c.CoordToken(1), c.CoordToken(2), c.CoordToken(3), c.CoordToken(4), c.ClassToken(0), codec.EOS}); got != 1 {
		t.Errorf("size of a one-box sequence: %d", got)
	}
}
