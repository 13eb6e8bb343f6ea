package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/plot"
	"rewardvision/internal/testfix"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
	"rewardvision/serve"
)

// evalFixture is a small detection world (val and train splits) and two
// entries: the shipped MLE detector and the same checkpoint exported as a
// "reward" variant.
type evalFixture struct {
	val, train, reward string
}

var (
	evalFixOnce sync.Once
	evalFix     evalFixture
	evalFixErr  string
)

const shippedDetection = "../../assets/models/detection-mle/1"

func getEvalFixture(t *testing.T) evalFixture {
	t.Helper()
	evalFixOnce.Do(func() {
		root, err := os.MkdirTemp("", "rv-evalrun-")
		if err != nil {
			evalFixErr = err.Error()
			return
		}
		cfg, err := shapes.Preset("detection")
		if err != nil {
			evalFixErr = err.Error()
			return
		}
		val, train := filepath.Join(root, "det", "val"), filepath.Join(root, "det", "train")
		for _, s := range []struct {
			dir, split string
			n          int
			seed       int64
		}{{val, "val", 48, 2}, {train, "train", 60, 1}} {
			if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: s.dir, N: s.n, Seed: s.seed, Split: s.split, Workers: 1}); err != nil {
				evalFixErr = err.Error()
				return
			}
		}
		repoDir := filepath.Join(root, "repo")
		cmd := exec.Command(os.Args[0], "export", "--ckpt", "../../assets/checkpoints/detection-mle", "--repo", repoDir,
			"--name", "detection-x", "--variant", "reward")
		cmd.Env = append(os.Environ(), "RV_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			evalFixErr = "export: " + err.Error() + ": " + string(out)
			return
		}
		evalFix = evalFixture{val: val, train: train, reward: filepath.Join(repoDir, "detection-x")}
	})
	if evalFixErr != "" {
		t.Fatal(evalFixErr)
	}
	return evalFix
}

func evalArgs(f evalFixture, out string, extra ...string) []string {
	args := []string{"eval", "run", "--task", "detection", "--data", f.val, "--model", shippedDetection,
		"--model", f.reward, "--out", out, "--resamples", "200", "--log-format", "json"}
	return append(args, extra...)
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("rewardvision %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameRun checks that two run folders hold the same numbers bit for bit.
func sameRun(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{"metrics.json", "report.md", "report.html", "mle/results.json", "mle/rewards.csv", "reward/results.json", "reward/rewards.csv", "rewards.svg"} {
		if !bytes.Equal(readFile(t, filepath.Join(a, f)), readFile(t, filepath.Join(b, f))) {
			ga, gb := readFile(t, filepath.Join(a, f)), readFile(t, filepath.Join(b, f))
			n := 0
			for n < min(len(ga), len(gb)) && ga[n] == gb[n] {
				n++
			}
			t.Errorf("%s differs between %s and %s at byte %d: %q vs %q", f, a, b, n, ga[max(0, n-40):min(len(ga), n+40)], gb[max(0, n-40):min(len(gb), n+40)])
		}
	}
}

func TestEvalRunShardsMergeEqualSingleRun(t *testing.T) {
	f := getEvalFixture(t)
	tmp := t.TempDir()
	single := filepath.Join(tmp, "single")
	mustRun(t, evalArgs(f, single)...)
	var shards []string
	for i := range 4 {
		dir := filepath.Join(tmp, "shard", string(rune('0'+i)))
		args := evalArgs(f, dir, "--shard", string(rune('0'+i))+"/4")
		if i == 3 {
			// The Indexed Job form: --shards N with $JOB_COMPLETION_INDEX.
			args = evalArgs(f, dir, "--shards", "4")
			if _, stderr, code := runCLI(t, []string{"JOB_COMPLETION_INDEX=3"}, args...); code != 0 {
				t.Fatalf("shard 3: exit %d: %s", code, stderr)
			}
		} else {
			mustRun(t, args...)
		}
		if _, err := os.Stat(filepath.Join(dir, "metrics.json")); err == nil {
			t.Errorf("shard %d wrote metrics.json", i)
		}
		shards = append(shards, dir)
	}
	merged := filepath.Join(tmp, "merged")
	// Out of order on purpose.
	mustRun(t, "eval", "merge", shards[2], shards[0], shards[3], shards[1], "--out", merged, "--resamples", "200")
	sameRun(t, single, merged)

	// A missing shard is an error naming it.
	_, stderr, code := runCLI(t, nil, "eval", "merge", shards[0], shards[1], shards[3], "--out", filepath.Join(tmp, "m2"))
	if code != 1 || !strings.Contains(stderr, "shard 2/4 is missing") {
		t.Errorf("merge without shard 2: exit %d, %s", code, stderr)
	}
}

// countLines counts complete lines of a file (0 when missing).
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte{'\n'})
}

