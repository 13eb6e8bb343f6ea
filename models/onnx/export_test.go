package onnx_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/onnx"
	"rewardvision/models/onnx/onnxpb"
)

const tol = 1e-5

// newCtx returns a context whose variables fn creates and initialises by
// running once on simplego with the example inputs.
func newCtx(t *testing.T, fn onnx.GraphFn, example ...*tensors.Tensor) *context.Context {
	t.Helper()
	ctx := context.New()
	runGo(t, ctx, fn, example...)
	return ctx
}

func trace(t *testing.T, ctx *context.Context, spec onnx.Spec, fn onnx.GraphFn) *onnx.Model {
	t.Helper()
	m, err := onnx.Trace(ctx, spec, fn)
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	return m
}

var (
	batch   = onnx.Dynamic("batch")
	seq     = onnx.Dynamic("seq")
	pastLen = onnx.Dynamic("past_len")
)

func TestTransformerBlockDynamicBatchAndSeq(t *testing.T) {
	ctx := newCtx(t, transformerBlock, randTensor(1, 2, 5, testDim))
	for _, mode := range []onnx.DotMode{onnx.DotMatMul, onnx.DotEinsum} {
		m := trace(t, ctx, onnx.Spec{
			Name:    "block",
			Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}}},
			Outputs: []string{"y"},
			Dot:     mode,
		}, transformerBlock)
		checkAgainstGo(t, ctx, m, transformerBlock, tol,
			[]*tensors.Tensor{randTensor(2, 1, 1, testDim)},
			[]*tensors.Tensor{randTensor(3, 3, 7, testDim)},
			[]*tensors.Tensor{randTensor(4, 8, 4, testDim)},
		)
	}
}

func TestEmbeddingDynamic(t *testing.T) {
	ctx := newCtx(t, embed, randInts(1, testVocab, 2, 3))
	m := trace(t, ctx, onnx.Spec{
		Name:    "embed",
		Inputs:  []onnx.Input{{Name: "tokens", DType: dtypes.Int32, Dims: []onnx.Dim{batch, seq}}},
		Outputs: []string{"embeddings"},
	}, embed)
	checkAgainstGo(t, ctx, m, embed, tol,
		[]*tensors.Tensor{randInts(2, testVocab, 1, 1)},
		[]*tensors.Tensor{randInts(3, testVocab, 4, 9)},
		[]*tensors.Tensor{randInts(4, testVocab, 2, testMaxT)},
	)
}

func TestDecoderStepKVCache(t *testing.T) {
	d := testDim / testHeads
	ctx := newCtx(t, decoderStep, randTensor(1, 2, 1, testDim), randTensor(2, 2, testHeads, 3, d), randTensor(3, 2, testHeads, 3, d))
	m := trace(t, ctx, onnx.Spec{
		Name: "decoder_step",
		Inputs: []onnx.Input{
			{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(1), onnx.Fixed(testDim)}},
			{Name: "past_k", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(testHeads), pastLen, onnx.Fixed(d)}},
			{Name: "past_v", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(testHeads), pastLen, onnx.Fixed(d)}},
		},
		Outputs: []string{"y", "present_k", "present_v"},
	}, decoderStep)
	// The present cache grows by one along a named dynamic axis.
	want := []string{"batch", "2", "past_len_plus_1", "8"}
	for _, o := range m.Outputs[1:] {
		var got []string
		for _, dim := range o.Dims {
			got = append(got, dim.String())
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("output %s dims = %v, want %v", o.Name, got, want)
		}
	}
	var cases [][]*tensors.Tensor
	for i, bl := range [][2]int{{1, 1}, {3, 2}, {2, 6}, {5, 13}} {
		b, l := bl[0], bl[1]
		cases = append(cases, []*tensors.Tensor{randTensor(10+i, b, 1, testDim), randTensor(20+i, b, testHeads, l, d), randTensor(30+i, b, testHeads, l, d)})
	}
	checkAgainstGo(t, ctx, m, decoderStep, tol, cases...)
}

func TestLogSoftmaxArgMaxMean(t *testing.T) {
	tests := []struct {
		name string
		fn   onnx.GraphFn
		dims []onnx.Dim
	}{
		{"log_softmax", logSoftmax, []onnx.Dim{batch, seq, onnx.Fixed(testVocab)}},
		{"argmax", argmaxTokens, []onnx.Dim{batch, onnx.Fixed(testVocab)}},
		{"mean_over_dynamic_axis", meanPool, []onnx.Dim{batch, seq, onnx.Fixed(testDim)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.New()
			m := trace(t, ctx, onnx.Spec{
				Name:    tc.name,
				Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: tc.dims}},
				Outputs: []string{"y"},
			}, tc.fn)
			var cases [][]*tensors.Tensor
			for i, sz := range [][2]int{{1, 1}, {2, 5}, {4, 3}} {
				dims := []int{sz[0]}
				if len(tc.dims) == 3 {
					dims = append(dims, sz[1])
				}
				dims = append(dims, tc.dims[len(tc.dims)-1].Size())
				cases = append(cases, []*tensors.Tensor{randTensor(40+i, dims...)})
			}
			checkAgainstGo(t, ctx, m, tc.fn, tol, cases...)
		})
	}
}

