package onnx

import (
	"encoding/binary"
	"math"
	"slices"

	"rewardvision/models/onnx/onnxpb"
)

// The exporter records GoMLX's primitives, so a layer norm is thirteen
// nodes (and two Reshapes of its gain and offset) and a softmax seven; ONNX Runtime runs each as its own kernel, over the
// whole tensor, and does not fuse these forms itself. fuse rewrites the
// two patterns that models/nn emits into one LayerNormalization or
// Softmax node each (both in opset 18), leaving any other use of their
// values alone.

// fuseGraph is the rewrite over a recorded graph: nodes in topological
// order, the constant initializers by name, and vecLen giving the length
// of a 1-D weight (layer-norm gain and offset) by name.
type fuseGraph struct {
	consts   map[string]*onnxpb.Tensor
	vecLen   func(name string) (int, bool)
	producer map[string]*onnxpb.Node
	readers  map[string][]*onnxpb.Node // a node once per input it reads the value at
	uses     map[string]int            // the readers, and 1 more for a graph output
	removed  map[*onnxpb.Node]bool
}

// fuse returns nodes with the layer norms and softmaxes fused; outputs
// are the graph's output names, which must keep their producers.
func fuse(nodes []*onnxpb.Node, consts []*onnxpb.Tensor, outputs []string, vecLen func(string) (int, bool)) []*onnxpb.Node {
	f := &fuseGraph{consts: map[string]*onnxpb.Tensor{}, vecLen: vecLen, producer: map[string]*onnxpb.Node{},
		readers: map[string][]*onnxpb.Node{}, uses: map[string]int{}, removed: map[*onnxpb.Node]bool{}}
	for _, c := range consts {
		f.consts[c.Name] = c
	}
	for _, n := range nodes {
		for _, o := range n.Outputs {
			f.producer[o] = n
		}
		for _, in := range n.Inputs {
			f.readers[in] = append(f.readers[in], n)
			f.uses[in]++
		}
	}
	for _, o := range outputs {
		f.uses[o]++
	}
	replace := map[*onnxpb.Node]*onnxpb.Node{} // last node of a pattern → its fused node
	for _, n := range nodes {
		switch n.OpType {
		case "Sqrt":
			if last, ln := f.layerNorm(n); ln != nil {
				replace[last] = ln
			}
		case "Exp":
			if last, sm := f.softmax(n); sm != nil {
				replace[last] = sm
			}
		}
	}
	out := make([]*onnxpb.Node, 0, len(nodes))
	for _, n := range nodes {
		if r, ok := replace[n]; ok {
			out = append(out, r)
		} else if !f.removed[n] {
			out = append(out, n)
		}
	}
	return out
}

// op returns the producer of value v if it is an opType node with nIn
// inputs, not yet part of a fused pattern.
func (f *fuseGraph) op(v, opType string, nIn int) *onnxpb.Node {
	n := f.producer[v]
	if n == nil || n.OpType != opType || len(n.Inputs) != nIn || f.removed[n] {
		return nil
	}
	return n
}

// only reports whether value v is read exactly k times.
func (f *fuseGraph) only(v string, k int) bool { return f.uses[v] == k }

// consumer returns the single node reading value v, if one node reads it
// once (and it is not a graph output).
func (f *fuseGraph) consumer(v string) *onnxpb.Node {
	if r := f.readers[v]; f.only(v, 1) && len(r) == 1 && !f.removed[r[0]] {
		return r[0]
	}
	return nil
}

// scalar is the value of a float32 scalar constant.
func (f *fuseGraph) scalar(name string) (float64, bool) {
	t := f.consts[name]
	if t == nil || t.DataType != onnxpb.Float || len(t.Dims) != 0 || len(t.RawData) != 4 {
		return 0, false
	}
	return float64(math.Float32frombits(binary.LittleEndian.Uint32(t.RawData))), true
}

// ints is the value of an int64 constant vector.
func (f *fuseGraph) ints(name string) ([]int64, bool) {
	t := f.consts[name]
	if t == nil || t.DataType != onnxpb.Int64 || len(t.Dims) != 1 || len(t.RawData) != 8*int(t.Dims[0]) {
		return nil, false
	}
	out := make([]int64, t.Dims[0])
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.RawData[8*i:]))
	}
	return out, true
}

