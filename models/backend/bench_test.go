package backend_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend"
	"rewardvision/models/seq"
)

// BenchmarkTrainStep compares simplego configurations on the default
// detection model's Adam step at batch 32 (0.68 M parameters, 41 tokens),
// reporting steps/s. Run each configuration alone for clean numbers:
//
//	go test -run '^$' -bench 'TrainStep' -benchtime 5x ./models/backend/
func BenchmarkTrainStep(b *testing.B) {
	for _, spec := range []string{"simplego:ops_sequential", "simplego:parallelism=-1", backend.DefaultConfig} {
		b.Run(spec, func(b *testing.B) {
			be, err := backend.NewWithConfig(spec)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Finalize()
			cfg := seq.DetectionConfig(113, 41)
			m, err := seq.New(be, cfg, seq.Options{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			batch := randomBatch(cfg, 32)
			if _, err := m.TrainStep(batch); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := m.TrainStep(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "steps/s")
		})
	}
}

func randomBatch(cfg seq.Config, n int) seq.Batch {
	rng := rand.New(rand.NewPCG(1, 0))
	pix := make([]float32, n*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range pix {
		pix[i] = float32(2*rng.Float64() - 1)
	}
	tokens := make([]int32, n*cfg.SeqLen)
	weights := make([]float32, n*cfg.SeqLen)
	for i := range tokens {
		tokens[i] = int32(3 + rng.IntN(cfg.VocabSize-3))
		weights[i] = 1
	}
	return seq.Batch{
		Images:  tensors.FromFlatDataAndDimensions(pix, n, cfg.ImageSize, cfg.ImageSize, cfg.Channels),
		Inputs:  tensors.FromFlatDataAndDimensions(tokens, n, cfg.SeqLen),
		Targets: tensors.FromFlatDataAndDimensions(append([]int32(nil), tokens...), n, cfg.SeqLen),
		Weights: tensors.FromFlatDataAndDimensions(weights, n, cfg.SeqLen),
	}
}