func TestWeightsAsInputsEqualsInitializers(t *testing.T) {
	ctx := newCtx(t, transformerBlock, randTensor(1, 2, 5, testDim))
	spec := onnx.Spec{
		Name:    "block",
		Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}}},
		Outputs: []string{"y"},
	}
	mi := trace(t, ctx, spec, transformerBlock)
	spec.WeightsAs = onnx.Inputs
	mw := trace(t, ctx, spec, transformerBlock)
	if len(mw.Inputs) != 1+len(mw.Weights) || len(mw.Weights) != len(mi.Weights) || len(mi.Inputs) != 1 {
		t.Fatalf("inputs: initializer mode %d, inputs mode %d, weights %d", len(mi.Inputs), len(mw.Inputs), len(mw.Weights))
	}
	for i, w := range mw.Weights {
		if mw.Inputs[1+i].Name != w.Name {
			t.Errorf("input %d = %s, want weight %s", 1+i, mw.Inputs[1+i].Name, w.Name)
		}
		if strings.ContainsAny(w.Name, "/:") || !strings.Contains(w.Variable, "/") {
			t.Errorf("weight name %q (variable %q): want a sanitised scope name", w.Name, w.Variable)
		}
	}
	x := randTensor(7, 3, 6, testDim)
	si, sw := session(t, mi), session(t, mw)
	defer si.Destroy()
	defer sw.Destroy()
	a := runORT(t, si, mi, x)
	b := runORT(t, sw, mw, append([]*tensors.Tensor{x}, mw.WeightValues()...)...)
	if d, err := maxDiff(a[0], b[0]); err != nil || d != 0 {
		t.Errorf("weights-as-inputs differs from initializers: %g %v", d, err)
	}
}

// TestUpdateWeights: after the variables change, UpdateWeights + Marshal
// exports the new values without re-tracing.
func TestUpdateWeights(t *testing.T) {
	ctx := newCtx(t, transformerBlock, randTensor(1, 2, 5, testDim))
	spec := onnx.Spec{
		Name:    "block",
		Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}}},
		Outputs: []string{"y"},
	}
	m := trace(t, ctx, spec, transformerBlock)
	for v := range ctx.IterVariables() {
		val := v.MustValue()
		if err := v.SetValue(randTensor(len(v.ScopeAndName()), val.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.UpdateWeights(); err != nil {
		t.Fatal(err)
	}
	checkAgainstGo(t, ctx, m, transformerBlock, tol, []*tensors.Tensor{randTensor(9, 2, 3, testDim)})
}

func TestModelProto(t *testing.T) {
	ctx := newCtx(t, transformerBlock, randTensor(1, 2, 5, testDim))
	m := trace(t, ctx, onnx.Spec{
		Name:     "block",
		Inputs:   []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}}},
		Outputs:  []string{"y"},
		Metadata: map[string]string{"task": "test"},
	}, transformerBlock)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := onnxpb.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if pb.IRVersion != onnx.IRVersion || len(pb.OpsetImports) != 1 || pb.OpsetImports[0].Version != onnx.Opset {
		t.Errorf("ir_version %d, opsets %+v", pb.IRVersion, pb.OpsetImports)
	}
	if len(pb.Metadata) != 1 || pb.Metadata[0] != (onnxpb.StringStringEntry{Key: "task", Value: "test"}) {
		t.Errorf("metadata %+v", pb.Metadata)
	}
	in := pb.Graph.Inputs[0]
	if in.Name != "x" || in.Shape[0].Param != "batch" || in.Shape[1].Param != "seq" || in.Shape[2].Value != testDim {
		t.Errorf("input value info %+v", in)
	}
	weights := map[string]bool{}
	for _, w := range m.Weights {
		weights[w.Name] = true
	}
	found := 0
	for _, init := range pb.Graph.Initializers {
		if weights[init.Name] {
			found++
		}
	}
	if found != len(m.Weights) {
		t.Errorf("%d of %d weights stored as initializers", found, len(m.Weights))
	}
	counts := m.OpCounts()
	if counts["MatMul"] == 0 || counts["Einsum"] != 0 {
		t.Errorf("op counts %v: want MatMul, no Einsum", counts)
	}
	t.Logf("block: %d nodes %v", m.NumNodes(), counts)
}