func TestEvalRunResumeAfterKill(t *testing.T) {
	f := getEvalFixture(t)
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	mustRun(t, evalArgs(f, full)...)

	killed := filepath.Join(tmp, "killed")
	cmd := exec.Command(os.Args[0], evalArgs(f, killed, "--concurrency", "1")...)
	cmd.Env = append(os.Environ(), "RV_TEST_MAIN=1", "ONNXRUNTIME_LIB=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outputs := filepath.Join(killed, "reward", "outputs.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for countLines(outputs) < 10 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	done := countLines(outputs)
	if done < 10 || done >= 48 {
		t.Fatalf("killed after %d of 48 images; want a run stopped halfway", done)
	}
	if _, err := os.Stat(filepath.Join(killed, "metrics.json")); err == nil {
		t.Fatal("a killed run left metrics.json")
	}
	// A line cut by the kill: the rerun drops it.
	fh, err := os.OpenFile(outputs, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString(`{"image_id":4`)
	fh.Close()

	_, stderr, code := runCLI(t, nil, evalArgs(f, killed)...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `"msg":"resuming"`) {
		t.Errorf("resume did not say so: %s", stderr)
	}
	sameRun(t, full, killed)
	// Each image once per model.
	for _, m := range []string{"mle", "reward"} {
		if n := countLines(filepath.Join(killed, m, "outputs.jsonl")); n != 48 {
			t.Errorf("%s outputs: %d lines, want 48", m, n)
		}
	}
	// A rerun with other settings in the same folder is refused.
	_, stderr, code = runCLI(t, nil, evalArgs(f, killed, "--limit", "5")...)
	if code != 1 || !strings.Contains(stderr, "describes another run") {
		t.Errorf("rerun with --limit: exit %d: %s", code, stderr)
	}
}

func TestEvalRunBadInput(t *testing.T) {
	f := getEvalFixture(t)
	img := func(dir string, i int) string { return filepath.Join(dir, shapes.ImagesDir, shapes.FileName(i)) }
	tests := []struct {
		name    string
		damage  func(dir string)
		args    []string
		code    int
		want    []string
		skipped int
	}{
		{"missing image", func(d string) { os.Remove(img(d, 7)) }, nil, 1,
			[]string{shapes.FileName(7), "(image id 8)", "no such file"}, 0},
		{"corrupt image", func(d string) { os.WriteFile(img(d, 9), []byte("not a png"), 0o644) }, nil, 1,
			[]string{shapes.FileName(9), "(image id 10)", "decode"}, 0},
		{"skip-bad counts both", func(d string) {
			os.Remove(img(d, 7))
			os.WriteFile(img(d, 9), []byte("not a png"), 0o644)
		}, []string{"--skip-bad"}, 0, []string{"skipping bad image"}, 2},
		{"model of another task", func(string) {}, []string{"--model", "../../assets/models/captioning-mle/1"}, 1,
			[]string{"captioning-mle/1 is a captioning model", "model.json", "--task is detection"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "val")
			copyTree(t, f.val, dir)
			tc.damage(dir)
			out := filepath.Join(t.TempDir(), "run")
			g := f
			g.val = dir
			args := evalArgs(g, out, "--train-ann", filepath.Join(f.train, shapes.InstancesFile))
			args = append(args, tc.args...)
			_, stderr, code := runCLI(t, nil, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			mpath := filepath.Join(out, "metrics.json")
			if tc.code != 0 {
				if _, err := os.Stat(mpath); err == nil {
					t.Error("a failed run wrote metrics.json")
				}
				return
			}
			var m struct {
				Images, Skipped int
			}
			if err := json.Unmarshal(readFile(t, mpath), &m); err != nil {
				t.Fatal(err)
			}
			if m.Skipped != tc.skipped || m.Images != 48-tc.skipped {
				t.Errorf("images %d skipped %d, want %d and %d", m.Images, m.Skipped, 48-tc.skipped, tc.skipped)
			}
		})
	}
}

// jsonShape replaces every value by its JSON type, keeping keys, so a
// golden file pins metrics.json's layout without the model's numbers.
func jsonShape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonShape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{jsonShape(x[0]), len(x)}
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

func TestEvalRunMetricsShapeAndReport(t *testing.T) {
	f := getEvalFixture(t)
	out := filepath.Join(t.TempDir(), "run")
	stdout := mustRun(t, evalArgs(f, out)...)
	checkMetricsShape(t, out, "testdata/eval_run_metrics_shape.golden.json")
	// Markdown: the table rows in order, the same on stdout.
	md := string(readFile(t, filepath.Join(out, "report.md")))
	rows := reportRows(md)
	want := []string{"metric", "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl", "reward"}
	if !slices.Equal(rows[:len(want)], want) {
		t.Errorf("report.md rows %v, want %v first", rows, want)
	}
	if !strings.Contains(stdout, "| AP | ") {
		t.Errorf("stdout lacks the metrics table:\n%s", stdout)
	}
	// The reward histogram also stands alone, linked from the summary.
	hist := readFile(t, filepath.Join(out, "rewards.svg"))
	if err := plot.CheckSVG(hist); err != nil {
		t.Error(err)
	}
	if !bytes.Contains(hist, []byte(">mle<")) || !bytes.Contains(hist, []byte(">reward<")) || !strings.Contains(md, "](rewards.svg)") {
		t.Errorf("rewards.svg lacks a variant's series, or report.md does not link it")
	}
	checkReportInBrowser(t, filepath.Join(out, "report.html"))
}

// copyTree copies a split folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEvalRunThroughServer: `eval run --server` against a running server
// with both variants scores exactly what the in-process run scores.
func TestEvalRunThroughServer(t *testing.T) {
	f := getEvalFixture(t)
	repoDir := t.TempDir()
	copyTree(t, shippedDetection, filepath.Join(repoDir, "detection-mle", "1"))
	copyTree(t, filepath.Join(f.reward, "1"), filepath.Join(repoDir, "detection-x", "1"))
	hs := startRepoServer(t, repoDir)

	local, remote := t.TempDir(), t.TempDir()
	mustRun(t, evalArgs(f, local)...)
	mustRun(t, "eval", "run", "--task", "detection", "--data", f.val, "--server", hs.URL, "--model", "mle", "--model", "reward",
		"--out", remote, "--resamples", "200", "--log-format", "json")
	for _, name := range []string{"mle/rewards.csv", "reward/rewards.csv"} {
		if !bytes.Equal(readFile(t, filepath.Join(local, name)), readFile(t, filepath.Join(remote, name))) {
			t.Errorf("%s differs between the in-process run and the run through the server", name)
		}
	}
	// The API rounds boxes to 0.01 px and scores to 1e-4 and sorts by
	// score: the same detections up to that.
	for _, v := range []string{"mle", "reward"} {
		a, b := sortedDets(t, filepath.Join(local, v, "results.json")), sortedDets(t, filepath.Join(remote, v, "results.json"))
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%s: %d detections in-process, %d through the server", v, len(a), len(b))
		}
		for i := range a {
			same := a[i].ImageID == b[i].ImageID && a[i].CategoryID == b[i].CategoryID && math.Abs(a[i].Score-b[i].Score) <= 5e-5
			for k := range 4 {
				same = same && math.Abs(a[i].BBox[k]-b[i].BBox[k]) <= 0.005
			}
			if !same {
				t.Errorf("%s detection %d: in-process %+v, server %+v", v, i, a[i], b[i])
			}
		}
	}
	sameMetrics(t, local, remote)
	_, stderr, code := runCLI(t, nil, "eval", "run", "--task", "detection", "--data", f.val, "--server", hs.URL, "--model", "nope", "--out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, `no detection model of variant "nope"`) {
		t.Errorf("unknown variant: exit %d, %s", code, stderr)
	}
}

type resultDet struct {
	ImageID    int        `json:"image_id"`
	CategoryID int        `json:"category_id"`
	BBox       [4]float64 `json:"bbox"`
	Score      float64    `json:"score"`
}

// sortedDets reads a COCO results file sorted by image, category, box.
func sortedDets(t *testing.T, path string) []resultDet {
	t.Helper()
	var ds []resultDet
	if err := json.Unmarshal(readFile(t, path), &ds); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ds, func(a, b resultDet) int {
		if a.ImageID != b.ImageID {
			return a.ImageID - b.ImageID
		}
		if a.CategoryID != b.CategoryID {
			return a.CategoryID - b.CategoryID
		}
		for k := range 4 {
			if d := math.Round(a.BBox[k]*100) - math.Round(b.BBox[k]*100); d != 0 {
				return int(d)
			}
		}
		return 0
	})
	return ds
}

