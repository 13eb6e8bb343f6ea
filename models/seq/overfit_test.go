package seq

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/codec"
)

// overfitData makes n random images with random detection targets (1–2
// boxes each) encoded by a small codec, laid out for teacher forcing.
func overfitData(t testing.TB, cfg Config, c *codec.Detection, n int, seed uint64) (Batch, [][]int32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	images := randImages(rng, cfg, n)
	perImage := make([][]codec.Box, n)
	for i := range n {
		for range 1 + rng.IntN(c.MaxBoxes) {
			x0, y0 := rng.Float64()*12, rng.Float64()*12
			perImage[i] = append(perImage[i], codec.Box{XMin: x0, YMin: y0, XMax: x0 + 1 + rng.Float64()*3, YMax: y0 + 1 + rng.Float64()*3, Class: rng.IntN(c.NumClasses)})
		}
	}
	return detectionBatch(t, cfg, c, images, perImage)
}

// detectionBatch encodes each image's boxes (pixels of cfg.ImageSize² images,
// in the given order) and lays the sequences out for teacher forcing.
func detectionBatch(t testing.TB, cfg Config, c *codec.Detection, images *tensors.Tensor, perImage [][]codec.Box) (Batch, [][]int32) {
	t.Helper()
	var inputs, targets []int32
	var weights []float32
	var seqs [][]int32
	side := float64(cfg.ImageSize)
	for _, boxes := range perImage {
		tokens, err := c.Encode(boxes, side, side, nil)
		if err != nil {
			t.Fatal(err)
		}
		in, tg, w, err := codec.TeacherForcing(tokens, cfg.SeqLen)
		if err != nil {
			t.Fatal(err)
		}
		inputs, targets, weights = append(inputs, in...), append(targets, tg...), append(weights, w...)
		seqs = append(seqs, tokens)
	}
	n := len(perImage)
	return Batch{
		Images:  images,
		Inputs:  tensors.FromFlatDataAndDimensions(inputs, n, cfg.SeqLen),
		Targets: tensors.FromFlatDataAndDimensions(targets, n, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(weights, n, cfg.SeqLen),
	}, seqs
}

// TestOverfitEightExamples trains a tiny model on 8 examples until the
// token loss is near zero, then checks greedy decoding (with the KV cache,
// under the grammar mask) reproduces every target sequence exactly.
func TestOverfitEightExamples(t *testing.T) {
	c, err := codec.NewDetection(16, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(c.VocabSize(), c.SeqLen())
	m, err := New(testBackend(t), cfg, Options{Seed: 1, LearningRate: 3e-3})
	if err != nil {
		t.Fatal(err)
	}
	batch, want := overfitData(t, cfg, c, 8, 9)
	start := time.Now()
	var loss float32
	steps := 0
	for ; steps < 600; steps++ {
		if loss, err = m.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
		if loss < 0.01 {
			break
		}
	}
	t.Logf("loss %.4f after %d steps in %s (%d params)", loss, steps+1, time.Since(start).Round(time.Millisecond), cfg.ParamCount())
	if loss >= 0.01 {
		t.Fatalf("loss %.4f after %d steps, want < 0.01", loss, steps)
	}
	if got := m.GlobalStep(); got != int64(steps+1) {
		t.Errorf("global step %d, want %d", got, steps+1)
	}
	gen, err := m.Generate(batch.Images, GenerateOptions{Mask: c.GrammarMask()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got := codec.UpToEOS(gen.Tokens[i]); !slices.Equal(got, want[i]) {
			t.Errorf("example %d: greedy decode %v, want %v", i, got, want[i])
		}
	}
}