func TestWriteFile(t *testing.T) {
	ctx := context.New()
	m := trace(t, ctx, onnx.Spec{
		Name:    "argmax",
		Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(4)}}},
		Outputs: []string{"y"},
	}, argmaxTokens)
	path := t.TempDir() + "/m.onnx"
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteFile(t.TempDir() + "/no/such/dir/m.onnx"); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// errorsAs is errors.As for a pointer-to-pointer target.
func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}

func TestCausalDecoderCrossAttentionTakeAlongAxis(t *testing.T) {
	const n = 6
	ctx := newCtx(t, causalDecoder, randTensor(1, 2, 3, testDim), randTensor(2, 2, n, testDim), randInts(3, testVocab, 2, 3))
	m := trace(t, ctx, onnx.Spec{
		Name: "decoder",
		Inputs: []onnx.Input{
			{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}},
			{Name: "memory", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(n), onnx.Fixed(testDim)}},
			{Name: "next", DType: dtypes.Int32, Dims: []onnx.Dim{batch, seq}},
		},
		Outputs: []string{"last_logits", "logp_onehot", "logp_gather"},
	}, causalDecoder)
	var cases [][]*tensors.Tensor
	for i, bt := range [][2]int{{1, 1}, {2, 5}, {3, 8}} {
		b, tt := bt[0], bt[1]
		cases = append(cases, []*tensors.Tensor{randTensor(50+i, b, tt, testDim), randTensor(60+i, b, n, testDim), randInts(70+i, testVocab, b, tt)})
	}
	checkAgainstGo(t, ctx, m, causalDecoder, tol, cases...)
}

func TestPatchifyDynamicBatch(t *testing.T) {
	ctx := newCtx(t, patchify, randTensor(1, 2, 8, 12, 3))
	m := trace(t, ctx, onnx.Spec{
		Name:    "patchify",
		Inputs:  []onnx.Input{{Name: "image", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(8), onnx.Fixed(12), onnx.Fixed(3)}}},
		Outputs: []string{"patches", "pooled"},
	}, patchify)
	checkAgainstGo(t, ctx, m, patchify, tol, []*tensors.Tensor{randTensor(2, 1, 8, 12, 3)}, []*tensors.Tensor{randTensor(3, 5, 8, 12, 3)})
}

// TestKVCacheIncrementalDecoding decodes token by token with the exported
// step, starting from an empty cache (past_len 0) and feeding each present
// cache back, and checks every step against the full-prefix causal model.
func TestKVCacheIncrementalDecoding(t *testing.T) {
	const b, steps = 2, 5
	d := testDim / testHeads
	x := randTensor(5, b, steps, testDim)
	ctx := newCtx(t, decoderFull, x)
	full := fromGo(t, runGo(t, ctx, decoderFull, x)[0])
	m := trace(t, ctx, onnx.Spec{
		Name: "decoder_step",
		Inputs: []onnx.Input{
			{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(1), onnx.Fixed(testDim)}},
			{Name: "past_k", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(testHeads), pastLen, onnx.Fixed(d)}},
			{Name: "past_v", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(testHeads), pastLen, onnx.Fixed(d)}},
		},
		Outputs: []string{"y", "present_k", "present_v"},
	}, decoderStep)
	s := session(t, m)
	defer s.Destroy()
	xs := fromGo(t, x).data
	pastK, err := ort.NewTensor(ort.NewShape(b, testHeads, 0, int64(d)), []float32{})
	if err != nil {
		t.Fatal(err)
	}
	pastV, err := ort.NewTensor(ort.NewShape(b, testHeads, 0, int64(d)), []float32{})
	if err != nil {
		t.Fatal(err)
	}
	past := []ort.Value{pastK, pastV}
	for step := 0; step < steps; step++ {
		xt := make([]float32, 0, b*testDim)
		for i := 0; i < b; i++ {
			for _, v := range xs[(i*steps+step)*testDim : (i*steps+step+1)*testDim] {
				xt = append(xt, float32(v))
			}
		}
		xv, err := ort.NewTensor(ort.NewShape(b, 1, testDim), xt)
		if err != nil {
			t.Fatal(err)
		}
		outs := make([]ort.Value, 3)
		if err := s.Run([]ort.Value{xv, past[0], past[1]}, outs); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		_ = xv.Destroy()
		destroyAll(past)
		past = outs[1:]
		if got := outs[1].GetShape(); got[2] != int64(step+1) {
			t.Fatalf("step %d: present cache shape %v, want length %d", step, got, step+1)
		}
		y := fromORT(t, outs[0])
		_ = outs[0].Destroy()
		var worst float64
		for i := 0; i < b; i++ {
			for j := 0; j < testDim; j++ {
				worst = max(worst, math.Abs(y.data[i*testDim+j]-full.data[(i*steps+step)*testDim+j]))
			}
		}
		if worst > tol {
			t.Errorf("step %d: max |diff| vs full prefix = %g", step, worst)
		}
	}
	destroyAll(past)
}
