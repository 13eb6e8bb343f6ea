package onnx_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/onnx"
	"rewardvision/models/onnx/onnxpb"
)

// denseAndScores is x·W (a weight MatMul) and x·xᵀ (activations on both
// sides, which stays float32); with shared, also W+W, a second reader of W.
func denseAndScores(w *tensors.Tensor, shared bool) onnx.GraphFn {
	return func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		x := in[0]
		wv := ctx.In("dense").VariableWithValue("w", w).ValueGraph(x.Graph())
		out := []*graph.Node{graph.Dot(x, wv), graph.Einsum("bd,cd->bc", x, x)}
		if shared {
			out = append(out, graph.Add(wv, wv))
		}
		return out
	}
}

// quantized traces denseAndScores (shared when three outputs are named),
// rewrites it with QuantizeMatMuls, and returns the
// rewritten bytes' op counts, initializer names and ORT outputs on x.
func quantized(t *testing.T, w, x *tensors.Tensor, outputs []string) (map[string]int, map[string]*onnxpb.Tensor, []result, []result) {
	t.Helper()
	fn := denseAndScores(w, len(outputs) == 3)
	ctx := newCtx(t, fn, x)
	spec := onnx.Spec{Name: "q", WeightsAs: onnx.Initializers, Outputs: outputs,
		Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(x.Shape().Dim(1))}}}}
	m := trace(t, ctx, spec, fn)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, n, err := onnx.QuantizeMatMuls(data)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("rewrote %d MatMuls, want 1 (x·W; x·xᵀ has no weight)", n)
	}
	dec, err := onnxpb.Decode(q)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, nd := range dec.Graph.Nodes {
		ops[nd.OpType]++
	}
	inits := map[string]*onnxpb.Tensor{}
	for _, it := range dec.Graph.Initializers {
		inits[it.Name] = it
	}
	fs := session(t, m)
	defer fs.Destroy()
	qs := sessionFromBytes(t, m, q)
	defer qs.Destroy()
	return ops, inits, runORT(t, fs, m, x), runORT(t, qs, m, x)
}

// TestQuantizeMatMulsExact: with weights that are whole multiples of their
// column's scale (column j: integers × (j+1), each with a ±127·(j+1)) and
// activations on DynamicQuantizeLinear's grid (k/255 in [0, 1], with 0 and
// 1 present), int8 loses nothing, so the quantized graph must give x·W
// exactly: a wrong scale per column, zero point or layout shows.
func TestQuantizeMatMulsExact(t *testing.T) {
	loadORT(t)
	const k, n, rows = 6, 4, 3
	wv := make([]float32, k*n)
	for i := range k {
		for j := range n {
			v := float32((i*7+j*5)%255 - 127)
			if i == j {
				v = 127 * float32(1-2*(j%2))
			}
			wv[i*n+j] = v * float32(j+1)
		}
	}
	xv := make([]float32, rows*k)
	for i := range xv {
		xv[i] = float32((i*37)%256) / 255
	}
	xv[0], xv[1] = 0, 1
	w := tensors.FromFlatDataAndDimensions(wv, k, n)
	x := tensors.FromFlatDataAndDimensions(xv, rows, k)
	ops, inits, float, quant := quantized(t, w, x, []string{"y", "scores", "w2"})
	if ops["MatMulInteger"] != 1 || ops["DynamicQuantizeLinear"] != 1 || ops["MatMul"]+ops["Einsum"] != 1 {
		t.Errorf("op counts %v: want one MatMulInteger and the scores' product left in float32", ops)
	}
	if inits["dense.w"] == nil {
		t.Errorf("initializers %v: W is still read by the Add, so it must stay", inits)
	}
	for i, name := range []string{"y", "scores", "w2"} {
		d, err := maxDiff(float[i], quant[i])
		if err != nil || d > 1e-3 {
			t.Errorf("%s: max |diff| %g (%v), want exact", name, d, err)
		}
	}
}

// TestQuantizeMatMulsError: on weights off the int8 grid the result
// differs from float32 by the rounding error, no more: per output, at
// most K · (max|x|·s_j + max|W|·s_x) / 2 plus the product of the two
// half-steps; and it does differ, so the int8 path did run.
func TestQuantizeMatMulsError(t *testing.T) {
	loadORT(t)
	const k, n = 16, 8
	w := randTensor(11, k, n)
	x := randTensor(12, 5, k)
	ops, inits, float, quant := quantized(t, w, x, []string{"y", "scores"})
	if ops["MatMulInteger"] != 1 {
		t.Errorf("op counts %v: want one MatMulInteger", ops)
	}
	if inits["dense.w"] != nil {
		t.Error("the float W has no reader left and should be dropped")
	}
	// The int8 weights are round(W / s_j), s_j = max |W[:, j]| / 127.
	var wq, ws *onnxpb.Tensor
	for name, it := range inits {
		switch {
		case strings.HasSuffix(name, "_int8_w"):
			wq = it
		case strings.HasSuffix(name, "_int8_w_scale"):
			ws = it
		}
	}
	if wq == nil || ws == nil || len(wq.RawData) != k*n || len(ws.RawData) != 4*n {
		t.Fatalf("int8 weights %v, scales %v", wq, ws)
	}
	wf := tensors.MustCopyFlatData[float32](w)
	for j := range n {
		var amax float32
		for i := range k {
			amax = max(amax, float32(math.Abs(float64(wf[i*n+j]))))
		}
		if s := math.Float32frombits(binary.LittleEndian.Uint32(ws.RawData[4*j:])); s != amax/127 {
			t.Errorf("column %d: scale %g, want %g", j, s, amax/127)
		}
		for i := range k {
			if got, want := int8(wq.RawData[i*n+j]), int8(math.Round(float64(wf[i*n+j]/(amax/127)))); got != want {
				t.Errorf("W_q[%d, %d] = %d, want %d", i, j, got, want)
			}
		}
	}
	// |W| ≤ 1 so s_j ≤ 1/127; x in [-1, 1) so s_x ≤ 2/255.
	bound := k * (1.0/127 + 2.0/255 + 1.0/127*2.0/255/2) / 2
	d, err := maxDiff(float[0], quant[0])
	if err != nil || d > bound || d == 0 {
		t.Errorf("y: max |diff| %g (%v), want in (0, %g]", d, err, bound)
	}
	if d, err := maxDiff(float[1], quant[1]); err != nil || d > 1e-5 {
		t.Errorf("scores: max |diff| %g (%v): activations × activations must stay float32", d, err)
	}
}

// TestQuantizeMatMulsNothing: a model without weight MatMuls comes back
// unchanged, and bytes that are not a model are an error.
func TestQuantizeMatMulsNothing(t *testing.T) {
	fn := func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.Einsum("bd,cd->bc", in[0], in[0])}
	}
	x := randTensor(1, 2, 3)
	ctx := newCtx(t, fn, x)
	m := trace(t, ctx, onnx.Spec{Name: "none", WeightsAs: onnx.Initializers, Outputs: []string{"scores"},
		Inputs: []onnx.Input{{Name: "x", DType: dtypes.Float32, Dims: []onnx.Dim{batch, onnx.Fixed(3)}}}}, fn)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, n, err := onnx.QuantizeMatMuls(data)
	if err != nil || n != 0 || !bytes.Equal(q, data) {
		t.Errorf("got %d rewrites, %v, same bytes %v; want 0, nil, true", n, err, bytes.Equal(q, data))
	}
	if _, _, err := onnx.QuantizeMatMuls([]byte("not a model")); err == nil {
		t.Error("garbage: no error")
	}
}
