package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

// The shipped panoptic entries; the tests assert none of their values.
const (
	panopticMLE    = "../../assets/models/panoptic-mle/1"
	panopticReward = "../../assets/models/panoptic-reward/1"
)

// panopticVal generates a small split with panoptic.json and panoptic/,
// after checking the shipped panoptic entries are there.
func panopticVal(t *testing.T, n int, seed int64) string {
	t.Helper()
	for _, e := range []string{panopticMLE, panopticReward} {
		if _, err := os.Stat(e); err != nil {
			t.Fatalf("the shipped panoptic entry: %v", err)
		}
	}
	cfg, err := shapes.Preset("captioning")
	if err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: val, N: n, Seed: seed, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	return val
}

// TestEvalRunPanoptic runs both panoptic entries over a small split:
// metrics.json's shape (golden) and numbers equal to 'eval panoptic' on the
// prediction files written, the report's rows, figure and panels, the
// per-image files, shards merged to the single run's numbers, and the
// usage errors of the task.
func TestEvalRunPanoptic(t *testing.T) {
	const n = 12
	val := panopticVal(t, n, 2)
	args := func(out string, extra ...string) []string {
		return append([]string{"eval", "run", "--task", "panoptic", "--data", val, "--model", panopticMLE, "--model", panopticReward,
			"--out", out, "--resamples", "200", "--log-format", "json"}, extra...)
	}
	out := filepath.Join(t.TempDir(), "run")
	stdout := mustRun(t, args(out)...)
	checkMetricsShape(t, out, "testdata/eval_run_panoptic_metrics_shape.golden.json")

	// The prediction files score the same with eval panoptic (panopticapi's
	// semantics, read from disk).
	var mf struct {
		Variants map[string]map[string]float64 `json:"variants"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &mf); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"mle", "reward"} {
		js := mustRun(t, "eval", "panoptic", "--gt-json", filepath.Join(val, "panoptic.json"), "--pred-json", filepath.Join(out, v, "panoptic.json"), "--json", "--strict")
		var ref map[string]struct{ PQ, SQ, RQ float64 }
		if err := json.Unmarshal([]byte(js), &ref); err != nil {
			t.Fatal(err)
		}
		m := mf.Variants[v]
		for _, c := range []struct {
			row, suffix string
		}{{"All", ""}, {"Things", "_things"}, {"Stuff", "_stuff"}} {
			r := ref[c.row]
			if m["PQ"+c.suffix] != r.PQ || m["SQ"+c.suffix] != r.SQ || m["RQ"+c.suffix] != r.RQ {
				t.Errorf("%s %s: eval run %v, eval panoptic %+v", v, c.row, m, r)
			}
		}
		pngs, _ := filepath.Glob(filepath.Join(out, v, "panoptic", "*.png"))
		if len(pngs) != n || countLines(filepath.Join(out, v, "outputs.jsonl")) != n || countLines(filepath.Join(out, v, "rewards.csv")) != n+1 {
			t.Errorf("%s: %d PNGs and %d rewards.csv lines, want %d images", v, len(pngs), countLines(filepath.Join(out, v, "rewards.csv")), n)
		}
	}

	checkDenseReport(t, out, stdout, []string{"metric", "PQ", "SQ", "RQ", "PQ_things", "SQ_things", "RQ_things", "PQ_stuff", "SQ_stuff", "RQ_stuff", "reward"},
		[]string{"](rewards.svg)", "input | mle | reward | ground truth](examples.png)", "- `PQ_things`: "},
		[]string{`<b>input</b>`, "; TP "})

	// Shards, merged: the single run's numbers and files.
	var shards []string
	for i, s := range []string{"0/2", "1/2"} {
		dir := filepath.Join(t.TempDir(), "shard", string(rune('0'+i)))
		mustRun(t, args(dir, "--shard", s)...)
		shards = append(shards, dir)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	mustRun(t, "eval", "merge", shards[1], shards[0], "--out", merged, "--resamples", "200")
	for _, name := range []string{"metrics.json", "report.md", "mle/panoptic.json", "reward/rewards.csv", "reward/panoptic/5.png", "examples.png"} {
		if !bytes.Equal(readFile(t, filepath.Join(out, name)), readFile(t, filepath.Join(merged, name))) {
			t.Errorf("%s differs between the merged shards and the single run", name)
		}
	}

	// One model: its examples are the first images, three columns.
	one := filepath.Join(t.TempDir(), "one")
	mustRun(t, "eval", "run", "--task", "panoptic", "--data", val, "--model", panopticMLE, "--out", one, "--limit", "3", "--log-format", "json")
	md := string(readFile(t, filepath.Join(one, "report.md")))
	if !strings.Contains(md, "![examples: input | mle | ground truth](examples.png)") || strings.Contains(md, "95% CI") {
		t.Errorf("one model's report.md:\n%s", md)
	}

	// Usage: --help names the task; errors name what is wrong.
	if help := mustRun(t, "eval", "run", "--help"); !strings.Contains(help, "panoptic/ID.png") {
		t.Error("eval run --help does not describe panoptic")
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", panopticMLE, "--train-ann", filepath.Join(val, "panoptic.json")}, 2, "the panoptic reward uses no training annotations"},
		{[]string{"--model", shippedDetection}, 1, "detection-mle/1 is a detection model"},
		{[]string{"--model", panopticMLE, "--task", "segmentation"}, 2, `--task "segmentation": want detection or captioning or colorization or panoptic`},
	} {
		args := append([]string{"eval", "run", "--task", "panoptic", "--data", val, "--out", t.TempDir()}, tc.args...)
		_, stderr, code := runCLI(t, nil, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr)
		}
	}
}

// TestEvalRunPanopticThroughServer: `eval run --server` of both panoptic
// variants (POST /v1/panoptic, its PNG and segments_info kept) equals the
// in-process run: the same maps, prediction files and metrics.
func TestEvalRunPanopticThroughServer(t *testing.T) {
	val := panopticVal(t, 6, 3)
	repoDir := t.TempDir()
	copyTree(t, panopticMLE, filepath.Join(repoDir, "panoptic-mle", "1"))
	copyTree(t, panopticReward, filepath.Join(repoDir, "panoptic-reward", "1"))
	hs := startRepoServer(t, repoDir)

	local, remote := t.TempDir(), t.TempDir()
	mustRun(t, "eval", "run", "--task", "panoptic", "--data", val, "--model", panopticMLE, "--model", panopticReward,
		"--out", local, "--resamples", "100", "--log-format", "json")
	mustRun(t, "eval", "run", "--task", "panoptic", "--data", val, "--server", hs.URL, "--model", "mle", "--model", "reward",
		"--out", remote, "--resamples", "100", "--log-format", "json")
	for _, name := range []string{"mle/panoptic.json", "reward/panoptic.json", "mle/rewards.csv", "reward/rewards.csv", "mle/panoptic/4.png", "examples.png"} {
		if !bytes.Equal(readFile(t, filepath.Join(local, name)), readFile(t, filepath.Join(remote, name))) {
			t.Errorf("%s differs between the in-process run and the run through the server", name)
		}
	}
	sameMetrics(t, local, remote)
	_, stderr, code := runCLI(t, nil, "eval", "run", "--task", "panoptic", "--data", val, "--server", hs.URL, "--model", "nope", "--out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, `no panoptic model of variant "nope"`) {
		t.Errorf("unknown variant: exit %d, %s", code, stderr)
	}
}

// TestEvalRunPanopticRealCOCO: panopticapi's two real COCO val2017 images
// flow through eval run with the synthetic-world models (COCO's 133
// categories, photos of 640 pixels): the run ends, the PNGs are the
// photos' size, and the models score near zero, as expected of shapes
// models on photos. A photo missing from the repository's fixture copy
// (when the shared fixtures are absent) is skipped and counted.
func TestEvalRunPanopticRealCOCO(t *testing.T) {
	panopticVal(t, 1, 1) // the entries are there
	gt := testfix.Path(t, "panoptic/real2/gt.json")
	images := testfix.Dir(t, "coco-det/real2/images")
	out := filepath.Join(t.TempDir(), "run")
	mustRun(t, "eval", "run", "--task", "panoptic", "--ann", gt, "--images", images, "--model", panopticMLE,
		"--out", out, "--skip-bad", "--log-format", "json")
	var m struct {
		Variants map[string]map[string]float64 `json:"variants"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &m); err != nil {
		t.Fatal(err)
	}
	if pq, ok := m.Variants["mle"]["PQ"]; !ok || pq < 0 || pq > 0.1 {
		t.Errorf("PQ %v on real COCO photos, want near 0", m.Variants["mle"])
	}
	pngs, _ := filepath.Glob(filepath.Join(out, "mle", "panoptic", "*.png"))
	if len(pngs) == 0 {
		t.Fatal("no panoptic PNG written")
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 640 || (cfg.Height != 360 && cfg.Height != 427) {
			t.Errorf("%s: %dx%d, %v; want a photo's 640 wide", p, cfg.Width, cfg.Height, err)
		}
	}
}
