package runner_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend/backendtest"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/export"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

var cpu = ortrun.Device{Kind: "cpu"}

func loadORT(tb testing.TB) *ortrun.Runtime {
	tb.Helper()
	rt, err := ortrun.Load("")
	if err != nil {
		tb.Fatalf("ONNX Runtime: %v", err)
	}
	return rt
}

var testInput = checkpoint.Input{Size: 16, Channels: 3, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}, Letterbox: true, Pad: 0.5}

// detectionEntry trains a tiny detection model (16² input, 16 bins, 3
// classes, 3 boxes) for a few steps on one-box targets, exports it into
// a fresh repository and returns the entry directory and the model.
func detectionEntry(tb testing.TB, steps int) (string, *seq.Model) {
	tb.Helper()
	return detectionEntryIn(tb, tb.TempDir(), steps)
}

// detectionEntryIn is detectionEntry writing under root.
func detectionEntryIn(tb testing.TB, root string, steps int) (string, *seq.Model) {
	tb.Helper()
	c, err := codec.NewDetection(16, 3, 3)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := seq.Config{ImageSize: 16, Channels: 3, PatchSize: 4, Width: 32, EncDepth: 1, DecDepth: 2,
		Heads: 2, MLPRatio: 2, VocabSize: c.VocabSize(), SeqLen: c.SeqLen()}
	m, err := seq.New(testBackend(tb), cfg, seq.Options{Seed: 3, LearningRate: 1e-2})
	if err != nil {
		tb.Fatal(err)
	}
	ckpt := filepath.Join(root, "ckpt")
	if err := m.OpenCheckpoints(ckpt, 1); err != nil {
		tb.Fatal(err)
	}
	// Targets with 0, 1 and 2 boxes, so greedy rows end at different steps.
	boxes := [][]codec.Box{nil, {{XMin: 1, YMin: 2, XMax: 9, YMax: 12, Class: 1}},
		{{XMin: 0, YMin: 0, XMax: 5, YMax: 5, Class: 0}, {XMin: 8, YMin: 6, XMax: 15, YMax: 14, Class: 2}}}
	var in, tg []int32
	var w []float32
	for _, bx := range boxes {
		tokens, err := c.Encode(bx, 16, 16, nil)
		if err != nil {
			tb.Fatal(err)
		}
		a, b, cw, err := codec.TeacherForcing(tokens, cfg.SeqLen)
		if err != nil {
			tb.Fatal(err)
		}
		in, tg, w = append(in, a...), append(tg, b...), append(w, cw...)
	}
	n := len(boxes)
	batch := seq.Batch{Images: randImages(rand.New(rand.NewPCG(1, 2)), cfg, n),
		Inputs:  tensors.FromFlatDataAndDimensions(in, n, cfg.SeqLen),
		Targets: tensors.FromFlatDataAndDimensions(tg, n, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(w, n, cfg.SeqLen)}
	for range steps {
		if _, err := m.TrainStep(batch); err != nil {
			tb.Fatal(err)
		}
	}
	if err := m.SaveCheckpoint(); err != nil {
		tb.Fatal(err)
	}
	meta := &checkpoint.Meta{Task: task.Detection, Variant: task.MLE, Model: cfg, Input: testInput,
		Detection: &checkpoint.DetectionCodec{Bins: 16, NumClasses: 3, MaxBoxes: 3},
		Labels:    []checkpoint.Label{{Index: 0, CategoryID: 1, Name: "a"}, {Index: 1, CategoryID: 2, Name: "b"}, {Index: 2, CategoryID: 3, Name: "c"}},
		Prov:      checkpoint.Provenance{Data: "test", Steps: steps}}
	if err := checkpoint.Save(ckpt, meta); err != nil {
		tb.Fatal(err)
	}
	res, err := export.FromCheckpoint(export.Options{Checkpoint: ckpt, Repo: filepath.Join(root, "repo"), Backend: testBackend(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	return res.Dir, m
}

func openRunner(tb testing.TB, dir string) *runner.Runner {
	tb.Helper()
	r, err := runner.OpenWith(dir, loadORT(tb), cpu, runner.Options{IntraOpThreads: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// randImages returns [batch, size, size, 3] float32 values in [-2, 2).
func randImages(rng *rand.Rand, cfg seq.Config, batch int) *tensors.Tensor {
	data := make([]float32, batch*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range data {
		data[i] = float32(4*rng.Float64() - 2)
	}
	return tensors.FromFlatDataAndDimensions(data, batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}

// copyDir copies an entry so a test may corrupt it.
func copyDir(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "entry")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func readJSON(tb testing.TB, path string) map[string]any {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func writeJSON(tb testing.TB, path string, m map[string]any) {
	tb.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// The 40-step trained entry is shared by the tests that need a model whose
// greedy rows end at different steps (training it takes seconds under -race).
var (
	trainedOnce  sync.Once
	trainedRoot  string
	trainedDir   string
	trainedModel *seq.Model
)

func trainedEntry(tb testing.TB) (string, *seq.Model) {
	tb.Helper()
	trainedOnce.Do(func() {
		root, err := os.MkdirTemp("", "runner-test-")
		if err != nil {
			tb.Fatal(err)
		}
		trainedRoot = root
		trainedDir, trainedModel = detectionEntryIn(tb, root, 40)
	})
	if trainedDir == "" {
		tb.Fatal("trained entry unavailable (an earlier test failed to build it)")
	}
	return trainedDir, trainedModel
}

func TestMain(m *testing.M) {
	code := m.Run()
	if trainedRoot != "" {
		os.RemoveAll(trainedRoot)
	}
	os.Exit(code)
}

func testBackend(tb testing.TB) backends.Backend { return backendtest.Shared(tb) }
