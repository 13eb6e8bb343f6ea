package seq

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend/backendtest"
)

// tinyConfig is a model small enough for fast tests: 16² images in 4²
// patches, width 32.
func tinyConfig(vocab, seqLen int) Config {
	return Config{ImageSize: 16, Channels: 3, PatchSize: 4, Width: 32, EncDepth: 1, DecDepth: 2,
		Heads: 2, MLPRatio: 2, VocabSize: vocab, SeqLen: seqLen}
}

// randImages returns [batch, size, size, channels] float32 values in [-1, 1).
func randImages(rng *rand.Rand, cfg Config, batch int) *tensors.Tensor {
	data := make([]float32, batch*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
}

func newTestModel(t testing.TB, cfg Config, seed int64) *Model {
	t.Helper()
	m, err := New(testBackend(t), cfg, Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testBackend(tb testing.TB) backends.Backend { return backendtest.Shared(tb) }
