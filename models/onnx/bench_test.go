package onnx_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/onnx"
)

// Benchmarks: sessions run with one intra-op thread (the machines are
// shared), so the figures compare forms, not peak throughput.

func blockSpec(name string, dot onnx.DotMode, weights onnx.WeightsMode, width int) onnx.Spec {
	return onnx.Spec{
		Name:      name,
		Inputs:    []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(width)}}},
		Outputs:   []string{"y"},
		Dot:       dot,
		WeightsAs: weights,
	}
}

// stack is 4 transformer blocks: ~0.8 M parameters at width 128, the size
// of the models trained here.
func stack(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x := in
	for i := range 4 {
		x = transformerBlock(ctx.In(fmt.Sprintf("block_%d", i)), x)
	}
	return x
}

func BenchmarkExport(b *testing.B) {
	ctx := context.New()
	runGo(b, ctx, stack, randTensor(1, 1, 4, 128))
	spec := blockSpec("stack", onnx.DotMatMul, onnx.Initializers, 128)
	b.ResetTimer()
	for b.Loop() {
		m, err := onnx.Trace(ctx, spec, stack)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkORTRun runs the exported 4-block stack at batch 8, 16 tokens.
func BenchmarkORTRun(b *testing.B) {
	ctx := context.New()
	runGo(b, ctx, stack, randTensor(1, 1, 4, 128))
	x := randTensor(2, 8, 16, 128)
	for _, mode := range []struct {
		name string
		dot  onnx.DotMode
	}{{"matmul", onnx.DotMatMul}, {"einsum", onnx.DotEinsum}} {
		b.Run(mode.name, func(b *testing.B) {
			m, err := onnx.Trace(ctx, blockSpec("stack", mode.dot, onnx.Initializers, 128), stack)
			if err != nil {
				b.Fatal(err)
			}
			s := session(b, m)
			defer s.Destroy()
			in := []ort.Value{toORT(b, x)}
			defer destroyAll(in)
			b.ResetTimer()
			for b.Loop() {
				out := make([]ort.Value, 1)
				if err := s.Run(in, out); err != nil {
					b.Fatal(err)
				}
				destroyAll(out)
			}
		})
	}
}

// BenchmarkDotForms compares ONNX Runtime on the two DotGeneral forms:
// a dense layer [B,T,D]·[D,F] and attention scores [B,H,T,d]·[B,H,S,d].
func BenchmarkDotForms(b *testing.B) {
	dense := func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		w := ctx.VariableWithShape("w", shapes.Make(dtypes.Float32, 256, 1024)).ValueGraph(in[0].Graph())
		return []*graph.Node{graph.Einsum("btd,df->btf", in[0], w)}
	}
	scores := func(_ *context.Context, in []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Einsum("bhqd,bhkd->bhqk", in[0], in[1])}
	}
	forms := []struct {
		name   string
		fn     onnx.GraphFn
		inputs []onnx.Input
		feed   []*tensors.Tensor
	}{
		{"dense_8x64x256_by_256x1024", dense,
			[]onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(256)}}},
			[]*tensors.Tensor{randTensor(1, 8, 64, 256)}},
		{"attention_8x8x64x64", scores,
			[]onnx.Input{{Name: "q", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(8), seq, onnx.Fixed(64)}},
				{Name: "k", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(8), seq, onnx.Fixed(64)}}},
			[]*tensors.Tensor{randTensor(1, 8, 8, 64, 64), randTensor(2, 8, 8, 64, 64)}},
	}
	for _, f := range forms {
		ctx := context.New()
		runGo(b, ctx, f.fn, f.feed...)
		for _, mode := range []struct {
			name string
			dot  onnx.DotMode
		}{{"matmul", onnx.DotMatMul}, {"einsum", onnx.DotEinsum}} {
			b.Run(f.name+"/"+mode.name, func(b *testing.B) {
				m, err := onnx.Trace(ctx, onnx.Spec{Name: f.name, Inputs: f.inputs, Outputs: []string{"y"}, Dot: mode.dot}, f.fn)
				if err != nil {
					b.Fatal(err)
				}
				s := session(b, m)
				defer s.Destroy()
				in := make([]ort.Value, len(f.feed))
				for i, t := range f.feed {
					in[i] = toORT(b, t)
				}
				defer destroyAll(in)
				b.ResetTimer()
				for b.Loop() {
					out := make([]ort.Value, 1)
					if err := s.Run(in, out); err != nil {
						b.Fatal(err)
					}
					destroyAll(out)
				}
			})
		}
	}
}

// BenchmarkWeightRefresh: the cost of running with new weights, per
// refresh, for the 4-block stack (batch 8, 16 tokens): feeding weight
// tensors to a weights-as-inputs session, versus re-serialising the
// initializers and opening a new session.
func BenchmarkWeightRefresh(b *testing.B) {
	ctx := context.New()
	runGo(b, ctx, stack, randTensor(1, 1, 4, 128))
	x := randTensor(2, 8, 16, 128)

	b.Run("weights_as_inputs", func(b *testing.B) {
		m, err := onnx.Trace(ctx, blockSpec("stack", onnx.DotMatMul, onnx.Inputs, 128), stack)
		if err != nil {
			b.Fatal(err)
		}
		s := session(b, m)
		defer s.Destroy()
		xv := toORT(b, x)
		defer xv.Destroy()
		b.ResetTimer()
		for b.Loop() {
			if err := m.UpdateWeights(); err != nil {
				b.Fatal(err)
			}
			in := []ort.Value{xv}
			for _, w := range m.WeightValues() {
				in = append(in, toORT(b, w))
			}
			out := make([]ort.Value, 1)
			if err := s.Run(in, out); err != nil {
				b.Fatal(err)
			}
			destroyAll(out)
			destroyAll(in[1:])
		}
	})
	b.Run("weights_as_inputs_no_refresh", func(b *testing.B) {
		// Baseline: the same session and weights, already converted.
		m, err := onnx.Trace(ctx, blockSpec("stack", onnx.DotMatMul, onnx.Inputs, 128), stack)
		if err != nil {
			b.Fatal(err)
		}
		s := session(b, m)
		defer s.Destroy()
		in := []ort.Value{toORT(b, x)}
		for _, w := range m.WeightValues() {
			in = append(in, toORT(b, w))
		}
		defer destroyAll(in)
		b.ResetTimer()
		for b.Loop() {
			out := make([]ort.Value, 1)
			if err := s.Run(in, out); err != nil {
				b.Fatal(err)
			}
			destroyAll(out)
		}
	})
	b.Run("reserialise_new_session", func(b *testing.B) {
		m, err := onnx.Trace(ctx, blockSpec("stack", onnx.DotMatMul, onnx.Initializers, 128), stack)
		if err != nil {
			b.Fatal(err)
		}
		loadORT(b)
		xv := toORT(b, x)
		defer xv.Destroy()
		b.ResetTimer()
		for b.Loop() {
			if err := m.UpdateWeights(); err != nil {
				b.Fatal(err)
			}
			data, err := m.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			s := sessionFromBytes(b, m, data)
			out := make([]ort.Value, 1)
			if err := s.Run([]ort.Value{xv}, out); err != nil {
				b.Fatal(err)
			}
			destroyAll(out)
			_ = s.Destroy()
		}
	})
}
