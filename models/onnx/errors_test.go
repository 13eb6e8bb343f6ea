package onnx_test

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/onnx"
)

func xSpec(dims ...onnx.Dim) onnx.Spec {
	return onnx.Spec{
		Name:    "f",
		Inputs:  []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: dims}},
		Outputs: []string{"y"},
	}
}

func one(f func(x *graph.Node) *graph.Node) onnx.GraphFn {
	return func(_ *context.Context, in []*graph.Node) []*graph.Node { return []*graph.Node{f(in[0])} }
}

func TestTraceErrors(t *testing.T) {
	f4 := onnx.Fixed(4)
	tests := []struct {
		name string
		spec onnx.Spec
		fn   onnx.GraphFn
		want []string // substrings of the error
		kind string   // "unsupported", "dynamic" or ""
	}{
		{"unsupported op names the op and the caller", xSpec(batch, f4, f4, onnx.Fixed(1)),
			one(func(x *graph.Node) *graph.Node { return graph.MaxPool(x).Window(2).Done() }),
			[]string{"op ReduceWindow is not supported", "errors_test.go"}, "unsupported"},
		{"unsupported gather form", xSpec(onnx.Fixed(5), f4),
			one(func(x *graph.Node) *graph.Node {
				start := graph.Const(x.Graph(), [][]int32{{1}})
				return graph.GatherSlices(x, []int{0}, start, []int{2}, true)
			}),
			[]string{"op Gather is not supported", "graph.Gather form"}, "unsupported"},
		{"batch size leaks into a constant vector", xSpec(batch, f4),
			one(func(x *graph.Node) *graph.Node {
				c := graph.Const(x.Graph(), []float32{float32(x.Shape().Dim(0)), 1})
				return graph.Mul(x, graph.ReduceAllSum(c))
			}),
			[]string{"depends on a dynamic axis", "batch", "errors_test.go"}, "dynamic"},
		{"constant shaped by the batch", xSpec(batch),
			one(func(x *graph.Node) *graph.Node {
				vals := make([]float32, x.Shape().Dim(0))
				for i := range vals {
					vals[i] = float32(i)
				}
				return graph.Add(x, graph.Const(x.Graph(), vals))
			}),
			[]string{"constant of shape", "values differ"}, "dynamic"},
		{"strided slice of a dynamic axis", xSpec(batch, f4),
			one(func(x *graph.Node) *graph.Node { return graph.Slice(x, graph.AxisRange().Stride(2)) }),
			[]string{"stride 2", "dynamic axis"}, "dynamic"},
		{"odd split of a dynamic axis", xSpec(onnx.Dynamic("pairs"), f4),
			one(func(x *graph.Node) *graph.Node { return graph.Reshape(x, -1, 2*4) }),
			[]string{"export f", "dimension"}, ""},
		{"function panics", xSpec(f4),
			one(func(x *graph.Node) *graph.Node { panic("boom") }),
			[]string{"boom"}, ""},
		{"wrong number of outputs", xSpec(f4),
			func(_ *context.Context, in []*graph.Node) []*graph.Node { return []*graph.Node{in[0], in[0]} },
			[]string{"returned 2 outputs", "names 1"}, ""},
		{"variable without value", xSpec(batch, f4),
			func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.Add(in[0], ctx.VariableWithValue("w", float32(1)).ValueGraph(in[0].Graph()))}
			},
			[]string{"w"}, ""},
		{"bad spec: duplicate names", onnx.Spec{Name: "f", Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32}}, Outputs: []string{"x"}},
			one(func(x *graph.Node) *graph.Node { return x }), []string{`"x" already used`}, ""},
		{"bad spec: no outputs", onnx.Spec{Name: "f"}, one(func(x *graph.Node) *graph.Node { return x }), []string{"no Outputs"}, ""},
		{"bad spec: no name", onnx.Spec{Outputs: []string{"y"}}, one(func(x *graph.Node) *graph.Node { return x }), []string{"empty Name"}, ""},
		{"bad spec: bad identifier", onnx.Spec{Name: "f", Inputs: []onnx.Input{{Name: "a b", DType: dtypes.Float32}}, Outputs: []string{"y"}},
			one(func(x *graph.Node) *graph.Node { return x }), []string{"not a valid identifier"}, ""},
		{"bad spec: sentinel for unknown axis", onnx.Spec{Name: "f", Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch}}},
			Outputs: []string{"y"}, Sentinels: map[string]int{"seq": 10007}},
			one(func(x *graph.Node) *graph.Node { return x }), []string{`"seq"`, "not a dynamic axis"}, ""},
		{"bad spec: small sentinel", onnx.Spec{Name: "f", Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch}}},
			Outputs: []string{"y"}, Sentinels: map[string]int{"batch": 7}},
			one(func(x *graph.Node) *graph.Node { return x }), []string{"out of range"}, ""},
		{"bad spec: unsupported dtype", onnx.Spec{Name: "f", Inputs: []onnx.Input{{Name: "x", DType: dtypes.Complex64}}, Outputs: []string{"y"}},
			one(func(x *graph.Node) *graph.Node { return x }), []string{"dtype"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := onnx.Trace(context.New(), tc.spec, tc.fn)
			if err == nil {
				t.Fatalf("Trace succeeded (%d nodes), want an error", m.NumNodes())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			switch tc.kind {
			case "unsupported":
				if _, ok := errorsAs[*onnx.UnsupportedOpError](err); !ok {
					t.Errorf("error %v is not an UnsupportedOpError", err)
				}
			case "dynamic":
				if _, ok := errorsAs[*onnx.DynamicShapeError](err); !ok {
					t.Errorf("error %v is not a DynamicShapeError", err)
				}
			}
		})
	}
}

func TestTraceNilArgs(t *testing.T) {
	if _, err := onnx.Trace(nil, xSpec(), one(func(x *graph.Node) *graph.Node { return x })); err == nil {
		t.Error("nil context accepted")
	}
	if _, err := onnx.Trace(context.New(), xSpec(), nil); err == nil {
		t.Error("nil function accepted")
	}
}
