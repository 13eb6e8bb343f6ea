package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/coco"
	"rewardvision/internal/cli"
	"rewardvision/models/checkpoint"
	"rewardvision/models/task"
)

func TestTrainMLEUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no task", []string{"--data", "d", "--out", "o"}, "--task must be one of detection, captioning, colorization, panoptic"},
		{"bad task", []string{"--task", "segmentation", "--data", "d", "--out", "o"}, `got "segmentation"`},
		{"model patch not dividing the image", []string{"--task", "detection", "--data", "d", "--out", "o", "--patch", "7"}, "model config: patch_size 7 does not divide image_size 64"},
		{"no data", []string{"--task", "detection", "--out", "o"}, "are required"},
		{"no out", []string{"--task", "detection", "--data", "d"}, "are required"},
		{"data and train", []string{"--task", "detection", "--data", "d", "--train", "t", "--out", "o"}, "not both"},
		{"argument", []string{"--task", "detection", "--data", "d", "--out", "o", "extra"}, "takes no arguments"},
		{"bad flag", []string{"--task", "detection", "--steps", "many"}, "invalid value"},
		{"zero steps", []string{"--task", "detection", "--data", "d", "--out", "o", "--steps", "0"}, "steps 0: want 1.."},
		{"bad box order", []string{"--task", "detection", "--data", "d", "--out", "o", "--box-order", "diagonal"}, `box order "diagonal"`},
		{"warmup past steps", []string{"--task", "detection", "--data", "d", "--out", "o", "--steps", "10", "--warmup", "20"}, "warmup 20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := trainMLECommand(&bytes.Buffer{}, io.Discard).Run(context.Background(), tc.args)
			var ue *cli.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
	// Invalid values of train reward are usage errors too, found before
	// any data or checkpoint is read.
	for _, args := range [][]string{
		{"--init", "i", "--data", "d", "--out", "o", "--samples", "1"},
		{"--init", "i", "--data", "d", "--out", "o", "--steps", "0"},
		{"--init", "i", "--data", "d", "--out", "o", "--temperature", "0"},
	} {
		err := trainRewardCommand(&bytes.Buffer{}, io.Discard).Run(context.Background(), args)
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("train reward %v: err %v, want a usage error", args, err)
		}
	}
	err := trainShipCommand(&bytes.Buffer{}).Run(context.Background(), []string{"--from", "x"})
	var ue *cli.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("ship without --to: err %v, want a usage error", err)
	}
	for _, args := range [][]string{
		{"--data", "d", "--out", "o"},
		{"--init", "i", "--out", "o"},
		{"--init", "i", "--data", "d", "--train", "t", "--out", "o"},
		{"--init", "i", "--data", "d", "--out", "o", "extra"},
	} {
		err := trainRewardCommand(&bytes.Buffer{}, io.Discard).Run(context.Background(), args)
		if !errors.As(err, &ue) {
			t.Errorf("train reward %q: err %v, want a usage error", args, err)
		}
	}
}

