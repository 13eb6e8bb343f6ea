package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"

	"rewardvision/eval/captions"
	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// loadVars reads the latest checkpoint of dir: variable → flat bytes.
func loadVars(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	c := gctx.New()
	if _, err := checkpoints.Load(c).Dir(dir).Immediate().Done(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for v := range c.IterVariables() {
		if err := v.MustValue().ConstBytes(func(b []byte) { out[v.ScopeAndName()] = slices.Clone(b) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func assertSameWeights(t *testing.T, a, b string) {
	t.Helper()
	va, vb := loadVars(t, a), loadVars(t, b)
	if len(va) != len(vb) {
		t.Errorf("%d variables in %s, %d in %s", len(va), a, len(vb), b)
	}
	for name, x := range va {
		if y, ok := vb[name]; !ok || !slices.Equal(x, y) {
			t.Errorf("variable %s differs between %s and %s", name, a, b)
		}
	}
}

// TestShip: the shipped folder holds the weights without optimizer state,
// loads with seq.Load and checkpoint.Load, and decodes like the training folder.
func TestShip(t *testing.T) {
	cfg := tinyConfig(t, "captioning", 3)
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "captioning-mle")
	meta, err := Ship(cfg.OutDir, to)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Prov.Steps != 3 || meta.Task != task.Captioning || meta.Variant != task.MLE {
		t.Errorf("meta %+v", meta)
	}
	if _, err := checkpoint.Load(to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(to, VocabFile)); err != nil {
		t.Error(err)
	}
	// The run's log ships with its curve, which names the headline metric.
	runLog, err := os.ReadFile(filepath.Join(cfg.OutDir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if shippedLog, err := os.ReadFile(filepath.Join(to, LogFile)); err != nil || !bytes.Equal(shippedLog, runLog) {
		t.Errorf("shipped %s differs from the run's (err %v)", LogFile, err)
	}
	curve, err := os.ReadFile(filepath.Join(to, CurveFile))
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, curve)
	for _, s := range []string{"captioning-mle: 3 logged steps", ">CIDEr-D<", "at step 3: CIDEr-D "} {
		if !bytes.Contains(curve, []byte(s)) {
			t.Errorf("%s lacks %q", CurveFile, s)
		}
	}
	full, shipped := loadVars(t, cfg.OutDir), loadVars(t, to)
	if len(shipped) >= len(full) {
		t.Errorf("shipped %d variables, training folder %d: optimizer state not dropped", len(shipped), len(full))
	}
	for name, b := range shipped {
		if !slices.Equal(b, full[name]) {
			t.Errorf("shipped %s differs from the training checkpoint", name)
		}
	}
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	want := res.Meta.Model
	m, err := seq.Load(be, to, &want)
	if err != nil {
		t.Fatal(err)
	}
	if m.GlobalStep() != 3 {
		t.Errorf("shipped global step %d, want 3", m.GlobalStep())
	}
	orig, err := seq.Load(be, cfg.OutDir, &want)
	if err != nil {
		t.Fatal(err)
	}
	val, err := loadSplit(context.Background(), cfg.ValDir, cfg.Task, want.ImageSize, 1, false, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	images := imagesTensor(val, []int{0, 1, 2})
	g1, err := m.Generate(images, seq.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := orig.Generate(images, seq.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g1.Tokens {
		if !slices.Equal(g1.Tokens[i], g2.Tokens[i]) {
			t.Errorf("image %d: shipped model decodes %v, training checkpoint %v", i, g1.Tokens[i], g2.Tokens[i])
		}
	}
	// Evaluating the shipped folder reproduces the run's last validation.
	// The captions it scored, written as a results file, score the same
	// with `eval captions`' readers.
	resultsPath := filepath.Join(t.TempDir(), "captions.json")
	metrics, err := Evaluate(context.Background(), EvalOptions{Checkpoint: to, Val: cfg.ValDir, N: cfg.EvalN, Results: resultsPath, Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(metrics, res.Metrics) {
		t.Errorf("Evaluate(shipped) = %v, want the run's %v", metrics, res.Metrics)
	}
	preds, err := captions.LoadPreds(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := captions.LoadRefs(filepath.Join(cfg.ValDir, "captions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if scored, err := captions.Evaluate(refs, preds); err != nil || float64(len(preds)) != metrics["images"] || scored.CIDErD != metrics["CIDEr-D"] {
		t.Errorf("results file: %d captions, CIDEr-D %v (err %v); evaluation: %v", len(preds), scored, err, metrics)
	}
	// Results of part of the split would score the rest as missed: refused.
	if _, err := Evaluate(context.Background(), EvalOptions{Checkpoint: to, Val: cfg.ValDir, N: 2, Results: resultsPath, Logger: cfg.Logger}); err == nil || !strings.Contains(err.Error(), "only 2 of the") {
		t.Errorf("results of 2 images: err %v, want a refusal", err)
	}
	if _, err := Evaluate(context.Background(), EvalOptions{Checkpoint: to, Val: t.TempDir(), Logger: cfg.Logger}); err == nil {
		t.Error("Evaluate on a folder without a split: no error")
	}
	// Shipping again replaces the checkpoint instead of adding one.
	if _, err := Ship(cfg.OutDir, to); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(to, "checkpoint-*.json"))
	if len(files) != 1 {
		t.Errorf("%d checkpoints after shipping twice, want 1", len(files))
	}
	// A malformed log stops shipping before anything is written, naming
	// the line; without a log the shipped log and curve go.
	logPath := filepath.Join(cfg.OutDir, LogFile)
	if err := os.WriteFile(logPath, append(slices.Clone(runLog), "{oops\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ship(cfg.OutDir, to); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d:", logPath, 4)) {
		t.Errorf("shipping with a malformed log: err %v, want one naming %s:4", err, logPath)
	}
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	if _, err := Ship(cfg.OutDir, to); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{LogFile, CurveFile} {
		if _, err := os.Stat(filepath.Join(to, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still shipped from a run without a log (%v)", f, err)
		}
	}
	if _, err := Ship(t.TempDir(), to); err == nil {
		t.Error("shipping from an empty folder: no error")
	}
}

// TestShipLosesNothing: ship refuses its source and training runs as the
// destination, keeps the destination's other files, and a failure midway
// leaves the old shipped folder byte for byte as it was, with no temporary
// folder behind.
func TestShipLosesNothing(t *testing.T) {
	cfg := tinyConfig(t, "captioning", 2)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	before := dirBytes(t, cfg.OutDir)
	other := tinyConfig(t, "captioning", 2)
	if _, err := Run(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ to, want string }{
		{cfg.OutDir, "the source folder"},
		{cfg.OutDir + "/.", "the source folder"},
		{other.OutDir, "holds a training run"},
	} {
		if _, err := Ship(cfg.OutDir, tc.to); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ship to %s: err %v, want %q", tc.to, err, tc.want)
		}
	}
	if after := dirBytes(t, cfg.OutDir); !maps.EqualFunc(before, after, bytes.Equal) {
		t.Error("a refused ship changed the training run")
	}

	parent := t.TempDir()
	to := filepath.Join(parent, "shipped")
	if _, err := Ship(cfg.OutDir, to); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "README.md"), []byte("# notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ship(cfg.OutDir, to); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(to, "README.md")); err != nil || string(b) != "# notes\n" {
		t.Errorf("README after reshipping: %q, %v", b, err)
	}
	shipped := dirBytes(t, to)
	// The source's vocabulary vanishes: shipping fails after the weights
	// were written, and the old folder must be intact.
	if err := os.Rename(filepath.Join(cfg.OutDir, VocabFile), filepath.Join(cfg.OutDir, "vocab.moved")); err != nil {
		t.Fatal(err)
	}
	if _, err := Ship(cfg.OutDir, to); err == nil {
		t.Fatal("ship without the vocabulary: no error")
	}
	if after := dirBytes(t, to); !maps.EqualFunc(shipped, after, bytes.Equal) {
		t.Errorf("a failed ship changed %s: %d files before, %d after", to, len(shipped), len(after))
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries in %s after a failed ship, want only the shipped folder", len(entries), parent)
	}
}

// dirBytes maps each file of dir to its contents.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}
