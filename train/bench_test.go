package train

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/backend"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// BenchmarkTrainStep measures the full MLE step (AdamW, clipping, grammar
// mask) at batch 32 on random data. Detection uses pix2seq boxes (32 bins,
// 10 classes, 3 boxes: 45 tokens, 16 positions) on three encoders: with a
// 32-channel convolution stem (--stem-channels 32), the plain ViT (8²
// patches, the task default) and the plain ViT with 16² patches (16 image
// tokens instead of 64, --patch 16) that `make train-detection` trains, at
// batch 16 there. Captioning: 86 words, 14 positions.
func BenchmarkTrainStep(b *testing.B) {
	det, err := codec.NewDetection(32, 10, 3)
	if err != nil {
		b.Fatal(err)
	}
	vit := seq.DetectionConfig(det.VocabSize(), det.SeqLen())
	stem := vit
	stem.StemChannels = 32
	p16 := vit
	p16.PatchSize = 16
	for _, tc := range []struct {
		name string
		cfg  seq.Config
		mask []float32
	}{
		{"detection-stem", stem, det.GrammarMask()},
		{"detection-vit", vit, det.GrammarMask()},
		{"detection-vit-patch16", p16, det.GrammarMask()},
		{"captioning", seq.CaptionConfig(86, 14), nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			be, err := backend.New()
			if err != nil {
				b.Fatal(err)
			}
			m, err := seq.New(be, tc.cfg, seq.Options{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			mask := tc.mask
			if mask == nil {
				mask = make([]float32, tc.cfg.SeqLen*tc.cfg.VocabSize)
			}
			st, err := newStepper(m, 1e-4, 1, mask)
			if err != nil {
				b.Fatal(err)
			}
			defer st.close()
			if err := st.setLR(1e-3); err != nil {
				b.Fatal(err)
			}
			bt := randomBatch(tc.cfg, 32, det, tc.mask != nil)
			if _, _, err := st.run(bt); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := st.run(bt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// randomBatch: random images, and token sequences valid for the model
// (detection-codec boxes when detection, random words otherwise).
func randomBatch(cfg seq.Config, n int, det *codec.Detection, detection bool) *batch {
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, n*cfg.ImageSize*cfg.ImageSize*cfg.Channels)
	for i := range img {
		img[i] = float32(2*rng.Float64() - 1)
	}
	var in, tg []int32
	var w []float32
	for range n {
		var toks []int32
		if detection {
			var boxes []codec.Box
			for range 1 + rng.IntN(det.MaxBoxes) {
				x, y := rng.Float64()*48, rng.Float64()*48
				boxes = append(boxes, codec.Box{XMin: x, YMin: y, XMax: x + 4 + rng.Float64()*12, YMax: y + 4 + rng.Float64()*12, Class: rng.IntN(det.NumClasses)})
			}
			toks, _ = det.Encode(boxes, 64, 64, nil)
		} else {
			for range 2 + rng.IntN(cfg.SeqLen-2) {
				toks = append(toks, int32(codec.NumSpecial+rng.IntN(cfg.VocabSize-codec.NumSpecial)))
			}
			toks = append(toks, codec.EOS)
		}
		a, b, c, _ := codec.TeacherForcing(toks, cfg.SeqLen)
		in, tg, w = append(in, a...), append(tg, b...), append(w, c...)
	}
	return &batch{
		images:  tensors.FromFlatDataAndDimensions(img, n, cfg.ImageSize, cfg.ImageSize, cfg.Channels),
		inputs:  tensors.FromFlatDataAndDimensions(in, n, cfg.SeqLen),
		targets: tensors.FromFlatDataAndDimensions(tg, n, cfg.SeqLen),
		weights: tensors.FromFlatDataAndDimensions(w, n, cfg.SeqLen),
	}
}
