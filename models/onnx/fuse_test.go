package onnx_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/nn"
	"rewardvision/models/onnx"
)

// normThenSoftmax is models/nn's layer norm followed by GoMLX's softmax,
// the two patterns the exporter fuses.
func normThenSoftmax(ctx *context.Context, in []*graph.Node) []*graph.Node {
	return []*graph.Node{graph.Softmax(nn.LayerNorm(ctx.In("ln"), in[0]), -1)}
}

// normShared is nn.LayerNorm written out (x rank 3), with its variance
// also an output, and a softmax whose exponentials are also an output: neither
// may be fused, since the fused node would not produce those values.
func normShared(ctx *context.Context, in []*graph.Node) []*graph.Node {
	x := in[0]
	g := x.Graph()
	n := x.Shape().Dim(-1)
	inv := graph.Scalar(g, x.DType(), 1/float64(n))
	mean := graph.Mul(graph.ReduceAndKeep(x, graph.ReduceSum, -1), inv)
	xc := graph.Sub(x, mean)
	variance := graph.Mul(graph.ReduceAndKeep(graph.Mul(xc, xc), graph.ReduceSum, -1), inv)
	y := graph.Div(xc, graph.Sqrt(graph.AddScalar(variance, nn.LayerNormEpsilon)))
	gain := ctx.In("ln").VariableWithShape("gain", shapes.Make(x.DType(), n)).ValueGraph(g)
	offset := ctx.In("ln").VariableWithShape("offset", shapes.Make(x.DType(), n)).ValueGraph(g)
	y = graph.Add(graph.Mul(y, graph.Reshape(gain, 1, 1, n)), graph.Reshape(offset, 1, 1, n))
	e := graph.Exp(graph.Sub(y, graph.ReduceAndKeep(y, graph.ReduceMax, -1)))
	return []*graph.Node{graph.Div(e, graph.ReduceAndKeep(e, graph.ReduceSum, -1)), variance, e}
}

// TestFuse: a layer norm and a softmax in models/nn's form become one
// LayerNormalization and one Softmax node with the same outputs (weights
// as initializers or as inputs); the same ops with an intermediate value
// used elsewhere stay as they are.
func TestFuse(t *testing.T) {
	loadORT(t)
	x := randTensor(3, 2, 5, testDim)
	spec := func(name string, mode onnx.WeightsMode, outputs ...string) onnx.Spec {
		return onnx.Spec{Name: name, WeightsAs: mode, Outputs: outputs,
			Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, seq, onnx.Fixed(testDim)}}}}
	}
	for _, mode := range []onnx.WeightsMode{onnx.Initializers, onnx.Inputs} {
		ctx := newCtx(t, normThenSoftmax, x)
		m := trace(t, ctx, spec("fused", mode, "y"), normThenSoftmax)
		c := m.OpCounts()
		if c["LayerNormalization"] != 1 || c["Softmax"] != 1 || c["Sqrt"] != 0 || c["Exp"] != 0 || c["ReduceSum"] != 0 {
			t.Errorf("weights as %d: op counts %v, want one LayerNormalization, one Softmax and none of their parts", mode, c)
		}
		checkAgainstGo(t, ctx, m, normThenSoftmax, 1e-5, []*tensors.Tensor{x})
	}
	ctx := newCtx(t, normShared, x)
	m := trace(t, ctx, spec("shared", onnx.Initializers, "y", "variance", "exp"), normShared)
	if c := m.OpCounts(); c["LayerNormalization"] != 0 || c["Softmax"] != 0 || c["Sqrt"] != 1 || c["Exp"] != 1 {
		t.Errorf("op counts %v: want the layer norm and the softmax unfused", c)
	}
	checkAgainstGo(t, ctx, m, normShared, 1e-5, []*tensors.Tensor{x})
}
