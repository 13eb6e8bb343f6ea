package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/models/backend"
	"rewardvision/models/seq"
)

func TestConfigErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown task", func(c *Config) { c.Task = "segmentation" }, `task "segmentation"`},
		{"no out", func(c *Config) { c.OutDir = "" }, "required"},
		{"zero steps", func(c *Config) { c.Steps = 0 }, "steps 0"},
		{"zero batch", func(c *Config) { c.Batch = 0 }, "batch 0"},
		{"NaN lr", func(c *Config) { c.LR = nanF() }, "learning rate"},
		{"negative decay", func(c *Config) { c.WeightDecay = -1 }, "weight decay"},
		{"NaN clip", func(c *Config) { c.Clip = nanF() }, "clip"},
		{"warmup past steps", func(c *Config) { c.Warmup = 100 }, "warmup"},
		{"negative eval", func(c *Config) { c.EvalEvery = -1 }, "eval-every"},
		{"bad size", func(c *Config) { c.Model.PatchSize = 5 }, "patch_size 5"},
		{"heads not dividing the width", func(c *Config) { c.Model.Heads = 3 }, "model config: heads 3 does not divide width 16"},
		{"out is a file", func(c *Config) { c.OutDir = file }, "create " + file + ": it is a file, not a folder"},
		{"resume nothing", func(c *Config) { c.Resume = true }, "holds no checkpoints to resume"},
		{"resume missing folder", func(c *Config) { c.Resume, c.OutDir = true, c.OutDir+"/missing" }, "missing holds no checkpoints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t, "detection", 2)
			tc.edit(&cfg)
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func nanF() float64 { z := 0.0; return z / z }

// TestMissingAnnotations: a folder without the task's annotations.
func TestMissingAnnotations(t *testing.T) {
	tr, _ := tinyData(t)
	noCaps := copySplit(t, tr)
	if err := os.Remove(filepath.Join(noCaps, "captions.json")); err != nil {
		t.Fatal(err)
	}
	noBoxes := copySplit(t, tr)
	// Instances without annotations (the images and categories stay).
	data, err := os.ReadFile(filepath.Join(noBoxes, "instances.json"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), `"annotations":[`)
	if i < 0 {
		t.Fatal("instances.json without annotations key")
	}
	stripped := string(data[:i]) + `"annotations":[]}`
	if err := os.WriteFile(filepath.Join(noBoxes, "instances.json"), []byte(stripped), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, task, train, want string
	}{
		{"captioning without captions.json", "captioning", noCaps, "captioning needs reference captions"},
		{"detection without annotations", "detection", noBoxes, "no detection annotations"},
		{"not a split", "detection", t.TempDir(), "not a split folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t, tc.task, 2)
			cfg.TrainDir = tc.train
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// copySplit copies a split's JSON files and links its images folder.
func copySplit(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	for _, f := range []string{"instances.json", "captions.json"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "images"), filepath.Join(out, "images")); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWrongCheckpoint: resuming into a folder trained for another task or
// with another model size fails and names the difference.
func TestWrongCheckpoint(t *testing.T) {
	det := tinyConfig(t, "detection", 1)
	det.Warmup = 0
	if _, err := Run(context.Background(), det); err != nil {
		t.Fatal(err)
	}
	other := tinyConfig(t, "captioning", 1)
	other.Warmup = 0
	other.OutDir, other.Resume = det.OutDir, true
	if _, err := Run(context.Background(), other); err == nil || !strings.Contains(err.Error(), "holds a detection") {
		t.Errorf("captioning into a detection folder: err %v, want it to name the detection checkpoint", err)
	}
	wider := det
	wider.Resume = true
	wider.Steps = 2
	wider.Model.Width = 32
	_, err := Run(context.Background(), wider)
	if err == nil || !strings.Contains(err.Error(), "width 16 (expected 32)") {
		t.Errorf("wider model: err %v, want it to name the width difference", err)
	}
	seed := det
	seed.Resume, seed.Seed = true, 99
	if _, err := Run(context.Background(), seed); err == nil || !strings.Contains(err.Error(), "seed 99 (checkpoint run 7)") {
		t.Errorf("other seed: err %v, want it to name the seeds", err)
	}
	order := det
	order.Resume, order.BoxOrder = true, BoxOrderClass
	if _, err := Run(context.Background(), order); err == nil || !strings.Contains(err.Error(), "box-order class (checkpoint run coords)") {
		t.Errorf("other box order: err %v, want it to name the orders", err)
	}
}

// TestNonFiniteLoss: a NaN loss at step 3 stops the run with an error
// naming the step, and the checkpoint on disk is the last good one.
func TestNonFiniteLoss(t *testing.T) {
	cfg := tinyConfig(t, "detection", 5)
	cfg.CkptEvery = 2
	cfg.lossHook = func(step int, loss float32) float32 {
		if step == 3 {
			return float32(nanF())
		}
		return loss
	}
	res, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err %v, want ErrNonFinite", err)
	}
	for _, s := range []string{"step 3", "last good checkpoint (step 2)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if len(res.Losses) != 2 {
		t.Errorf("%d good losses, want 2", len(res.Losses))
	}
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	m, err := seq.Load(be, cfg.OutDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.GlobalStep(); got != 2 {
		t.Errorf("checkpoint on disk at step %d, want 2", got)
	}
}

// TestAbsurdLearningRate: a real divergence (not an injected NaN) is
// caught the same way.
func TestAbsurdLearningRate(t *testing.T) {
	cfg := tinyConfig(t, "captioning", 30)
	cfg.LR, cfg.Clip, cfg.Warmup = 10, 0, 0
	cfg.WeightDecay = 1
	_, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrNonFinite) {
		t.Skipf("lr 10 did not diverge within 30 steps (err %v); the injected-NaN test covers the path", err)
	}
}
