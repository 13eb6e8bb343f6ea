package seq

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/codec"
)

// TestDecoderStepDynamicMatchesDecode decodes greedily with the growing
// cache of DecoderStepDynamic and checks, step by step, its logits against
// the fixed-size DecoderStep (via Generate) and the teacher-forced Decode
// over the same tokens, and its greedy tokens against a full-prefix
// recompute.
func TestDecoderStepDynamicMatchesDecode(t *testing.T) {
	cfg := tinyConfig(13, 7)
	m := newTestModel(t, cfg, 5)
	const batch = 3
	images := randImages(rand.New(rand.NewPCG(9, 9)), cfg, batch)
	full, err := m.Generate(images, GenerateOptions{FullRecompute: true, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := m.Generate(images, GenerateOptions{KeepLogits: true})
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
	defer step.Finalize()

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
		args := []any{tensors.FromFlatDataAndDimensions(append([]int32(nil), token...), batch), tensors.FromScalar(int32(pos))}
		for _, c := range cross {
			args = append(args, c)
		}
		for _, p := range past {
			args = append(args, p)
		}
		out, err := step.Exec(args...)
		if err != nil {
			t.Fatalf("step %d: %v", pos, err)
		}
		logits := tensors.MustCopyFlatData[float32](out[0])
		past = out[1:]
		if got := past[0].Shape().Dimensions[2]; got != pos+1 {
			t.Fatalf("step %d: present cache length %d, want %d", pos, got, pos+1)
		}
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