// TestTrainMLEThenShip drives the commands end to end on a tiny split:
// data gen, two training steps of a tiny model, ship.
func TestTrainMLEThenShip(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []struct{ split, n, seed string }{{"train", "8", "1"}, {"val", "4", "2"}} {
		if _, err := runData(t, genCmd, "--out", filepath.Join(dir, "data", s.split), "--n", s.n, "--seed", s.seed,
			"--split", s.split, "--max-objects", "2", "--workers", "1"); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "run")
	var stdout bytes.Buffer
	err := trainMLECommand(&stdout, io.Discard).Run(context.Background(), []string{"--task", "detection", "--data", filepath.Join(dir, "data"),
		"--out", out, "--steps", "2", "--batch", "4", "--warmup", "0", "--eval-n", "4", "--width", "16", "--enc-depth", "1",
		"--dec-depth", "1", "--heads", "2", "--patch", "16", "--workers", "1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"trained detection: steps 0..2", "loss: first ", "AP: ", "AR100: "} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("summary %q lacks %q", stdout.String(), s)
		}
	}
	meta, err := checkpoint.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Model.PatchSize != 16 || meta.Model.Width != 16 {
		t.Errorf("model config %+v, want patch 16 and width 16 as the flags said", meta.Model)
	}
	if meta.Prov.Steps != 2 || !strings.HasPrefix(meta.Prov.Command, "rewardvision train mle --task detection") || meta.Prov.Metrics == nil {
		t.Errorf("provenance %+v", meta.Prov)
	}
	stdout.Reset()
	ship := filepath.Join(dir, "ship")
	if err := trainShipCommand(&stdout).Run(context.Background(), []string{"--from", out, "--to", ship}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "shipped detection mle at step 2 to "+ship+"\n" {
		t.Errorf("ship printed %q", got)
	}
	stdout.Reset()
	results := filepath.Join(dir, "dets.json")
	if err := trainValidateCommand(&stdout).Run(context.Background(), []string{"--ckpt", ship, "--val", filepath.Join(dir, "data", "val"), "--results", results}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "AP50: ") || !strings.Contains(stdout.String(), "step: 2.0000") {
		t.Errorf("train validate printed %q", stdout.String())
	}
	// The file holds every detection scored: boxes per image × images.
	var perImage, images float64
	for _, line := range strings.Split(stdout.String(), "\n") {
		fmt.Sscanf(line, "boxes_per_image: %g", &perImage)
		fmt.Sscanf(line, "images: %g", &images)
	}
	if dets, err := coco.LoadDetections(results); err != nil || images == 0 || math.Abs(float64(len(dets))-perImage*images) > 1e-3 {
		t.Errorf("--results: %d detections (err %v); printed %g boxes per image over %g images", len(dets), err, perImage, images)
	}
	// A results path that cannot be written is an error naming it.
	bad := filepath.Join(results, "dets.json") // under a file
	err = trainValidateCommand(&bytes.Buffer{}).Run(context.Background(), []string{"--ckpt", ship, "--val", filepath.Join(dir, "data", "val"), "--results", bad})
	if err == nil || !strings.Contains(err.Error(), "results") || !strings.Contains(err.Error(), bad) {
		t.Errorf("--results %s: err %v, want an error naming it", bad, err)
	}
	// Reward tuning from the shipped weights: its own steps, the reward
	// variant, the mean reward among the metrics.
	stdout.Reset()
	tuned := filepath.Join(dir, "tuned")
	if err := trainRewardCommand(&stdout, io.Discard).Run(context.Background(), []string{"--init", ship, "--data", filepath.Join(dir, "data"),
		"--out", tuned, "--steps", "2", "--warmup", "0", "--batch", "2", "--samples", "3", "--eval-n", "4", "--workers", "1"}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); !strings.Contains(got, "reward-tuned detection: steps 0..2") || !strings.Contains(got, "reward: ") {
		t.Errorf("train reward printed %q", got)
	}
	if meta, err := checkpoint.Load(tuned); err != nil || meta.Variant != task.Reward || meta.Prov.Init != ship || meta.Prov.Steps != 2 {
		t.Errorf("reward run meta %+v (%v)", meta, err)
	}
	// Same folder again without --resume: refused with a hint.
	err = trainMLECommand(&bytes.Buffer{}, io.Discard).Run(context.Background(), []string{"--task", "detection", "--data", filepath.Join(dir, "data"),
		"--out", out, "--steps", "2", "--warmup", "0"})
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun into %s: err %v, want a --resume hint", out, err)
	}
}

func TestShellJoin(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "10"}, "--steps 10"},
		{[]string{"--data-desc", "data gen --n 5"}, "--data-desc 'data gen --n 5'"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{""}, "''"},
	} {
		if got := shellJoin(tc.args); got != tc.want {
			t.Errorf("shellJoin(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}
