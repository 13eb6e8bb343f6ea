package onnx_test

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/onnx"
)

// opsCase is one op (or op form) checked on simplego and ONNX Runtime with
// x [batch, 5, 4] float32 in (-1, 1).
type opsCase struct {
	name string
	f    func(x *graph.Node) *graph.Node
}

func opsCases() []opsCase {
	s := func(x *graph.Node, v float64) *graph.Node { return graph.Scalar(x.Graph(), x.DType(), v) }
	asF := func(b *graph.Node) *graph.Node { return graph.ConvertDType(b, dtypes.Float32) }
	pos := func(x *graph.Node) *graph.Node { return graph.AddScalar(graph.Abs(x), 0.1) }
	return []opsCase{
		{"abs_neg_sign", func(x *graph.Node) *graph.Node {
			return graph.Add(graph.Abs(x), graph.Mul(graph.Neg(x), graph.Sign(x)))
		}},
		{"floor_ceil_round", func(x *graph.Node) *graph.Node {
			y := graph.MulScalar(x, 3.7)
			return graph.Add(graph.Add(graph.Floor(y), graph.Ceil(y)), graph.Round(y))
		}},
		{"trig", func(x *graph.Node) *graph.Node { return graph.Add(graph.Cos(x), graph.Sin(x)) }},
		{"sqrt_rsqrt", func(x *graph.Node) *graph.Node { return graph.Add(graph.Sqrt(pos(x)), graph.Rsqrt(pos(x))) }},
		{"log1p_expm1", func(x *graph.Node) *graph.Node { return graph.Add(graph.Log1p(pos(x)), graph.Expm1(x)) }},
		{"sigmoid_tanh_erf", func(x *graph.Node) *graph.Node {
			return graph.Add(graph.Add(graph.Sigmoid(x), graph.Tanh(x)), graph.Erf(x))
		}},
		{"pow_max_min_rem", func(x *graph.Node) *graph.Node {
			y := graph.Pow(pos(x), s(x, 1.5))
			return graph.Add(graph.Add(y, graph.Max(x, s(x, 0.2))), graph.Add(graph.Min(x, s(x, -0.2)), graph.Mod(graph.MulScalar(x, 5), s(x, 0.7))))
		}},
		{"div_sub", func(x *graph.Node) *graph.Node { return graph.Sub(graph.Div(x, pos(x)), x) }},
		{"clamp_scalar_and_tensor_bounds", func(x *graph.Node) *graph.Node {
			return graph.Add(graph.Clamp(s(x, -0.3), x, s(x, 0.4)), graph.Clamp(graph.MulScalar(graph.Abs(x), -0.5), x, graph.Abs(x)))
		}},
		{"comparisons_logic_where", func(x *graph.Node) *graph.Node {
			a, b := graph.GreaterThan(x, s(x, 0.1)), graph.LessOrEqual(x, s(x, 0.5))
			c, d := graph.LessThan(x, s(x, -0.2)), graph.GreaterOrEqual(x, s(x, -0.6))
			e := graph.NotEqual(graph.Round(graph.MulScalar(x, 2)), s(x, 0))
			l := graph.LogicalXor(graph.LogicalOr(graph.LogicalAnd(a, b), graph.LogicalAnd(c, d)), graph.LogicalNot(e))
			return graph.Add(asF(l), graph.Where(graph.Equal(graph.Round(x), s(x, 0)), x, graph.MulScalar(x, 3)))
		}},
		{"isnan_isfinite", func(x *graph.Node) *graph.Node {
			y := graph.Log(x) // NaN for x < 0, -Inf at 0
			return graph.Add(asF(graph.IsNaN(y)), graph.MulScalar(asF(graph.IsFinite(y)), 2))
		}},
		{"convert_int_roundtrip", func(x *graph.Node) *graph.Node {
			i := graph.ConvertDType(graph.MulScalar(x, 10), dtypes.Int32)
			return graph.ConvertDType(graph.Add(i, graph.Scalar(x.Graph(), dtypes.Int32, 3)), dtypes.Float32)
		}},
		{"reduce_min_prod_logical", func(x *graph.Node) *graph.Node {
			m := graph.ReduceMin(x, 1)
			p := graph.ReduceMultiply(graph.AddScalar(x, 1), 1)
			all := asF(graph.LogicalAll(graph.GreaterThan(x, s(x, -0.9)), 1))
			any := asF(graph.LogicalAny(graph.GreaterThan(x, s(x, 0.9)), 1))
			return graph.Add(graph.Add(m, p), graph.Add(all, any))
		}},
		{"argmin", func(x *graph.Node) *graph.Node { return asF(graph.ArgMin(x, 1, dtypes.Int64)) }},
		{"slice_static_axes", func(x *graph.Node) *graph.Node {
			return graph.Slice(x, graph.AxisRange(), graph.AxisRange(1, -1), graph.AxisRange(1, 4).Stride(2))
		}},
		{"slice_dynamic_axis_from_end", func(x *graph.Node) *graph.Node {
			return graph.Slice(x, graph.AxisRange(1, -1), graph.AxisRange(), graph.AxisRange(0, 2))
		}},
		{"concat_dynamic_and_static", func(x *graph.Node) *graph.Node {
			return graph.Concatenate([]*graph.Node{x, graph.MulScalar(x, 2)}, 0)
		}},
		{"long_static_iota", func(x *graph.Node) *graph.Node {
			io := graph.Iota(x.Graph(), shapes.Make(dtypes.Float32, 5000), 0)
			return graph.Add(x, graph.ReduceAllSum(graph.MulScalar(io, 1e-6)))
		}},
		{"dot_matrix_vector", func(x *graph.Node) *graph.Node {
			w := graph.Const(x.Graph(), []float32{0.5, -1, 2, 0.25})
			return graph.Dot(graph.Reshape(x, -1, 4), w)
		}},
		{"dotgeneral_multi_contract_multi_free", func(x *graph.Node) *graph.Node {
			// Contract axes 1 and 2 of x with a [5, 4, 2, 3] constant.
			vals := make([]float32, 5*4*2*3)
			for i := range vals {
				vals[i] = float32(i%7) * 0.1
			}
			w := graph.Reshape(graph.Const(x.Graph(), vals), 5, 4, 2, 3)
			return graph.DotGeneral(x, []int{1, 2}, nil, w, []int{0, 1}, nil)
		}},
		{"dotgeneral_batch_no_lhs_free", func(x *graph.Node) *graph.Node {
			v := graph.ReduceSum(x, 1) // [B, 4]
			return graph.DotGeneral(v, []int{1}, []int{0}, x, []int{2}, []int{0})
		}},
		{"dotgeneral_batch_two_lhs_free", func(x *graph.Node) *graph.Node {
			y := graph.Reshape(graph.Concatenate([]*graph.Node{x, x, x}, 2), -1, 5, 3, 4) // [B, 5, 3, 4]
			return graph.DotGeneral(y, []int{3}, []int{0}, x, []int{2}, []int{0})         // [B, 5, 3, 5]
		}},
	}
}