// Colorization entries: placeholders from a short pilot until the trained
// models replace them (same layout); the tests assert none of their values.
const (
	colorMLE    = "../../assets/models/colorization-mle/1"
	colorReward = "../../assets/models/colorization-reward/1"
)

// TestEvalRunColorization runs both colorization entries over a small
// split: metrics.json's shape (golden), the report's rows, figure and
// panels, the per-image files, and the usage errors of the task.
func TestEvalRunColorization(t *testing.T) {
	for _, e := range []string{colorMLE, colorReward} {
		if _, err := os.Stat(e); err != nil {
			t.Skipf("no colorization entry at %s", e)
		}
	}
	const n = 12
	cfg, err := shapes.Preset("captioning")
	if err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: val, N: n, Seed: 2, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	stdout := mustRun(t, "eval", "run", "--task", "colorization", "--data", val, "--model", colorMLE, "--model", colorReward,
		"--out", out, "--resamples", "200", "--log-format", "json")

	checkMetricsShape(t, out, "testdata/eval_run_colorization_metrics_shape.golden.json")

	checkDenseReport(t, out, stdout, []string{"metric", "PSNR", "SSIM", "colorfulness", "colorfulness_gt", "similarity", "color-FD", "reward"},
		[]string{"](rewards.svg)", "input (gray) | mle | reward | ground truth](examples.png)", "- `color-FD`: "},
		[]string{`<div class="plot" id="delta"><svg`, `<b>input (gray)</b>`})
	for _, v := range []string{"mle", "reward"} {
		pngs, _ := filepath.Glob(filepath.Join(out, v, "colorized", "*.png"))
		if len(pngs) != n || countLines(filepath.Join(out, v, "outputs.jsonl")) != n ||
			countLines(filepath.Join(out, v, "scores.csv")) != n+1 || countLines(filepath.Join(out, v, "rewards.csv")) != n+1 {
			t.Errorf("%s: %d PNGs and the per-image files of %d lines, want %d images", v, len(pngs), countLines(filepath.Join(out, v, "scores.csv")), n)
		}
	}

	// One model: its examples are the first images, three columns.
	one := filepath.Join(t.TempDir(), "one")
	mustRun(t, "eval", "run", "--task", "colorization", "--data", val, "--model", colorMLE, "--out", one, "--limit", "3", "--log-format", "json")
	md := string(readFile(t, filepath.Join(one, "report.md")))
	if !strings.Contains(md, "![examples: input (gray) | mle | ground truth](examples.png)") || strings.Contains(md, "95% CI") {
		t.Errorf("one model's report.md:\n%s", md)
	}

	// Usage: --help names the task; errors name what is wrong.
	if help := mustRun(t, "eval", "run", "--help"); !strings.Contains(help, "colorization") {
		t.Error("eval run --help does not mention colorization")
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", colorMLE, "--train-ann", filepath.Join(val, "instances.json")}, 2, "the colorization reward uses no training annotations"},
		{[]string{"--model", shippedDetection}, 1, "detection-mle/1 is a detection model"},
	} {
		args := append([]string{"eval", "run", "--task", "colorization", "--data", val, "--out", t.TempDir()}, tc.args...)
		_, stderr, code := runCLI(t, nil, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr)
		}
	}
}

