package onnx_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/backend/backendtest"
	"rewardvision/models/onnx"
	"rewardvision/models/ortrun"
)

// simpleGo is the reference backend the exports are checked against: the
// project's default simplego configuration (see models/backend).
func simpleGo(tb testing.TB) backends.Backend { return backendtest.Shared(tb) }

// loadORT loads the project's ONNX Runtime (make ort installs it).
func loadORT(tb testing.TB) {
	tb.Helper()
	if _, err := ortrun.Load(""); err != nil {
		tb.Fatalf("ONNX Runtime: %v", err)
	}
}

// runGo runs fn on simplego with the context's variables (creating and
// initialising them on first use).
func runGo(tb testing.TB, ctx *context.Context, fn onnx.GraphFn, inputs ...*tensors.Tensor) []*tensors.Tensor {
	tb.Helper()
	exec, err := context.NewExec(simpleGo(tb), ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		return fn(ctx, in)
	})
	if err != nil {
		tb.Fatal(err)
	}
	defer exec.Finalize()
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	out, err := exec.Exec(args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// session opens an ORT session on the model's bytes.
func session(tb testing.TB, m *onnx.Model) *ort.DynamicAdvancedSession {
	tb.Helper()
	loadORT(tb)
	data, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return sessionFromBytes(tb, m, data)
}

func sessionFromBytes(tb testing.TB, m *onnx.Model, data []byte) *ort.DynamicAdvancedSession {
	tb.Helper()
	opts, err := ort.NewSessionOptions()
	if err != nil {
		tb.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		tb.Fatal(err)
	}
	var ins, outs []string
	for _, in := range m.Inputs {
		ins = append(ins, in.Name)
	}
	for _, o := range m.Outputs {
		outs = append(outs, o.Name)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, ins, outs, opts)
	if err != nil {
		tb.Fatalf("ORT session: %v", err)
	}
	return s
}

// toORT copies a GoMLX tensor into an ORT tensor.
func toORT(tb testing.TB, t *tensors.Tensor) ort.Value {
	tb.Helper()
	shape := make(ort.Shape, t.Rank())
	for i, d := range t.Shape().Dimensions {
		shape[i] = int64(d)
	}
	var v ort.Value
	var err error
	switch t.DType() {
	case dtypes.Float32:
		v, err = ort.NewTensor(shape, tensors.MustCopyFlatData[float32](t))
	case dtypes.Float64:
		v, err = ort.NewTensor(shape, tensors.MustCopyFlatData[float64](t))
	case dtypes.Int32:
		v, err = ort.NewTensor(shape, tensors.MustCopyFlatData[int32](t))
	case dtypes.Int64:
		v, err = ort.NewTensor(shape, tensors.MustCopyFlatData[int64](t))
	case dtypes.Bool:
		v, err = ort.NewTensor(shape, tensors.MustCopyFlatData[bool](t))
	default:
		tb.Fatalf("toORT: dtype %s", t.DType())
	}
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// result is one output as float64s with its shape.
type result struct {
	shape []int
	data  []float64
}

func fromORT(tb testing.TB, v ort.Value) result {
	tb.Helper()
	var r result
	for _, d := range v.GetShape() {
		r.shape = append(r.shape, int(d))
	}
	switch t := v.(type) {
	case *ort.Tensor[float32]:
		for _, x := range t.GetData() {
			r.data = append(r.data, float64(x))
		}
	case *ort.Tensor[float64]:
		r.data = append(r.data, t.GetData()...)
	case *ort.Tensor[int32]:
		for _, x := range t.GetData() {
			r.data = append(r.data, float64(x))
		}
	case *ort.Tensor[int64]:
		for _, x := range t.GetData() {
			r.data = append(r.data, float64(x))
		}
	case *ort.Tensor[bool]:
		for _, x := range t.GetData() {
			if x {
				r.data = append(r.data, 1)
			} else {
				r.data = append(r.data, 0)
			}
		}
	default:
		tb.Fatalf("fromORT: %T", v)
	}
	return r
}

func fromGo(tb testing.TB, t *tensors.Tensor) result {
	tb.Helper()
	r := result{shape: t.Shape().Dimensions}
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			for _, x := range f {
				r.data = append(r.data, float64(x))
			}
		case []float64:
			r.data = append(r.data, f...)
		case []int32:
			for _, x := range f {
				r.data = append(r.data, float64(x))
			}
		case []int64:
			for _, x := range f {
				r.data = append(r.data, float64(x))
			}
		case []bool:
			for _, x := range f {
				if x {
					r.data = append(r.data, 1)
				} else {
					r.data = append(r.data, 0)
				}
			}
		default:
			tb.Fatalf("fromGo: %T", flat)
		}
	})
	return r
}

