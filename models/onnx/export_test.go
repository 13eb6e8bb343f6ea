package onnx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

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
		v.MustSetValue(randTensor(len(v.ScopeAndName()), val.Shape().Dimensions...))
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
