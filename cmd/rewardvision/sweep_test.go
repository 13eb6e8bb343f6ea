package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

// sweepCLICases are the cases that scripts/cli-sweep.sh (the bad-input
// sweep of issue 20, re-run) found crashing, losing data or failing
// unclearly, each as its fix wants it.
func sweepCLICases(t *testing.T) []cliCase {
	t.Helper()
	dir := t.TempDir()
	at := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	write := func(path string, data []byte) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg, err := shapes.Preset("detection")
	if err != nil {
		t.Fatal(err)
	}
	split := at("split")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: split, N: 2, Seed: 3, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	garbage := write(at("garbage.bin"), []byte("\x08\x01\x12\x04ORT?\x00\x00"))
	badSplit := at("bad-split")
	copyTree(t, split, badSplit)
	badAnn := write(filepath.Join(badSplit, "instances.json"), []byte("\x08\x01garbage"))
	log := write(at("log.jsonl"), mustRead(t, "../../assets/checkpoints/detection-mle/log.jsonl"))
	const (
		ckpt  = "../../assets/checkpoints/detection-mle"
		entry = "../../assets/models/detection-mle/1"
	)
	cocoGT, cocoDT := testfix.Path(t, "coco-det/small/gt.json"), testfix.Path(t, "coco-det/small/dets.json")
	img := "../../serve/testdata/images/shapes-det.png"
	evalRun := []string{"eval", "run", "--task", "detection", "--data", split, "--model", entry}
	_, _, _, _, _, _ = garbage, badAnn, log, img, evalRun, badSplit // rows to come
	return []cliCase{
		// crashes: out of memory
		{"sweep: eval coco, a huge --workers is clamped", nil, []string{"eval", "coco", "--gt", cocoGT, "--dt", cocoDT, "--workers", "100000000"}, 0, "Average Precision", ""},
		// unclear messages
		{"sweep: an env value names its variable (global flag)", []string{"RV_LOG_FORMAT=xml"}, []string{"version"}, 2, "", `env RV_LOG_FORMAT: --log-format "xml"`},
		{"sweep: an env value names its variable (command flag)", []string{"RV_WORKERS=-4"}, []string{"data", "check", split}, 2, "", "env RV_WORKERS: data check: --workers"},
		{"sweep: an env value names its variable, not when the flag is given", []string{"RV_WORKERS=1"}, []string{"data", "check", split, "--workers", "-4"}, 2, "", "rewardvision: data check: --workers"},
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
