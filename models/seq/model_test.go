package seq

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/codec"
)

// TestTeacherForcedMatchesGeneration feeds the generated tokens back as a
// teacher-forced sequence: the training forward pass must give the logits
// the cached decoder step gave while generating.
func TestTeacherForcedMatchesGeneration(t *testing.T) {
	cfg := tinyConfig(13, 9)
	m := newTestModel(t, cfg, 21)
	const batch = 2
	images := randImages(rand.New(rand.NewPCG(3, 3)), cfg, batch)
	gen, err := m.Generate(images, GenerateOptions{Temperature: 1, Seed: 8, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	steps := len(gen.Logits)
	inputs := make([]int32, 0, batch*steps)
	for b := range batch {
		inputs = append(inputs, codec.BOS)
		inputs = append(inputs, gen.Tokens[b][:steps-1]...)
	}
	logits, err := m.Logits(images, tensors.FromFlatDataAndDimensions(inputs, batch, steps))
	if err != nil {
		t.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float32](logits) // [batch, steps, vocab]
	worst := 0.0
	for s := range steps {
		for b := range batch {
			for v := range cfg.VocabSize {
				got := flat[(b*steps+s)*cfg.VocabSize+v]
				worst = max(worst, math.Abs(float64(got-gen.Logits[s][b*cfg.VocabSize+v])))
			}
		}
	}
	if worst > 1e-5 {
		t.Fatalf("teacher-forced logits differ from the decoder step's by %g", worst)
	}
}

// TestMLELossValue recomputes the MLE loss from the model's logits in Go.
func TestMLELossValue(t *testing.T) {
	c, _ := codec.NewDetection(16, 3, 2)
	cfg := tinyConfig(c.VocabSize(), c.SeqLen())
	m := newTestModel(t, cfg, 2)
	batch, _ := overfitData(t, cfg, c, 3, 1)
	logits, err := m.Logits(batch.Images, batch.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	l := tensors.MustCopyFlatData[float32](logits)
	tg := tensors.MustCopyFlatData[int32](batch.Targets)
	w := tensors.MustCopyFlatData[float32](batch.Weights)
	var sum, n float64
	for i := range tg {
		row := l[i*cfg.VocabSize : (i+1)*cfg.VocabSize]
		lse, mx := 0.0, math.Inf(-1)
		for _, v := range row {
			mx = max(mx, float64(v))
		}
		for _, v := range row {
			lse += math.Exp(float64(v) - mx)
		}
		lp := float64(row[tg[i]]) - mx - math.Log(lse)
		sum -= float64(w[i]) * lp
		n += float64(w[i])
	}
	loss, err := m.TrainStep(batch) // returns the loss before its update
	if err != nil {
		t.Fatal(err)
	}
	if want := sum / n; math.Abs(float64(loss)-want) > 1e-5 {
		t.Fatalf("MLE loss %g, recomputed %g", loss, want)
	}
}

// TestReinforceDirection: one REINFORCE step with a positive advantage
// makes a sample more likely; with a negative one, less likely.
func TestReinforceDirection(t *testing.T) {
	c, _ := codec.NewDetection(16, 3, 2)
	cfg := tinyConfig(c.VocabSize(), c.SeqLen())
	mask := c.GrammarMask()
	for _, adv := range []float32{1, -1} {
		m, err := New(testBackend(t), cfg, Options{Seed: 4, LearningRate: 1e-3})
		if err != nil {
			t.Fatal(err)
		}
		images := randImages(rand.New(rand.NewPCG(2, 2)), cfg, 2)
		gen, err := m.Generate(images, GenerateOptions{Temperature: 1, Seed: 3, Mask: mask})
		if err != nil {
			t.Fatal(err)
		}
		var inputs, targets []int32
		var weights []float32
		for b := range 2 {
			seq := codec.UpToEOS(gen.Tokens[b])
			in, tg, w, err := codec.TeacherForcing(seq, cfg.SeqLen)
			if err != nil {
				t.Fatal(err)
			}
			inputs, targets, weights = append(inputs, in...), append(targets, tg...), append(weights, w...)
		}
		bt := Batch{Images: images, Mask: mask,
			Inputs:     tensors.FromFlatDataAndDimensions(inputs, 2, cfg.SeqLen),
			Targets:    tensors.FromFlatDataAndDimensions(targets, 2, cfg.SeqLen),
			Weights:    tensors.FromFlatDataAndDimensions(weights, 2, cfg.SeqLen),
			Advantages: tensors.FromFlatDataAndDimensions([]float32{adv, adv}, 2)}
		seqLogProb := func() float64 {
			lp, err := m.TokenLogProbs(bt.Images, bt.Inputs, bt.Targets, mask)
			if err != nil {
				t.Fatal(err)
			}
			s := 0.0
			for i, v := range tensors.MustCopyFlatData[float32](lp) {
				s += float64(v * weights[i])
			}
			return s
		}
		before := seqLogProb()
		// The sampler's log-probabilities are those of the same distribution.
		genSum := 0.0
		for b := range 2 {
			for s := range codec.UpToEOS(gen.Tokens[b]) {
				genSum += float64(gen.LogProbs[b][s])
			}
		}
		if math.Abs(genSum-before) > 1e-3 {
			t.Fatalf("log-probability of the samples: %g from the sampler, %g from the training graph", genSum, before)
		}
		if _, err := m.TrainStep(bt); err != nil {
			t.Fatal(err)
		}
		after := seqLogProb()
		if adv > 0 && !(after > before) || adv < 0 && !(after < before) {
			t.Fatalf("advantage %g: log p(samples) %g → %g", adv, before, after)
		}
	}
}

func TestModelInputErrors(t *testing.T) {
	cfg := tinyConfig(10, 5)
	m := newTestModel(t, cfg, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	good := randImages(rng, cfg, 2)
	nan := randImages(rng, cfg, 2)
	tensors.MustMutableFlatData(nan, func(f []float32) { f[len(f)-1] = float32(math.NaN()) })
	tok := func(v int32) *tensors.Tensor {
		d := []int32{1, 4, 5, 2, 0, 1, 3, 3, 2, 0}
		d[7] = v
		return tensors.FromFlatDataAndDimensions(d, 2, 5)
	}
	wrongSize := tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8*3), 2, 8, 8, 3)
	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{name: "image size", call: func() error { _, err := m.Encode(wrongSize); return err }, wantErr: "want (Float32)[batch 16 16 3]"},
		{name: "nan pixel", call: func() error { _, err := m.Generate(nan, GenerateOptions{}); return err }, wantErr: "image 1 has a non-finite value"},
		{name: "token range", call: func() error { _, err := m.Logits(good, tok(10)); return err }, wantErr: "sequence 1 position 2: token 10 outside [0, 10)"},
		{name: "negative token", call: func() error { _, err := m.Logits(good, tok(-1)); return err }, wantErr: "token -1"},
		{name: "mask length", call: func() error {
			_, err := m.Generate(good, GenerateOptions{Mask: make([]float32, 7)})
			return err
		}, wantErr: "grammar mask has 7 values"},
		{name: "temperature", call: func() error {
			_, err := m.Generate(good, GenerateOptions{Temperature: math.Inf(1)})
			return err
		}, wantErr: "temperature"},
		{name: "missing weights", call: func() error {
			_, err := m.TrainStep(Batch{Images: good, Inputs: tok(1), Targets: tok(1)})
			return err
		}, wantErr: "weights: missing"},
		{name: "nan advantage", call: func() error {
			w := tensors.FromFlatDataAndDimensions(make([]float32, 10), 2, 5)
			a := tensors.FromFlatDataAndDimensions([]float32{1, float32(math.NaN())}, 2)
			_, err := m.TrainStep(Batch{Images: good, Inputs: tok(1), Targets: tok(1), Weights: w, Advantages: a})
			return err
		}, wantErr: "advantages: element 1"},
		{name: "learning rate", call: func() error { return m.SetLearningRate(-1) }, wantErr: "must be positive"},
	}
	for _, tc := range tests {
		if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
	if err := m.SetLearningRate(1e-4); err != nil {
		t.Fatal(err)
	}
}
