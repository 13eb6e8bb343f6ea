package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/models/codec"
	"rewardvision/train"
)

// TestTrainVQUsage: through the binary's entry point, a missing or wrong
// flag of `train vq`, and colorization training without its codebook, are
// usage errors (exit 2) that name the flag.
func TestTrainVQUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"vq without --out", []string{"train", "vq", "--data", "d"}, "--out are required"},
		{"vq without --data", []string{"train", "vq", "--out", "o"}, "--data (or --train and --val) and --out are required"},
		{"vq with --train only", []string{"train", "vq", "--train", "t", "--out", "o"}, "are required"},
		{"vq of another task", []string{"train", "vq", "--task", "detection", "--data", "d", "--out", "o"}, `--task must be colorization or panoptic, got "detection"`},
		{"vq with an argument", []string{"train", "vq", "--data", "d", "--out", "o", "extra"}, "takes no arguments"},
		{"vq with --data and --val", []string{"train", "vq", "--data", "d", "--val", "v", "--out", "o"}, "not both"},
		{"vq with a bad number", []string{"train", "vq", "--data", "d", "--out", "o", "--k", "many"}, "invalid value"},
		{"vq with one code", []string{"train", "vq", "--data", "d", "--out", "o", "--k", "1"}, "want k ≥ 2"},
		{"vq with a patch not dividing the image", []string{"train", "vq", "--data", "d", "--out", "o", "--patch", "7"}, "--patch 7, --sub 2"},
		{"mle colorization without --vq", []string{"train", "mle", "--task", "colorization", "--data", "d", "--out", "o"}, "--vq"},
		{"mle detection with --vq", []string{"train", "mle", "--task", "detection", "--vq", "v", "--data", "d", "--out", "o"}, "--vq"},
		{"mle captioning with --vq", []string{"train", "mle", "--task", "captioning", "--vq", "v", "--data", "d", "--out", "o"}, "is for --task colorization"},
		{"mle detection --resume with --vq", []string{"train", "mle", "--task", "detection", "--resume", "--vq", "v", "--data", "d", "--out", "o"}, "is for --task colorization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(append([]string{"--log-format", "text"}, tc.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
			}
		})
	}
	// --resume needs no --vq (the run folder holds the codebook): not a
	// usage error, a failure on the missing data.
	var out, errb bytes.Buffer
	dir := t.TempDir()
	if code := run([]string{"--log-format", "text", "train", "mle", "--task", "colorization", "--resume", "--data", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "run")}, &out, &errb); code != 1 {
		t.Errorf("colorization --resume without --vq: exit %d, stderr %q; want 1", code, errb.String())
	}
}

// TestTrainVQThenMLE drives stage I and stage II through the binary on a
// tiny split: train vq, then two steps of train mle --task colorization.
func TestTrainVQThenMLE(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []struct{ split, n, seed string }{{"train", "4", "1"}, {"val", "2", "2"}} {
		if _, err := runData(t, genCmd, "--out", filepath.Join(dir, "data", s.split), "--n", s.n, "--seed", s.seed,
			"--split", s.split, "--max-objects", "2", "--workers", "1"); err != nil {
			t.Fatal(err)
		}
	}
	vq := filepath.Join(dir, "vq")
	var out, errb bytes.Buffer
	if code := run([]string{"--log-format", "json", "train", "vq", "--data", filepath.Join(dir, "data"), "--out", vq,
		"--k", "16", "--patch", "16", "--sub", "4", "--iters", "3", "--workers", "1"}, &out, &errb); code != 0 {
		t.Fatalf("train vq: exit %d: %s", code, errb.String())
	}
	for _, s := range []string{"codebook of 16 codes on a 4² grid (patch 16, sub 4) from 64 patches of 4 images in " + vq,
		"oracle on 2 validation images: PSNR "} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("train vq stdout %q lacks %q", out.String(), s)
		}
	}
	var meta train.VQMeta
	data, err := os.ReadFile(filepath.Join(vq, train.VQFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil || meta.K != 16 || meta.Iters != 3 || meta.Oracle.Images != 2 ||
		!strings.HasPrefix(meta.Provenance.Command, "rewardvision train vq --data ") {
		t.Errorf("vq.json %+v (err %v)", meta, err)
	}
	if cb, err := codec.LoadChroma(filepath.Join(vq, train.CodebookFile)); err != nil || cb.K() != 16 || cb.Grid() != 4 || cb.Size != 64 {
		t.Errorf("codebook %+v, err %v", cb, err)
	}

	out.Reset()
	errb.Reset()
	runDir := filepath.Join(dir, "run")
	if code := run([]string{"--log-format", "json", "train", "mle", "--task", "colorization", "--vq", vq, "--data", filepath.Join(dir, "data"),
		"--out", runDir, "--steps", "2", "--batch", "2", "--warmup", "0", "--eval-n", "2", "--width", "16", "--enc-depth", "1",
		"--dec-depth", "1", "--heads", "2", "--patch", "16", "--workers", "1"}, &out, &errb); code != 0 {
		t.Fatalf("train mle --task colorization: exit %d: %s", code, errb.String())
	}
	for _, s := range []string{"trained colorization: steps 0..2", "PSNR: ", "SSIM: ", "colorfulness: ", "reward: "} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("summary %q lacks %q", out.String(), s)
		}
	}
	if _, err := codec.LoadChroma(filepath.Join(runDir, train.CodebookFile)); err != nil {
		t.Errorf("the run folder's codebook: %v", err)
	}
}
