package seq

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/codec"
)

// TestDecoderStepDynamicMatchesDecode decodes greedily with the growing
// cache of DecoderStepDynamic, every row at the same position with start
// 0 (the unmasked case), and checks, step by step, its logits against
// the fixed-size DecoderStep (via Generate) and the teacher-forced Decode
// over the same tokens, and its greedy tokens against a full-prefix
// recompute.
func TestDecoderStepDynamicMatchesDecode(t *testing.T) {
	const batch = 3
	cfg, m, images, full, cross, step := dynamicStepSetup(t, batch)
	cached, err := m.Generate(images, GenerateOptions{KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}

	token := make([]int32, batch)
	for b := range token {
		token[b] = codec.BOS
	}
	past := make([]*tensors.Tensor, 2*cfg.DecDepth)
	for i := range past {
		past[i] = tensors.FromShape(shapes.Make(CacheShape(cfg, batch).DType, batch, cfg.Heads, 0, cfg.HeadDim()))
	}
	inputs := make([]int32, 0, batch*cfg.SeqLen) // teacher-forced inputs, filled as we go
	steps := len(full.Logits)
	for pos := range steps {
		logits, present := runDynamicStep(t, step, token, slices.Repeat([]int32{int32(pos)}, batch), make([]int32, batch), cross, past)
		past = present
		if d := maxAbsDiff(logits, cached.Logits[pos]); d > 1e-5 {
			t.Errorf("step %d: logits differ from DecoderStep by %g", pos, d)
		}
		if d := maxAbsDiff(logits, full.Logits[pos]); d > 1e-5 {
			t.Errorf("step %d: logits differ from full-prefix Decode by %g", pos, d)
		}
		for b := range batch {
			next := argmax(logits[b*cfg.VocabSize : (b+1)*cfg.VocabSize])
			if next != full.Tokens[b][pos] {
				t.Errorf("step %d image %d: greedy token %d, full recompute %d", pos, b, next, full.Tokens[b][pos])
			}
			token[b] = full.Tokens[b][pos]
		}
	}

	// The teacher-forced training graph over the same inputs.
	for b := range batch {
		inputs = append(inputs, codec.BOS)
		inputs = append(inputs, full.Tokens[b][:steps-1]...)
	}
	tf, err := m.Logits(images, tensors.FromFlatDataAndDimensions(inputs, batch, steps))
	if err != nil {
		t.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float32](tf)
	for pos := range steps {
		row := make([]float32, 0, batch*cfg.VocabSize)
		for b := range batch {
			off := (b*steps + pos) * cfg.VocabSize
			row = append(row, flat[off:off+cfg.VocabSize]...)
		}
		if d := maxAbsDiff(row, full.Logits[pos]); d > 1e-5 {
			t.Errorf("step %d: teacher-forced logits differ by %g", pos, d)
		}
	}
}

// TestDecoderStepDynamicStaggeredRows runs a batch whose rows join at
// different steps, as a continuous batch does: the cache starts with
// random values that belong to no row, and row b's history begins at
// start[b], where it joined; before that its outputs are ignored and what
// it writes into the cache is masked. Each row's logits at its own
// position must be the full-prefix recompute's for that image.
func TestDecoderStepDynamicStaggeredRows(t *testing.T) {
	const batch = 3
	cfg, _, _, full, cross, step := dynamicStepSetup(t, batch)

	const garbage = 2 // cached positions of rows that left
	rng := rand.New(rand.NewPCG(3, 4))
	past := make([]*tensors.Tensor, 2*cfg.DecDepth)
	for i := range past {
		data := make([]float32, batch*cfg.Heads*garbage*cfg.HeadDim())
		for j := range data {
			data[j] = float32(4 * rng.NormFloat64())
		}
		past[i] = tensors.FromFlatDataAndDimensions(data, batch, cfg.Heads, garbage, cfg.HeadDim())
	}
	join := []int{0, 2, 3} // the step at which each row joins
	steps := len(full.Logits)
	checked := 0
	for s := range join[batch-1] + steps {
		token := make([]int32, batch)
		pos := make([]int32, batch)
		start := make([]int32, batch)
		for b := range batch {
			p := s - join[b]
			start[b] = int32(garbage + min(s, join[b])) // before it joins: only its own new key
			token[b] = codec.BOS
			if p > 0 && p-1 < steps {
				token[b] = full.Tokens[b][p-1]
			}
			pos[b] = int32(max(0, min(p, cfg.SeqLen-1)))
		}
		logits, present := runDynamicStep(t, step, token, pos, start, cross, past)
		past = present
		for b := range batch {
			p := s - join[b]
			if p < 0 || p >= steps {
				continue
			}
			row := logits[b*cfg.VocabSize : (b+1)*cfg.VocabSize]
			if d := maxAbsDiff(row, full.Logits[p][b*cfg.VocabSize:(b+1)*cfg.VocabSize]); d > 1e-5 {
				t.Errorf("step %d row %d (position %d, start %d): logits differ from full-prefix Decode by %g", s, b, p, start[b], d)
			}
			checked++
		}
	}
	if checked < batch*3 {
		t.Fatalf("only %d row-steps compared", checked)
	}
}

// runDynamicStep runs one DecoderStepDynamic step and returns the logits
// [batch·vocab] and the present cache.
func runDynamicStep(t *testing.T, step *context.Exec, token, pos, start []int32, cross, past []*tensors.Tensor) ([]float32, []*tensors.Tensor) {
	t.Helper()
	n := len(token)
	args := []any{tensors.FromFlatDataAndDimensions(slices.Clone(token), n),
		tensors.FromFlatDataAndDimensions(slices.Clone(pos), n),
		tensors.FromFlatDataAndDimensions(slices.Clone(start), n)}
	for _, c := range cross {
		args = append(args, c)
	}
	for _, p := range past {
		args = append(args, p)
	}
	out, err := step.Exec(args...)
	if err != nil {
		t.Fatalf("dynamic step (pos %v, start %v): %v", pos, start, err)
	}
	if got, want := out[1].Shape().Dimensions[2], past[0].Shape().Dimensions[2]+1; got != want {
		t.Fatalf("present cache length %d, want %d", got, want)
	}
	return tensors.MustCopyFlatData[float32](out[0]), out[1:]
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

// dynamicStepSetup is the tests' model, batch random images, their
// full-prefix generation (the reference), their encoder outputs and the
// dynamic decoder step; the step is finalized when the test ends.
func dynamicStepSetup(t *testing.T, batch int) (Config, *Model, *tensors.Tensor, *Generation, []*tensors.Tensor, *context.Exec) {
	t.Helper()
	cfg := tinyConfig(13, 7)
	m := newTestModel(t, cfg, 5)
	images := randImages(rand.New(rand.NewPCG(9, 9)), cfg, batch)
	full, err := m.Generate(images, GenerateOptions{FullRecompute: true, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	cross, err := m.Encode(images)
	if err != nil {
		t.Fatal(err)
	}
	step, err := context.NewExec(m.Backend(), m.Context().Checked(false), DecoderStepDynamicGraph(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(step.Finalize)
	return cfg, m, images, full, cross, step
}
