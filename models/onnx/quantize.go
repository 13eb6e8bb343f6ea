package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"rewardvision/models/onnx/onnxpb"
)

// QuantizeMatMuls rewrites an encoded ONNX model for dynamic int8
// quantization, as ONNX Runtime's quantize_dynamic does: each MatMul whose
// second input is a 2-D float32 initializer W [K, N] becomes
//
//	DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zero, 0) → Cast → Mul(x_scale · w_scale)
//
// with W_q int8, symmetric per output column (w_scale[j] = max|W[:, j]| /
// 127), and the activations quantized to uint8 per call. ONNX Runtime runs
// the int8 product on its integer GEMM kernels (VNNI where the CPU has
// it), so the weight MatMuls cost about a third less; every other node
// stays float32. W is dropped when no other node reads it. It returns the
// new model and how many MatMuls it rewrote.
func QuantizeMatMuls(data []byte) ([]byte, int, error) {
	m, err := onnxpb.Decode(data)
	if err != nil {
		return nil, 0, fmt.Errorf("quantize: %w", err)
	}
	g := m.Graph
	if g == nil {
		return nil, 0, fmt.Errorf("quantize: model has no graph")
	}
	inits := map[string]*onnxpb.Tensor{}
	for _, t := range g.Initializers {
		inits[t.Name] = t
	}
	readers := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			readers[in]++
		}
	}
	for _, o := range g.Outputs {
		readers[o.Name]++
	}
	var nodes []*onnxpb.Node
	var added []*onnxpb.Tensor
	dropped := map[string]bool{}
	count := 0
	for _, n := range g.Nodes {
		var w *onnxpb.Tensor
		if n.OpType == "MatMul" && n.Domain == "" && len(n.Inputs) == 2 {
			w = inits[n.Inputs[1]]
		}
		if w == nil || w.DataType != onnxpb.Float || len(w.Dims) != 2 || int64(len(w.RawData)) != 4*w.Dims[0]*w.Dims[1] {
			nodes = append(nodes, n)
			continue
		}
		count++
		q, scale := quantizeColumns(w)
		base := n.Outputs[0] + "_int8"
		wq := &onnxpb.Tensor{Name: base + "_w", Dims: w.Dims, DataType: onnxpb.Int8, RawData: q}
		ws := &onnxpb.Tensor{Name: base + "_w_scale", Dims: w.Dims[1:], DataType: onnxpb.Float, RawData: scale}
		wz := &onnxpb.Tensor{Name: base + "_w_zero", Dims: w.Dims[1:], DataType: onnxpb.Int8, RawData: make([]byte, w.Dims[1])}
		added = append(added, wq, ws, wz)
		xq, xs, xz := base+"_x", base+"_x_scale", base+"_x_zero"
		nodes = append(nodes,
			&onnxpb.Node{OpType: "DynamicQuantizeLinear", Name: base + "_quantize", Inputs: []string{n.Inputs[0]}, Outputs: []string{xq, xs, xz}},
			&onnxpb.Node{OpType: "MatMulInteger", Name: base + "_matmul", Inputs: []string{xq, wq.Name, xz, wz.Name}, Outputs: []string{base + "_i32"}},
			&onnxpb.Node{OpType: "Cast", Name: base + "_cast", Inputs: []string{base + "_i32"}, Outputs: []string{base + "_f32"},
				Attributes: []*onnxpb.Attribute{onnxpb.AttrIntValue("to", int64(onnxpb.Float))}},
			&onnxpb.Node{OpType: "Mul", Name: base + "_scale", Inputs: []string{xs, ws.Name}, Outputs: []string{base + "_xw_scale"}},
			&onnxpb.Node{OpType: "Mul", Name: base + "_rescale", Inputs: []string{base + "_f32", base + "_xw_scale"}, Outputs: n.Outputs},
		)
		if readers[w.Name]--; readers[w.Name] == 0 {
			dropped[w.Name] = true
		}
	}
	if count == 0 {
		return data, 0, nil
	}
	kept := g.Initializers[:0:0]
	for _, t := range g.Initializers {
		if !dropped[t.Name] {
			kept = append(kept, t)
		}
	}
	g.Initializers = append(kept, added...)
	g.Nodes = nodes
	return m.Marshal(), count, nil
}

// quantizeColumns returns w [K, N] as int8 (round to nearest, in
// [-127, 127]) and its per-column float32 scales, both little-endian.
func quantizeColumns(w *onnxpb.Tensor) (q, scales []byte) {
	k, n := int(w.Dims[0]), int(w.Dims[1])
	at := func(i, j int) float32 {
		return math.Float32frombits(binary.LittleEndian.Uint32(w.RawData[4*(i*n+j):]))
	}
	q = make([]byte, k*n)
	scales = make([]byte, 4*n)
	for j := range n {
		var amax float32
		for i := range k {
			amax = max(amax, float32(math.Abs(float64(at(i, j)))))
		}
		s := amax / 127
		if s == 0 { // an all-zero column: any scale gives zeros
			s = 1
		}
		binary.LittleEndian.PutUint32(scales[4*j:], math.Float32bits(s))
		for i := range k {
			v := math.Round(float64(at(i, j) / s))
			q[i*n+j] = byte(int8(max(-127, min(127, v))))
		}
	}
	return q, scales
}
