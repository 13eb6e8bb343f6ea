package seq

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend/backendtest"
	"rewardvision/models/codec"
)

// randomBatch makes a training batch of random images and random token
// sequences (full length, all weights 1) for benchmarks.
func randomBatch(cfg Config, batch int, seed uint64) Batch {
	rng := rand.New(rand.NewPCG(seed, 0))
	tokens := make([]int32, batch*cfg.SeqLen)
	weights := make([]float32, batch*cfg.SeqLen)
	for i := range tokens {
		tokens[i] = int32(codec.NumSpecial + rng.IntN(cfg.VocabSize-codec.NumSpecial))
		weights[i] = 1
	}
	return Batch{
		Images:  randImages(rng, cfg, batch),
		Inputs:  tensors.FromFlatDataAndDimensions(tokens, batch, cfg.SeqLen),
		Targets: tensors.FromFlatDataAndDimensions(append([]int32(nil), tokens...), batch, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(weights, batch, cfg.SeqLen),
	}
}

// benchConfigs are the default detection model (100 bins, 10 classes, 8
// boxes: vocab 113, 41 tokens) and captioning model (~150 words, 20 tokens).
var benchConfigs = []struct {
	name string
	cfg  Config
}{
	{name: "detection", cfg: DetectionConfig(113, 41)},
	{name: "caption", cfg: CaptionConfig(154, 20)},
}

// BenchmarkTrainStep: Adam MLE steps at batch 32 for the default configs.
//
//	go test -run '^$' -bench 'TrainStep' -benchtime 10x ./models/seq/
func BenchmarkTrainStep(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) { BenchTrainStep(b, testBackend(b), bc.cfg, 32) })
	}
}

// BenchTrainStep times TrainStep of cfg at the given batch size on be,
// reporting steps/s, parameters and the process's peak RSS.
func BenchTrainStep(b *testing.B, be backends.Backend, cfg Config, batch int) {
	m, err := New(be, cfg, Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	data := randomBatch(cfg, batch, 1)
	if _, err := m.TrainStep(data); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := m.TrainStep(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "steps/s")
	b.ReportMetric(float64(cfg.ParamCount()), "params")
	b.ReportMetric(backendtest.PeakRSSMiB(), "peakRSS_MiB")
}

// BenchmarkGenerate: one sampling pass (temperature 1, full length, no
// early stop: random weights rarely emit EOS) over 32 images, with the KV
// cache and with whole-prefix recomputation.
func BenchmarkGenerate(b *testing.B) {
	cfg := benchConfigs[0].cfg
	m, err := New(testBackend(b), cfg, Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	images := randImages(rand.New(rand.NewPCG(1, 1)), cfg, 32)
	for _, full := range []bool{false, true} {
		name := "cached"
		if full {
			name = "full_recompute"
		}
		b.Run(name, func(b *testing.B) {
			opts := GenerateOptions{Temperature: 1, FullRecompute: full}
			if _, err := m.Generate(images, opts); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				opts.Seed = uint64(i)
				if _, err := m.Generate(images, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
