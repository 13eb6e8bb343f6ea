package train

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"rewardvision/dataset/shapes"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
)

// TestMain removes the shared tiny dataset after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if dataDir != "" {
		_ = os.RemoveAll(dataDir)
	}
	os.Exit(code)
}

// tinyData generates (once per test binary) a 16-pixel shapes world with
// 32 training and 8 validation images, at most 2 large objects each.
func tinyData(t testing.TB) (trainDir, valDir string) {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = os.MkdirTemp("", "rv-train-test-")
		if dataErr != nil {
			return
		}
		cfg := shapes.DefaultConfig()
		cfg.Size, cfg.MaxObjects, cfg.MinObjectSize, cfg.MaxObjectSize = 16, 2, 0.35, 0.6
		cfg.MinVisiblePixels, cfg.CrowdProb = 4, 0
		dataErr = genSplits(dataDir, cfg, 32, 8)
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return filepath.Join(dataDir, "train"), filepath.Join(dataDir, "val")
}

// genSplits writes a train split of nTrain images (seed 1) and a val split
// of nVal (seed 2) of the world cfg under root.
func genSplits(root string, cfg shapes.Config, nTrain, nVal int) error {
	for _, s := range []struct {
		split string
		n     int
		seed  int64
	}{{"train", nTrain, 1}, {"val", nVal, 2}} {
		opt := shapes.Options{Out: filepath.Join(root, s.split), N: s.n, Seed: s.seed, Split: s.split, Workers: 2}
		if _, err := shapes.Generate(context.Background(), cfg, opt); err != nil {
			return err
		}
	}
	return nil
}

// tinyConfig is a run of a ~10k-parameter model on the tiny data.
func tinyConfig(t testing.TB, taskName string, steps int) Config {
	t.Helper()
	tr, va := tinyData(t)
	return Config{
		Task: taskName, TrainDir: tr, ValDir: va, OutDir: t.TempDir(),
		Steps: steps, Batch: 8, LR: 3e-3, Warmup: 2, WeightDecay: 1e-4, Clip: 1, Seed: 7,
		EvalN: 8, Keep: 2, LogEvery: 1, Workers: 1,
		Model: ModelSize{ImageSize: 16, PatchSize: 4, Width: 16, EncDepth: 1, DecDepth: 1, Heads: 2, MLPRatio: 2},
		Bins:  16, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}
