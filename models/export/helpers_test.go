package export

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend/backendtest"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/ortrun"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadORT loads the project's ONNX Runtime (make test installs it first).
func loadORT(tb testing.TB) *ortrun.Runtime {
	tb.Helper()
	rt, err := ortrun.Load("")
	if err != nil {
		tb.Fatalf("ONNX Runtime: %v", err)
	}
	return rt
}

var cpu = ortrun.Device{Kind: "cpu"}

// tinyConfig: 16² images in 4² patches, width 32: fast to train and export.
func tinyConfig(vocab, seqLen int, tied bool) seq.Config {
	return seq.Config{ImageSize: 16, Channels: 3, PatchSize: 4, Width: 32, EncDepth: 1, DecDepth: 2,
		Heads: 2, MLPRatio: 2, VocabSize: vocab, SeqLen: seqLen, TiedHead: tied}
}

var testInput = checkpoint.Input{Size: 16, Channels: 3, Mean: [3]float32{0.5, 0.45, 0.4}, Std: [3]float32{0.25, 0.25, 0.3}, Letterbox: true, Pad: 0.5}

// randImages returns [batch, size, size, 3] values in [-2, 2).
func randImages(rng *rand.Rand, cfg seq.Config, batch int) *tensors.Tensor {
	data := make([]float32, batch*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range data {
		data[i] = float32(4*rng.Float64() - 2)
	}
	return tensors.FromFlatDataAndDimensions(data, batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}

// makeBatch lays out one MLE batch: random images, one target sequence each.
func makeBatch(t testing.TB, cfg seq.Config, targets [][]int32) seq.Batch {
	t.Helper()
	n := len(targets)
	var in, tg []int32
	var w []float32
	for _, seqTokens := range targets {
		a, b, c, err := codec.TeacherForcing(seqTokens, cfg.SeqLen)
		if err != nil {
			t.Fatal(err)
		}
		in, tg, w = append(in, a...), append(tg, b...), append(w, c...)
	}
	return seq.Batch{
		Images:  randImages(rand.New(rand.NewPCG(7, 7)), cfg, n),
		Inputs:  tensors.FromFlatDataAndDimensions(in, n, cfg.SeqLen),
		Targets: tensors.FromFlatDataAndDimensions(tg, n, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(w, n, cfg.SeqLen),
	}
}

// trainCheckpoint trains m for steps MLE steps on the given target
// sequences (one per image, random images) and saves a checkpoint in dir.
func trainCheckpoint(t testing.TB, m *seq.Model, dir string, targets [][]int32, steps int) {
	t.Helper()
	if err := m.OpenCheckpoints(dir, 1); err != nil {
		t.Fatal(err)
	}
	batch := makeBatch(t, m.Cfg, targets)
	if steps == 0 { // create the variables, untrained
		if _, err := m.Logits(batch.Images, batch.Inputs); err != nil {
			t.Fatal(err)
		}
	}
	for range steps {
		if _, err := m.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SaveCheckpoint(); err != nil {
		t.Fatal(err)
	}
}

// detectionCheckpoint writes a small detection checkpoint (16 bins, 3
// classes, 2 boxes) trained a few steps, with its meta.json.
func detectionCheckpoint(t testing.TB, dir string, steps int) (*checkpoint.Meta, *seq.Model) {
	t.Helper()
	return detectionCheckpointWith(t, dir, steps, 0, false)
}

// stemClassFirstCheckpoint is detectionCheckpoint with a convolution stem
// and the class-first box layout.
func stemClassFirstCheckpoint(t testing.TB, dir string, steps int) (*checkpoint.Meta, *seq.Model) {
	t.Helper()
	return detectionCheckpointWith(t, dir, steps, 4, true)
}

func detectionCheckpointWith(t testing.TB, dir string, steps, stem int, classFirst bool) (*checkpoint.Meta, *seq.Model) {
	t.Helper()
	c, err := codec.NewDetection(16, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	c.ClassFirst = classFirst
	cfg := tinyConfig(c.VocabSize(), c.SeqLen(), false)
	cfg.StemChannels = stem
	m, err := seq.New(testBackend(t), cfg, seq.Options{Seed: 11, LearningRate: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	trainCheckpoint(t, m, dir, detectionTargets(t, c), steps)
	meta := &checkpoint.Meta{
		Task: task.Detection, Variant: task.MLE, Model: cfg, Input: testInput,
		Detection: &checkpoint.DetectionCodec{Bins: 16, NumClasses: 3, MaxBoxes: 2, ClassFirst: classFirst},
		Labels:    []checkpoint.Label{{Index: 0, CategoryID: 1, Name: "circle"}, {Index: 1, CategoryID: 2, Name: "square"}, {Index: 2, CategoryID: 3, Name: "triangle"}},
		Decoding:  checkpoint.Decoding{Temperature: 0, MaxTokens: 0},
		Prov: checkpoint.Provenance{Data: "test data", Seed: 11, Steps: steps, Command: "go test", Commit: "test-commit",
			Metrics: map[string]float64{"val_loss": 1.5}},
	}
	if err := checkpoint.Save(dir, meta); err != nil {
		t.Fatal(err)
	}
	return meta, m
}

// captionCheckpoint writes a small captioning checkpoint with its
// vocabulary and meta.json.
func captionCheckpoint(t testing.TB, dir string, steps int) (*checkpoint.Meta, *seq.Model) {
	t.Helper()
	caps := []string{"a red circle on grass", "two blue squares", "a green triangle near a red circle"}
	v, err := codec.BuildVocab(caps, 1, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.SaveVocab(v, filepath.Join(dir, "words.json")); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(v.VocabSize(), 8, true)
	m, err := seq.New(testBackend(t), cfg, seq.Options{Seed: 12, LearningRate: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	var targets [][]int32
	for _, c := range caps {
		tokens, err := v.Encode(c, cfg.SeqLen)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tokens)
	}
	trainCheckpoint(t, m, dir, targets, steps)
	meta := &checkpoint.Meta{
		Task: task.Captioning, Variant: task.MLE, Model: cfg, Input: testInput, VocabFile: "words.json",
		Decoding: checkpoint.Decoding{MaxTokens: 8},
		Prov:     checkpoint.Provenance{Data: "test captions", Steps: steps, Command: "go test", Commit: "test-commit"},
	}
	if err := checkpoint.Save(dir, meta); err != nil {
		t.Fatal(err)
	}
	return meta, m
}

// detectionTargets are three one-box sequences.
func detectionTargets(t testing.TB, c *codec.Detection) [][]int32 {
	t.Helper()
	var targets [][]int32
	for i := range 3 {
		tokens, err := c.Encode([]codec.Box{{XMin: 1 + float64(i), YMin: 2, XMax: 9, YMax: 12 - float64(i), Class: i % 3}}, 16, 16, nil)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tokens)
	}
	return targets
}

func testBackend(tb testing.TB) backends.Backend { return backendtest.Shared(tb) }