func TestOpsAgainstSimpleGo(t *testing.T) {
	for _, tc := range opsCases() {
		t.Run(tc.name, func(t *testing.T) {
			fn := one(tc.f)
			ctx := context.New()
			m := trace(t, ctx, xSpec(batch, onnx.Fixed(5), onnx.Fixed(4)), fn)
			checkAgainstGo(t, ctx, m, fn, tol,
				[]*tensors.Tensor{randTensor(1, 3, 5, 4)},
				[]*tensors.Tensor{randTensor(2, 6, 5, 4)})
		})
	}
}

// TestReversePad checks Reverse and Pad (which simplego lacks) against
// their definitions: y = Pad(Reverse(x, 0, 2), 0.5, axis 1: 1 before, 2
// after; axis 2: 1 cut from the start).
func TestReversePad(t *testing.T) {
	fn := one(func(x *graph.Node) *graph.Node {
		r := graph.Reverse(x, 0, 2)
		return graph.Pad(r, graph.Scalar(x.Graph(), x.DType(), 0.5), backends.PadAxis{}, backends.PadAxis{Start: 1, End: 2}, backends.PadAxis{Start: -1})
	})
	m := trace(t, context.New(), xSpec(batch, onnx.Fixed(5), onnx.Fixed(4)), fn)
	s := session(t, m)
	defer s.Destroy()
	x := randTensor(3, 3, 5, 4)
	got := runORT(t, s, m, x)[0]
	if len(got.shape) != 3 || got.shape[0] != 3 || got.shape[1] != 8 || got.shape[2] != 3 {
		t.Fatalf("shape %v, want [3 8 3]", got.shape)
	}
	in := fromGo(t, x).data
	for b := 0; b < 3; b++ {
		for i := 0; i < 8; i++ {
			for j := 0; j < 3; j++ {
				want := 0.5
				if i >= 1 && i < 6 {
					want = in[((2-b)*5+i-1)*4+(3-(j+1))]
				}
				if g := got.data[(b*8+i)*3+j]; g != want {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", b, i, j, g, want)
				}
			}
		}
	}
}