// TestEvalRunColorizationThroughServer: `eval run --server` of both
// colorization variants (POST /v1/colorize, its PNG scored) equals the
// in-process run: the same per-image scores and metrics.
func TestEvalRunColorizationThroughServer(t *testing.T) {
	for _, e := range []string{colorMLE, colorReward} {
		if _, err := os.Stat(e); err != nil {
			t.Skipf("no colorization entry at %s", e)
		}
	}
	cfg, err := shapes.Preset("captioning")
	if err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: val, N: 6, Seed: 3, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	repoDir := t.TempDir()
	copyTree(t, colorMLE, filepath.Join(repoDir, "colorization-mle", "1"))
	copyTree(t, colorReward, filepath.Join(repoDir, "colorization-reward", "1"))
	hs := startRepoServer(t, repoDir)

	local, remote := t.TempDir(), t.TempDir()
	mustRun(t, "eval", "run", "--task", "colorization", "--data", val, "--model", colorMLE, "--model", colorReward,
		"--out", local, "--resamples", "100", "--log-format", "json")
	mustRun(t, "eval", "run", "--task", "colorization", "--data", val, "--server", hs.URL, "--model", "mle", "--model", "reward",
		"--out", remote, "--resamples", "100", "--log-format", "json")
	for _, name := range []string{"mle/scores.csv", "reward/scores.csv", "mle/colorized/4.png"} {
		if !bytes.Equal(readFile(t, filepath.Join(local, name)), readFile(t, filepath.Join(remote, name))) {
			t.Errorf("%s differs between the in-process run and the run through the server", name)
		}
	}
	sameMetrics(t, local, remote)
}

