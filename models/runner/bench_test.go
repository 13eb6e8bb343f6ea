package runner_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/export"
	"rewardvision/models/onnx"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// benchEntry exports a randomly initialised default detection model
// (64² input, width 96, 3+2 blocks: 100 bins, 10 classes) whose decoder
// has seqLen positions (41 = 8 boxes) into a temporary repository.
func benchEntry(b *testing.B, maxBoxes int) (*runner.Runner, *seq.Model) {
	b.Helper()
	c, err := codec.NewDetection(100, 10, maxBoxes)
	if err != nil {
		b.Fatal(err)
	}
	cfg := seq.DetectionConfig(c.VocabSize(), c.SeqLen())
	m, err := seq.New(testBackend(b), cfg, seq.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	images := randImages(rand.New(rand.NewPCG(1, 1)), cfg, 1)
	if _, err := m.Logits(images, tensors.FromFlatDataAndDimensions([]int32{codec.BOS}, 1, 1)); err != nil {
		b.Fatal(err) // creates and initialises every variable
	}
	traced, err := export.Trace(m.Context(), export.SeqGraphs(cfg, onnx.Initializers))
	if err != nil {
		b.Fatal(err)
	}
	labels := make([]checkpoint.Label, 10)
	for i := range labels {
		labels[i] = checkpoint.Label{Index: i, CategoryID: i + 1, Name: fmt.Sprint("c", i)}
	}
	meta := &checkpoint.Meta{Task: task.Detection, Variant: task.MLE, Model: cfg,
		Input:     checkpoint.Input{Size: 64, Channels: 3, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}, Letterbox: true, Pad: 0.5},
		Detection: &checkpoint.DetectionCodec{Bins: 100, NumClasses: 10, MaxBoxes: maxBoxes}, Labels: labels}
	dir, err := export.WriteEntry(b.TempDir(), export.NewManifest(meta, "bench", 1, "", ""), traced, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	return openRunner(b, dir), m
}

// BenchmarkDecoderStep times one decoder step at cache length t: with the
// growing cache a step attends over t positions only, so its cost stays
// nearly flat in t (the MLPs and projections of one token dominate),
// where the fixed-size cache of models/seq pays for all SeqLen positions
// at every step.
//
//	go test -run '^$' -bench DecoderStep -benchtime 200x ./models/runner/
func BenchmarkDecoderStep(b *testing.B) {
	r, m := benchEntry(b, 80) // 401 positions, so t can reach 400
	cfg := m.Cfg
	fixed := fixedStep(b, m)
	defer fixed.Destroy()
	for _, batch := range []int{1, 32} {
		images := tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(2, 2)), cfg, batch))
		cross, err := r.Encode(images, batch)
		if err != nil {
			b.Fatal(err)
		}
		tokens := make([]int32, batch)
		for i := range tokens {
			tokens[i] = codec.BOS + 2
		}
		cache, err := r.NewCache(batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range []int{1, 10, 40, 100, 400} {
			for cache.Len < t { // grow the cache to length t
				_, next, err := r.Step(tokens, cross, cache)
				if err != nil {
					b.Fatal(err)
				}
				cache.Close()
				cache = next
			}
			b.Run(fmt.Sprintf("batch=%d/t=%d", batch, t), func(b *testing.B) {
				for b.Loop() {
					_, next, err := r.Step(tokens, cross, cache)
					if err != nil {
						b.Fatal(err)
					}
					next.Close()
				}
			})
		}
		cache.Close()
		// The fixed-size cache costs the same at every t.
		crossData, err := cross.Float32s()
		if err != nil {
			b.Fatal(err)
		}
		cross.Close()
		in := fixedInputs(b, cfg, batch, tokens, crossData)
		for _, t := range []int{1, 400} {
			pos, err := ort.NewScalar(int32(t))
			if err != nil {
				b.Fatal(err)
			}
			in[1] = pos
			b.Run(fmt.Sprintf("batch=%d/t=%d/fixed_cache", batch, t), func(b *testing.B) {
				for b.Loop() {
					out := make([]ort.Value, 1+2*cfg.DecDepth)
					if err := fixed.Run(in, out); err != nil {
						b.Fatal(err)
					}
					for _, o := range out {
						o.Destroy()
					}
				}
			})
			pos.Destroy()
		}
		in[1] = nil
		for _, v := range in {
			if v != nil {
				v.Destroy()
			}
		}
	}
}

