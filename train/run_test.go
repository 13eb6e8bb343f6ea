package train

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLearns trains the tiny detection model and checks the loss drops.
func TestLearns(t *testing.T) {
	cfg := tinyConfig(t, "detection", 40)
	cfg.LR = 5e-3
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, last := mean(res.Losses[:5]), mean(res.Losses[len(res.Losses)-5:])
	t.Logf("loss %.3f → %.3f over %d steps in %s; metrics %v", first, last, res.Steps, time.Since(start).Round(time.Millisecond), res.Metrics)
	if !(last < 0.75*first) {
		t.Errorf("loss %.3f → %.3f: want a drop of at least 25%%", first, last)
	}
}

func mean(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// TestDeterministic: two runs with the same seed take the same steps.
func TestDeterministic(t *testing.T) {
	var runs [2][]float32
	for i := range runs {
		cfg := tinyConfig(t, "captioning", 4)
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = res.Losses
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Errorf("same seed, different losses:\n%v\n%v", runs[0], runs[1])
	}
	cfg := tinyConfig(t, "captioning", 4)
	cfg.Seed++
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(res.Losses, runs[0]) {
		t.Errorf("seeds %d and %d gave the same losses %v", cfg.Seed-1, cfg.Seed, res.Losses)
	}
}

// TestResumeExact interrupts a run after a checkpoint and resumes it: the
// losses, weights and metrics equal those of the uninterrupted run.
func TestResumeExact(t *testing.T) {
	const steps, stopAt = 6, 3
	full := tinyConfig(t, "detection", steps)
	full.CkptEvery = stopAt
	want, err := Run(context.Background(), full)
	if err != nil {
		t.Fatal(err)
	}

	part := tinyConfig(t, "detection", steps)
	part.CkptEvery = stopAt
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	part.OnStep = func(s StepInfo) {
		if s.Step == stopAt {
			cancel()
		}
	}
	first, err := Run(ctx, part)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "last checkpoint at step 3") {
		t.Errorf("interrupted run: error %q does not name the last checkpoint", err)
	}
	part.OnStep = nil
	if _, err := Run(context.Background(), part); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun without --resume into a folder with checkpoints: err %v, want a hint at --resume", err)
	}
	part.Resume = true
	second, err := Run(context.Background(), part)
	if err != nil {
		t.Fatal(err)
	}
	if second.StartStep != stopAt {
		t.Errorf("resumed at step %d, want %d", second.StartStep, stopAt)
	}
	got := append(append([]float32(nil), first.Losses...), second.Losses...)
	if !slices.Equal(got, want.Losses) {
		t.Errorf("interrupted+resumed losses\n%v\nwant (uninterrupted)\n%v", got, want.Losses)
	}
	if !maps.Equal(second.Metrics, want.Metrics) {
		t.Errorf("metrics after resume %v, want %v", second.Metrics, want.Metrics)
	}
	assertSameWeights(t, full.OutDir, part.OutDir)

	// Resuming a finished run does nothing.
	again, err := Run(context.Background(), part)
	if err != nil || len(again.Losses) != 0 {
		t.Errorf("resume of a finished run: %d steps, err %v; want 0, nil", len(again.Losses), err)
	}
}
