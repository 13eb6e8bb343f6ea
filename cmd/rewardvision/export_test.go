package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/internal/cli"
	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/export"
	"rewardvision/models/repo"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// exportTestCheckpoint writes a tiny detection checkpoint (one training
// step) with its meta.json.
func exportTestCheckpoint(t *testing.T) string {
	t.Helper()
	c, err := codec.NewDetection(16, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := seq.Config{ImageSize: 16, Channels: 3, PatchSize: 4, Width: 16, EncDepth: 1, DecDepth: 1,
		Heads: 2, MLPRatio: 2, VocabSize: c.VocabSize(), SeqLen: c.SeqLen()}
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	m, err := seq.New(be, cfg, seq.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.OpenCheckpoints(dir, 1); err != nil {
		t.Fatal(err)
	}
	tokens, _ := c.Encode([]codec.Box{{XMin: 2, YMin: 2, XMax: 10, YMax: 9, Class: 1}}, 16, 16, nil)
	in, tg, w, err := codec.TeacherForcing(tokens, cfg.SeqLen)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	img := make([]float32, 16*16*3)
	for i := range img {
		img[i] = float32(rng.Float64())
	}
	if _, err := m.TrainStep(seq.Batch{Images: tensors.FromFlatDataAndDimensions(img, 1, 16, 16, 3),
		Inputs: tensors.FromFlatDataAndDimensions(in, 1, cfg.SeqLen), Targets: tensors.FromFlatDataAndDimensions(tg, 1, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(w, 1, cfg.SeqLen)}); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveCheckpoint(); err != nil {
		t.Fatal(err)
	}
	meta := &checkpoint.Meta{Task: task.Detection, Variant: task.MLE, Model: cfg,
		Input:     checkpoint.Input{Size: 16, Channels: 3, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}, Letterbox: true, Pad: 128.0 / 255},
		Detection: &checkpoint.DetectionCodec{Bins: 16, NumClasses: 3, MaxBoxes: 2},
		Labels:    []checkpoint.Label{{Index: 0, CategoryID: 1, Name: "circle"}, {Index: 1, CategoryID: 2, Name: "square"}, {Index: 2, CategoryID: 3, Name: "star"}},
		Decoding:  checkpoint.Decoding{MaxTokens: cfg.SeqLen}, Prov: checkpoint.Provenance{Data: "test", Steps: 1}}
	if err := checkpoint.Save(dir, meta); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runExport(args ...string) (string, error) {
	var out bytes.Buffer
	err := exportCommand(&out).Run(context.Background(), args)
	return out.String(), err
}

func TestExportVerifyCommand(t *testing.T) {
	ckpt := exportTestCheckpoint(t)
	repoDir := t.TempDir()
	out, err := runExport("--ckpt", ckpt, "--repo", repoDir, "--verify", "--verify-images", "3", "--threads", "1")
	if err != nil {
		t.Fatalf("export --verify: %v\n%s", err, out)
	}
	entry := filepath.Join(repoDir, "detection-mle", "1")
	for _, want := range []string{
		"exported detection mle (detection-mle, ", " to " + entry + ": decoder_step.onnx ", "encoder.onnx ",
		"verify: 3 images, ", "greedy tokens agree: yes", "  image 2: ", "verify: OK\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if m := regexp.MustCompile(`max \|logit diff\| ([0-9.e+-]+) `).FindStringSubmatch(out); m == nil {
		t.Errorf("no logit difference printed:\n%s", out)
	}
	if _, _, err := repo.Load(entry); err != nil {
		t.Errorf("written entry: %v", err)
	}

	// The same entry again: refused (exit 1) with a hint; --force replaces it.
	_, err = runExport("--ckpt", ckpt, "--repo", repoDir)
	if err == nil || !strings.Contains(err.Error(), "already exists (use --force") || cli.ExitCode(err) != cli.ExitFailure {
		t.Errorf("second export: %v", err)
	}
	out, err = runExport("--ckpt", ckpt, "--repo", repoDir, "--force", "--variant", "reward", "--name", "det", "--version", "2")
	if err != nil || !strings.Contains(out, "exported detection reward (det, ") {
		t.Errorf("export --variant reward: %v\n%s", err, out)
	}
	out, err = runExport("--ckpt", ckpt, "--repo", repoDir, "--force")
	if err != nil || !strings.Contains(out, "exported detection mle") {
		t.Errorf("export --force: %v\n%s", err, out)
	}
}

func TestExportCommandErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no flags", nil, true, "--ckpt and --repo are required"},
		{"argument", []string{"--ckpt", "a", "--repo", "b", "extra"}, true, "takes no arguments"},
		{"version", []string{"--ckpt", "a", "--repo", "b", "--version", "0"}, true, "--version 0"},
		{"variant", []string{"--ckpt", "a", "--repo", "b", "--variant", "rl"}, true, `--variant "rl"`},
		{"name", []string{"--ckpt", "a", "--repo", "b", "--name", "x/y"}, true, `--name "x/y"`},
		{"images", []string{"--ckpt", "a", "--repo", "b", "--verify-images", "0"}, true, "--verify-images 0"},
		{"unknown flag", []string{"--bogus"}, true, "bogus"},
		{"no checkpoint", []string{"--ckpt", empty, "--repo", t.TempDir()}, false, "meta.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runExport(tc.args...)
			var ue *cli.UsageError
			if err == nil || errors.As(err, &ue) != tc.usage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v (usage %v), want one containing %q (usage %v)", err, errors.As(err, &ue), tc.want, tc.usage)
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("failed export wrote %v", entries)
	}
}

// TestPrintVerifyFailure: a mismatch prints both decodings and fails (exit 1).
func TestPrintVerifyFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  export.Report
		want []string
	}{
		{"tokens differ", export.Report{MaxLogitDiff: 2e-6, Steps: 5, Images: []export.ImageCheck{
			{Index: 0, ORTTokens: []int32{5, 2}, GoTokens: []int32{5, 2}, TokensAgree: true, ORTDecoded: "no boxes"},
			{Index: 1, ORTTokens: []int32{4, 2}, GoTokens: []int32{6, 2}, ORTDecoded: `"a"`, GoDecoded: `"b"`}}},
			[]string{"greedy tokens agree: no (images 1)", "image 1: DIFFERENT", "ORT   [4 2] \"a\"", "GoMLX [6 2] \"b\""}},
		{"logits differ", export.Report{MaxLogitDiff: 3e-3, TokensAgree: true, Steps: 5},
			[]string{"max |logit diff| 0.003 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := printVerify(&out, &tc.rep)
			if err == nil || cli.ExitCode(err) != cli.ExitFailure || !strings.Contains(err.Error(), "verify failed") {
				t.Fatalf("err %v, want a failure", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "verify: OK") {
				t.Error("printed OK")
			}
		})
	}
}