// BenchmarkGenerate: one full sampling pass of the default detection
// model (41 tokens, 8 boxes; random weights rarely stop early), the
// REINFORCE rollout of DESIGN.md's table (32 × 51 tokens took 8–14 s in
// simplego with full-prefix recompute).
//
//	go test -run '^$' -bench Generate -benchtime 5x ./models/runner/
func BenchmarkGenerate(b *testing.B) {
	r, m := benchEntry(b, 8)
	cfg := m.Cfg
	for _, batch := range []int{1, 32} {
		images := tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(3, 3)), cfg, batch))
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			steps := 0
			for i := 0; b.Loop(); i++ {
				g, err := r.Generate(images, batch, runner.GenerateOptions{Temperature: 1, Seed: uint64(i)})
				if err != nil {
					b.Fatal(err)
				}
				steps += g.Steps
			}
			b.ReportMetric(float64(steps)/float64(b.N), "steps/pass")
		})
	}
}

// fixedStep exports models/seq's fixed-size-cache DecoderStep (the cache
// always SeqLen long, written by a masked select) for comparison.
func fixedStep(b *testing.B, m *seq.Model) *ort.DynamicAdvancedSession {
	b.Helper()
	cfg := m.Cfg
	f := onnx.Fixed
	batch := onnx.Dynamic("batch")
	spec := onnx.Spec{Name: "fixed_step", Outputs: []string{"logits"},
		Inputs: []onnx.Input{{Name: "token", DType: dtypes.Int32, Dims: []onnx.Dim{batch}}, {Name: "pos", DType: dtypes.Int32}}}
	for i := range 2 * cfg.DecDepth {
		spec.Inputs = append(spec.Inputs, onnx.Input{Name: fmt.Sprint("cross", i), DType: dtypes.Float32,
			Dims: []onnx.Dim{batch, f(cfg.Heads), f(cfg.NumPatches()), f(cfg.HeadDim())}})
	}
	for i := range 2 * cfg.DecDepth {
		spec.Inputs = append(spec.Inputs, onnx.Input{Name: fmt.Sprint("past", i), DType: dtypes.Float32,
			Dims: []onnx.Dim{batch, f(cfg.Heads), f(cfg.SeqLen), f(cfg.HeadDim())}})
		spec.Outputs = append(spec.Outputs, fmt.Sprint("present", i))
	}
	fn := func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		n := 2 * cfg.DecDepth
		var ck, cv, pk, pv []*graph.Node
		for i := 0; i < n; i += 2 {
			ck, cv = append(ck, in[2+i]), append(cv, in[3+i])
			pk, pv = append(pk, in[2+n+i]), append(pv, in[3+n+i])
		}
		logits, presK, presV := seq.DecoderStep(ctx, cfg, in[0], in[1], ck, cv, pk, pv)
		out := []*graph.Node{logits}
		for i := range presK {
			out = append(out, presK[i], presV[i])
		}
		return out
	}
	tm, err := onnx.Trace(m.Context(), spec, fn)
	if err != nil {
		b.Fatal(err)
	}
	data, err := tm.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var ins []string
	for _, in := range spec.Inputs {
		ins = append(ins, in.Name)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		b.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		b.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, ins, spec.Outputs, opts)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// fixedInputs are the fixed-cache step's inputs; in[1] (pos) is left nil.
func fixedInputs(b *testing.B, cfg seq.Config, batch int, tokens []int32, cross [][]float32) []ort.Value {
	b.Helper()
	tok, err := ort.NewTensor(ort.NewShape(int64(batch)), tokens)
	if err != nil {
		b.Fatal(err)
	}
	in := []ort.Value{tok, nil}
	for _, c := range cross {
		v, err := ort.NewTensor(ort.NewShape(int64(batch), int64(cfg.Heads), int64(cfg.NumPatches()), int64(cfg.HeadDim())), c)
		if err != nil {
			b.Fatal(err)
		}
		in = append(in, v)
	}
	for range 2 * cfg.DecDepth {
		v, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), int64(cfg.Heads), int64(cfg.SeqLen), int64(cfg.HeadDim())))
		if err != nil {
			b.Fatal(err)
		}
		in = append(in, v)
	}
	return in
}
