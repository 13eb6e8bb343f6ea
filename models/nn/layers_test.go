package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// layerFn builds a layer on ctx from input nodes.
type layerFn func(ctx *context.Context, in []*Node) *Node

// layerGrads runs layer on inputs and returns [output, dL/dinput0, dL/dvar...]
// for L = Σ output·w (w a fixed non-uniform weighting). Variables are those
// of ctx, created on the first call and reused afterwards.
func layerGrads(t *testing.T, ctx *context.Context, layer layerFn, inputs []*tensors.Tensor) []*tensors.Tensor {
	t.Helper()
	e, err := context.NewExec(testBackend(t), ctx.Checked(false), func(ctx *context.Context, in []*Node) []*Node {
		out := layer(ctx, in)
		g := out.Graph()
		w := graph.Add(graph.Sin(graph.IotaFull(g, out.Shape())), graph.Cos(graph.Iota(g, out.Shape(), 0)))
		loss := graph.ReduceAllSum(graph.Mul(out, w))
		wrt := []*Node{}
		if in[0].DType().IsFloat() {
			wrt = append(wrt, in[0])
		}
		for v := range ctx.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				wrt = append(wrt, v.ValueGraph(g))
			}
		}
		return append([]*Node{out}, graph.Gradient(loss, wrt...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	args := make([]any, len(inputs))
	for i, x := range inputs {
		args[i] = x
	}
	res, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestLayerGradientsMatchStock checks, for every layer built on Dot, that
// value and gradients (w.r.t. input and every variable) equal those with
// GoMLX's own DotGeneral gradient.
func TestLayerGradientsMatchStock(t *testing.T) {
	const b, n, m, width = 2, 5, 7, 12
	tests := []struct {
		name   string
		dtype  dtypes.DType
		tol    float64
		inputs [][]int
		layer  layerFn
	}{
		{name: "dense", inputs: [][]int{{b, n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return Dense(ctx, in[0], 9, true)
		}},
		{name: "dense_rank2_nobias", inputs: [][]int{{n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return Dense(ctx, in[0], 3, false)
		}},
		{name: "mlp", inputs: [][]int{{b, n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return MLP(ctx, in[0], 2*width)
		}},
		{name: "self_attention_causal", inputs: [][]int{{b, n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return MultiHeadAttention(ctx, in[0], in[0], 3, CausalBias(in[0].Graph(), in[0].DType(), n))
		}},
		{name: "cross_attention", inputs: [][]int{{b, n, width}, {b, m, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return MultiHeadAttention(ctx, in[0], in[1], 4, nil)
		}},
		{name: "tied_head", inputs: [][]int{{b, n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			table := EmbeddingTable(ctx, in[0].Graph(), in[0].DType(), 11, width)
			return Dot(ctx, in[0], []int{2}, nil, table, []int{1}, nil)
		}},
		{name: "attention_float32", dtype: dtypes.Float32, tol: 1e-5, inputs: [][]int{{b, n, width}}, layer: func(ctx *context.Context, in []*Node) *Node {
			return MultiHeadAttention(ctx, in[0], in[0], 2, CausalBias(in[0].Graph(), in[0].DType(), n))
		}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dtype == dtypes.InvalidDType {
				tc.dtype, tc.tol = dtypes.Float64, 1e-10
			}
			inputs := make([]*tensors.Tensor, len(tc.inputs))
			for i, dims := range tc.inputs {
				if tc.dtype == dtypes.Float32 {
					inputs[i] = randTensor32(rng, dims...)
				} else {
					inputs[i] = randTensor64(rng, dims...)
				}
			}
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(7); err != nil {
				t.Fatal(err)
			}
			got := layerGrads(t, ctx, tc.layer, inputs)
			ctx.SetParam(ParamStockGradients, true)
			want := layerGrads(t, ctx, tc.layer, inputs)
			if len(got) != len(want) || len(got) < 3 {
				t.Fatalf("got %d outputs, stock %d", len(got), len(want))
			}
			for i := range got {
				assertClose(t, tc.name+" output/grad #"+string(rune('0'+i)), got[i], want[i], tc.tol)
			}
		})
	}
}

// TestLayerGradientsFiniteDifference checks graph.Gradient of Σ layer(x)·w against central finite
// differences, in float64, for layers with no custom gradient.
func TestLayerGradientsFiniteDifference(t *testing.T) {
	tests := []struct {
		name  string
		dims  []int
		layer func(ctx *context.Context, x *Node) *Node
	}{
		{name: "gelu", dims: []int{3, 4}, layer: func(_ *context.Context, x *Node) *Node { return GELU(x) }},
		{name: "softmax", dims: []int{3, 5}, layer: func(_ *context.Context, x *Node) *Node { return Softmax(x) }},
		{name: "log_softmax", dims: []int{3, 5}, layer: func(_ *context.Context, x *Node) *Node { return LogSoftmax(x) }},
		{name: "layernorm", dims: []int{2, 3, 6}, layer: LayerNorm},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor64(rng, tc.dims...)
			lossOf := func(ctx *context.Context, x *Node) *Node {
				out := tc.layer(ctx, x)
				g := x.Graph()
				w := graph.Add(graph.Sin(graph.IotaFull(g, out.Shape())), graph.Cos(graph.Iota(g, out.Shape(), 0)))
				return graph.ReduceAllSum(graph.Mul(out, w))
			}
			// LayerNorm's gain and offset start at 1 and 0: the gradient w.r.t. x is the one to check.
			e, err := context.NewExec(testBackend(t), context.New(), func(ctx *context.Context, x *Node) []*Node {
				loss := lossOf(ctx, x)
				return []*Node{loss, graph.Gradient(loss, x)[0]}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Finalize()
			res, err := e.Exec(x)
			if err != nil {
				t.Fatal(err)
			}
			analytic := flat64(t, res[1])
			xs := flat64(t, x)
			const h = 1e-6
			for i := range xs {
				eval := func(delta float64) float64 {
					p := append([]float64(nil), xs...)
					p[i] += delta
					r, err := e.Exec(tensors.FromFlatDataAndDimensions(p, tc.dims...))
					if err != nil {
						t.Fatal(err)
					}
					return flat64(t, r[0])[0]
				}
				num := (eval(h) - eval(-h)) / (2 * h)
				if d := math.Abs(num - analytic[i]); d > 1e-6*math.Max(1, math.Abs(num)) {
					t.Fatalf("element %d: gradient %g, finite difference %g", i, analytic[i], num)
				}
			}
		})
	}
}
