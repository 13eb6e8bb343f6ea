package onnx

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"rewardvision/models/onnx/onnxpb"
)

// Gather implements backends.Builder for the form graph.Gather emits (an
// embedding lookup, or a full-index lookup such as take-along-axis built from
// indices concatenated with an Iota): the index vector is the last axis of
// the indices, it addresses the first N operand axes, those are collapsed
// and the rest are taken whole, after the indices' batch axes. That is ONNX
// Gather(axis=0) when N = 1, else GatherND. Like XLA, GoMLX clamps indices
// into range; the export clamps them too (ONNX would fail or wrap).
func (b *Builder) Gather(operand, startIndices backends.Op, indexVectorAxis int, offsetOutputAxes, collapsedSliceAxes,
	startIndexMap, sliceSizes []int, indicesAreSorted bool) (backends.Op, error) {
	vs, err := b.vals(operand, startIndices)
	if err != nil {
		return nil, err
	}
	x, idx := vs[0], vs[1]
	shape, err := shapeinference.Gather(x.shape, idx.shape, indexVectorAxis, offsetOutputAxes, collapsedSliceAxes,
		startIndexMap, sliceSizes, indicesAreSorted)
	if err != nil {
		return nil, err
	}
	unsupported := func(why string) error {
		return &UnsupportedOpError{Op: "Gather", Reason: fmt.Sprintf("%s; supported: the graph.Gather form (index vector last, "+
			"indexing the leading operand axes, which are collapsed, other axes taken whole): got indexVectorAxis=%d "+
			"offsetOutputAxes=%v collapsedSliceAxes=%v startIndexMap=%v sliceSizes=%v for operand %s, indices %s",
			why, indexVectorAxis, offsetOutputAxes, collapsedSliceAxes, startIndexMap, sliceSizes, x.shape, idx.shape),
			Where: callerOutside()}
	}
	ir := idx.shape.Rank()
	if ir == 0 || indexVectorAxis != ir-1 {
		return nil, unsupported("index vector is not the last axis")
	}
	n := idx.shape.Dimensions[ir-1]
	if _, ok := idx.dims[ir-1].constant(); !ok || n < 1 || n > x.shape.Rank() {
		return nil, unsupported("bad index vector size")
	}
	if len(startIndexMap) != n || len(collapsedSliceAxes) != n {
		return nil, unsupported("index map size")
	}
	for i := 0; i < n; i++ {
		if startIndexMap[i] != i || collapsedSliceAxes[i] != i || sliceSizes[i] != 1 {
			return nil, unsupported("index does not address the leading operand axes")
		}
	}
	for k := n; k < x.shape.Rank(); k++ {
		if k >= len(sliceSizes) || k-n >= len(offsetOutputAxes) || sliceSizes[k] != x.shape.Dimensions[k] {
			return nil, unsupported("partial slices")
		}
		if offsetOutputAxes[k-n] != ir-1+k-n {
			return nil, unsupported("offset axes are not trailing")
		}
	}
	if !idx.shape.DType.IsInt() {
		return nil, fmt.Errorf("Gather: indices dtype %s is not an integer", idx.shape.DType)
	}
	dims := append(slices.Clone(idx.dims[:ir-1]), x.dims[n:]...)
	// ONNX wants int32/int64 indices (GatherND: int64).
	iname := idx.name
	idt := idx.shape.DType
	if n > 1 || (idt != dtypes.Int32 && idt != dtypes.Int64) {
		iname = b.emit("Cast", []string{iname}, onnxpb.AttrIntValue("to", int64(onnxpb.Int64)))
		idt = dtypes.Int64
	}
	// Clamp each index component into [0, size-1].
	hi := make([]poly, n)
	for i := range hi {
		hi[i] = x.dims[i].sub(constPoly(1))
	}
	zero, err := b.scalarOf(idt, 0)
	if err != nil {
		return nil, err
	}
	var hiName string
	if isStaticDims(hi) {
		vals := make([]int64, n)
		for i, h := range hi {
			vals[i], _ = h.constant()
		}
		if n == 1 {
			hiName, err = b.scalarOf(idt, float64(vals[0]))
			if err != nil {
				return nil, err
			}
		} else {
			hiName = b.vecI64(vals...)
		}
	} else {
		hiName = b.shapeExpr(hi)
		if n == 1 {
			hiName = b.dimScalar(hi[0])
		}
		if idt != dtypes.Int64 {
			hiName = b.emit("Cast", []string{hiName}, onnxpb.AttrIntValue("to", int64(onnxpb.Int32)))
		}
	}
	if n == 1 {
		iname = b.emit("Squeeze", []string{iname, b.vecI64(int64(ir - 1))})
		iname = b.emit("Clip", []string{iname, zero, hiName})
		return b.newValue(b.emit("Gather", []string{x.name, iname}, onnxpb.AttrIntValue("axis", 0)), shape, dims), nil
	}
	iname = b.emit("Max", []string{b.emit("Min", []string{iname, hiName}), zero})
	return b.newValue(b.emit("GatherND", []string{x.name, iname}), shape, dims), nil
}