// keptReduce matches Reshape(Reduce<op>(x, [last]), keep): a reduction over
// the last axis with that axis kept as size 1. It returns x and the two
// nodes.
func (f *fuseGraph) keptReduce(v, opType string) (x string, nodes []*onnxpb.Node) {
	r := f.op(v, "Reshape", 2)
	if r == nil || !f.only(v, 1) {
		return "", nil
	}
	red := f.op(r.Inputs[0], opType, 2)
	if red == nil || !f.only(r.Inputs[0], 1) {
		return "", nil
	}
	axes, ok1 := f.ints(red.Inputs[1])
	keep, ok2 := f.ints(r.Inputs[1])
	if !ok1 || !ok2 || len(axes) != 1 || len(keep) == 0 || keep[len(keep)-1] != 1 ||
		(axes[0] != int64(len(keep)-1) && axes[0] != -1) || keepdims(red) {
		return "", nil
	}
	return red.Inputs[0], []*onnxpb.Node{red, r}
}

func keepdims(n *onnxpb.Node) bool {
	for _, a := range n.Attributes {
		if a.Name == "keepdims" {
			return a.I != 0
		}
	}
	return true // ONNX's default
}

// meanOf matches Mul(keptReduce(ReduceSum, x), 1/n) (either order) and
// returns x, n's reciprocal and the nodes.
func (f *fuseGraph) meanOf(v string) (x string, inv float64, nodes []*onnxpb.Node) {
	m := f.op(v, "Mul", 2)
	if m == nil {
		return "", 0, nil
	}
	for k := range 2 {
		c, ok := f.scalar(m.Inputs[1-k])
		if !ok {
			continue
		}
		if x, red := f.keptReduce(m.Inputs[k], "ReduceSum"); red != nil {
			return x, c, append(red, m)
		}
	}
	return "", 0, nil
}

// layerNorm matches, around s (the Sqrt):
//
//	mean = Mul(Reshape(ReduceSum(x, [-1])), 1/n)
//	xc   = Sub(x, mean)
//	var  = Mul(Reshape(ReduceSum(Mul(xc, xc), [-1])), 1/n)
//	y    = Add(Mul(Div(xc, Sqrt(Add(var, eps))), Reshape(gain)), Reshape(offset))
//
// with gain and offset 1-D weights of length n, and returns the final Add
// and the LayerNormalization that replaces the pattern.
func (f *fuseGraph) layerNorm(s *onnxpb.Node) (*onnxpb.Node, *onnxpb.Node) {
	if len(s.Inputs) != 1 || !f.only(s.Inputs[0], 1) {
		return nil, nil
	}
	add := f.op(s.Inputs[0], "Add", 2)
	if add == nil {
		return nil, nil
	}
	eps, ok := f.scalar(add.Inputs[1])
	if !ok || !f.only(add.Inputs[0], 1) {
		return nil, nil
	}
	sq, invVar, varNodes := f.meanOf(add.Inputs[0])
	if varNodes == nil || !f.only(sq, 1) {
		return nil, nil
	}
	mul := f.op(sq, "Mul", 2)
	if mul == nil || mul.Inputs[0] != mul.Inputs[1] {
		return nil, nil
	}
	xcName := mul.Inputs[0]
	sub := f.op(xcName, "Sub", 2)
	if sub == nil || !f.only(xcName, 3) { // Mul(xc, xc) and Div
		return nil, nil
	}
	x := sub.Inputs[0]
	x2, invMean, meanNodes := f.meanOf(sub.Inputs[1])
	if meanNodes == nil || x2 != x || !f.only(sub.Inputs[1], 1) || invMean != invVar {
		return nil, nil
	}
	div := f.consumer(s.Outputs[0])
	if div == nil || div.OpType != "Div" || len(div.Inputs) != 2 || div.Inputs[0] != xcName || div.Inputs[1] != s.Outputs[0] {
		return nil, nil
	}
	scale := f.consumer(div.Outputs[0])
	if scale == nil || scale.OpType != "Mul" || len(scale.Inputs) != 2 || scale.Inputs[0] != div.Outputs[0] {
		return nil, nil
	}
	shift := f.consumer(scale.Outputs[0])
	if shift == nil || shift.OpType != "Add" || len(shift.Inputs) != 2 || shift.Inputs[0] != scale.Outputs[0] {
		return nil, nil
	}
	gain, gainR := f.vector(scale.Inputs[1])
	offset, offR := f.vector(shift.Inputs[1])
	if gain == "" || offset == "" {
		return nil, nil
	}
	n, ok1 := f.vecLen(gain)
	n2, ok2 := f.vecLen(offset)
	if !ok1 || !ok2 || n != n2 || n < 1 || math.Abs(invMean*float64(n)-1) > 1e-6 {
		return nil, nil
	}
	nodes := slices.Concat(meanNodes, []*onnxpb.Node{sub, mul}, varNodes, []*onnxpb.Node{add, s, div, scale, shift})
	for _, r := range []*onnxpb.Node{gainR, offR} {
		if f.only(r.Outputs[0], 1) {
			nodes = append(nodes, r)
		}
	}
	for _, n := range nodes {
		f.removed[n] = true
	}
	ln := &onnxpb.Node{OpType: "LayerNormalization", Name: shift.Outputs[0] + "_layernorm",
		Inputs: []string{x, gain, offset}, Outputs: slices.Clone(shift.Outputs),
		Attributes: []*onnxpb.Attribute{onnxpb.AttrIntValue("axis", -1), onnxpb.AttrFloatValue("epsilon", float32(eps))}}
	return shift, ln
}