// runORT runs the session on the inputs (Spec inputs, then weights if the
// model takes them as inputs).
func runORT(tb testing.TB, s *ort.DynamicAdvancedSession, m *onnx.Model, inputs ...*tensors.Tensor) []result {
	tb.Helper()
	vals := make([]ort.Value, len(inputs))
	for i, t := range inputs {
		vals[i] = toORT(tb, t)
	}
	defer destroyAll(vals)
	outs := make([]ort.Value, len(m.Outputs))
	if err := s.Run(vals, outs); err != nil {
		tb.Fatalf("ORT run: %v", err)
	}
	defer destroyAll(outs)
	res := make([]result, len(outs))
	for i, o := range outs {
		res[i] = fromORT(tb, o)
	}
	return res
}

func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		if v != nil {
			_ = v.Destroy()
		}
	}
}

// maxDiff compares results; shapes must match exactly.
func maxDiff(a, b result) (float64, error) {
	if fmt.Sprint(a.shape) != fmt.Sprint(b.shape) {
		return math.Inf(1), fmt.Errorf("shapes differ: %v vs %v", a.shape, b.shape)
	}
	var m float64
	for i := range a.data {
		d := math.Abs(a.data[i] - b.data[i])
		if math.IsNaN(d) {
			return d, fmt.Errorf("NaN at %d", i)
		}
		m = max(m, d)
	}
	return m, nil
}

// randTensor makes a deterministic pseudo-random float32 tensor in [-1, 1).
func randTensor(seed int, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
	x := uint32(seed*2654435761 + 12345)
	t.MustMutableFlatData(func(flat any) {
		f := flat.([]float32)
		for i := range f {
			x = x*1664525 + 1013904223
			f[i] = float32(x>>8)/float32(1<<24)*2 - 1
		}
	})
	return t
}

// randInts makes a deterministic int32 tensor in [0, n).
func randInts(seed, n int, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Int32, dims...))
	x := uint32(seed*2654435761 + 777)
	t.MustMutableFlatData(func(flat any) {
		f := flat.([]int32)
		for i := range f {
			x = x*1664525 + 1013904223
			f[i] = int32((x >> 8) % uint32(n))
		}
	})
	return t
}

// checkAgainstGo runs fn on simplego and the export on ORT, for each set
// of inputs, and asserts every output agrees within tol.
func checkAgainstGo(t *testing.T, ctx *context.Context, m *onnx.Model, fn onnx.GraphFn, tol float64, cases ...[]*tensors.Tensor) {
	t.Helper()
	s := session(t, m)
	defer s.Destroy()
	for ci, in := range cases {
		want := runGo(t, ctx, fn, in...)
		feed := in
		if m.WeightsAs == onnx.Inputs {
			feed = append(append([]*tensors.Tensor(nil), in...), m.WeightValues()...)
		}
		got := runORT(t, s, m, feed...)
		for i := range want {
			d, err := maxDiff(fromGo(t, want[i]), got[i])
			if err != nil || d > tol {
				t.Errorf("case %d (input shapes %v), output %s: max |diff| = %g (tol %g), %v", ci, shapesOf(in), m.Outputs[i].Name, d, tol, err)
			}
		}
	}
}

func shapesOf(ts []*tensors.Tensor) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Shape().String())
	}
	return out
}