// startRepoServer serves the model repository repoDir in-process for the
// test's duration.
func startRepoServer(t *testing.T, repoDir string) *httptest.Server {
	t.Helper()
	rt, err := ortrun.Load("")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := serve.LoadRegistry(repoDir, rt, ortrun.Device{}, runner.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(reg, serve.Config{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs
}

// checkMetricsShape compares the shape of out/metrics.json (keys and value
// kinds, not values) with a golden file.
func checkMetricsShape(t *testing.T, out, golden string) {
	t.Helper()
	var raw any
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "metrics.json")), &raw); err != nil {
		t.Fatal(err)
	}
	shape, err := json.MarshalIndent(jsonShape(raw), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testfix.Golden(t, golden, append(shape, '\n'), os.Getenv("RV_UPDATE_GOLDEN") == "1")
}

// reportRows are the first cells of report.md's table rows (image rows
// left out), in order.
func reportRows(md string) []string {
	var rows []string
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| image") {
			rows = append(rows, strings.SplitN(l, " |", 2)[0][2:])
		}
	}
	return rows
}

// sameMetrics checks that two runs' metrics.json hold the same two
// variants' metrics and A/B.
func sameMetrics(t *testing.T, local, remote string) {
	t.Helper()
	var a, b struct {
		Variants map[string]map[string]float64 `json:"variants"`
		AB       map[string]json.RawMessage    `json:"ab"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(local, "metrics.json")), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(remote, "metrics.json")), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || len(a.Variants) != 2 {
		t.Errorf("metrics through the server %+v, in-process %+v", b, a)
	}
}

// checkDenseReport checks the report of a two-model dense-task run in out:
// report.md's metric rows start with rows and it holds mdWants, stdout
// has the metrics table, examples.png is 8 rows of input, the two models
// and the ground truth (128 px cells 4 px apart), and report.html has its
// tables, htmlWants and 8 × 4 example panels.
func checkDenseReport(t *testing.T, out, stdout string, rows, mdWants, htmlWants []string) {
	t.Helper()
	md := string(readFile(t, filepath.Join(out, "report.md")))
	if got := reportRows(md); len(got) < len(rows) || !slices.Equal(got[:len(rows)], rows) {
		t.Errorf("report.md rows %v, want %v first", got, rows)
	}
	for _, w := range mdWants {
		if !strings.Contains(md, w) {
			t.Errorf("report.md lacks %q", w)
		}
	}
	if !strings.Contains(stdout, "| "+rows[1]+" | ") {
		t.Errorf("stdout lacks the metrics table:\n%s", stdout)
	}
	f, err := os.Open(filepath.Join(out, "examples.png"))
	if err != nil {
		t.Fatal(err)
	}
	grid, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := grid.Bounds(); b.Dx() != 4*128+5*4 || b.Dy() != 8*128+9*4 {
		t.Errorf("examples.png is %v, want 4 columns and 8 rows of 128 px", b)
	}
	html := string(readFile(t, filepath.Join(out, "report.html")))
	for _, w := range append([]string{`<table id="metrics">`, `<table id="wtl">`, `<table id="definitions">`, `<b>ground truth</b>`, `href="examples.png"`}, htmlWants...) {
		if !strings.Contains(html, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	if got := strings.Count(html, `<svg class="panel"`); got != 8*4 {
		t.Errorf("report.html has %d panels, want 8 examples × 4", got)
	}
}