// vector matches Reshape(w, [1, …, 1, n]) of a 1-D weight w and returns w
// and the Reshape.
func (f *fuseGraph) vector(v string) (string, *onnxpb.Node) {
	r := f.op(v, "Reshape", 2)
	if r == nil {
		return "", nil
	}
	shape, ok := f.ints(r.Inputs[1])
	if !ok {
		return "", nil
	}
	for _, d := range shape[:max(len(shape)-1, 0)] {
		if d != 1 {
			return "", nil
		}
	}
	if n, ok := f.vecLen(r.Inputs[0]); !ok || len(shape) == 0 || shape[len(shape)-1] != int64(n) {
		return "", nil
	}
	return r.Inputs[0], r
}

// softmax matches, around e (the Exp):
//
//	Div(Exp(Sub(x, Reshape(ReduceMax(x, [-1])))), Reshape(ReduceSum(Exp(…), [-1])))
//
// and returns the Div and the Softmax that replaces the pattern.
func (f *fuseGraph) softmax(e *onnxpb.Node) (*onnxpb.Node, *onnxpb.Node) {
	if len(e.Inputs) != 1 || !f.only(e.Inputs[0], 1) || !f.only(e.Outputs[0], 2) {
		return nil, nil
	}
	sub := f.op(e.Inputs[0], "Sub", 2)
	if sub == nil {
		return nil, nil
	}
	x := sub.Inputs[0]
	x2, maxNodes := f.keptReduce(sub.Inputs[1], "ReduceMax")
	if maxNodes == nil || x2 != x {
		return nil, nil
	}
	var div *onnxpb.Node
	for _, n := range f.readers[e.Outputs[0]] {
		switch {
		case f.removed[n]:
			return nil, nil
		case n.OpType == "Div" && len(n.Inputs) == 2 && n.Inputs[0] == e.Outputs[0]:
			div = n
		case n.OpType == "ReduceSum":
			// Its Reshape is the Div's divisor, checked below.
		default:
			return nil, nil
		}
	}
	if div == nil {
		return nil, nil
	}
	x3, sumNodes := f.keptReduce(div.Inputs[1], "ReduceSum")
	if sumNodes == nil || x3 != e.Outputs[0] {
		return nil, nil
	}
	nodes := slices.Concat(maxNodes, []*onnxpb.Node{sub, e}, sumNodes, []*onnxpb.Node{div})
	for _, n := range nodes {
		f.removed[n] = true
	}
	sm := &onnxpb.Node{OpType: "Softmax", Name: div.Outputs[0] + "_softmax", Inputs: []string{x},
		Outputs: slices.Clone(div.Outputs), Attributes: []*onnxpb.Attribute{onnxpb.AttrIntValue("axis", -1)}}
	return div, sm
}

// fused returns the builder's nodes with layer norms and softmaxes fused,
// and the constants the remaining nodes still read.
func (b *Builder) fused() ([]*onnxpb.Node, []*onnxpb.Tensor) {
	vec := map[string]int{}
	for _, w := range b.weights {
		if w.val.shape.Rank() == 1 {
			vec[w.val.name] = w.val.shape.Dimensions[0]
		}
	}
	var outputs []string
	for _, o := range b.outputs {
		outputs = append(outputs, o.name)
	}
	nodes := fuse(b.nodes, b.consts, outputs, func(name string) (int, bool) { n, ok := vec[name]; return n, ok })
	read := map[string]bool{}
	for _, n := range nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	consts := make([]*onnxpb.Tensor, 0, len(b.consts))
	for _, c := range b.consts {
		if read[c.Name] {
			consts = append(consts, c)
		}
	}
	return nodes, consts
}
