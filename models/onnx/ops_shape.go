package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"rewardvision/models/onnx/onnxpb"
)

// Reshape implements backends.Builder. The target sizes are numbers; each is
// mapped back to a polynomial by matching it against the atoms of the input
// dims it regroups (see reshapeDims).
func (b *Builder) Reshape(x backends.Op, dimensions ...int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.ReshapeOp(v.shape, dimensions)
	if err != nil {
		return nil, err
	}
	dims, err := b.reshapeDims(v, dimensions)
	if err != nil {
		return nil, err
	}
	return b.reshapeTo(v, shape, dims), nil
}

// reshapeDims groups input and target axes into runs of equal size products
// and, inside each run, hands the input's atoms to the target sizes they
// divide.
func (b *Builder) reshapeDims(v *value, target []int) ([]poly, error) {
	out := make([]poly, len(target))
	if b.syms.isStatic() || slices.Contains(target, 0) || slices.Contains(v.shape.Dimensions, 0) {
		for j, t := range target {
			out[j] = constPoly(int64(t))
		}
		return out, nil
	}
	in := v.shape.Dimensions
	fail := func(format string, args ...any) error {
		return &DynamicShapeError{What: fmt.Sprintf("reshape %v -> %v", v.shape.Dimensions, target),
			Err: fmt.Errorf(format, args...), Where: callerOutside()}
	}
	i, j := 0, 0
	for i < len(in) || j < len(target) {
		if j < len(target) && target[j] == 1 {
			out[j] = constPoly(1)
			j++
			continue
		}
		if i < len(in) && in[i] == 1 {
			i++
			continue
		}
		if i >= len(in) || j >= len(target) {
			return nil, fail("sizes do not regroup")
		}
		gi, gj := []int{i}, []int{j}
		pin, pout := int64(in[i]), int64(target[j])
		i++
		j++
		for pin != pout {
			if pin < pout {
				if i >= len(in) {
					return nil, fail("sizes do not regroup")
				}
				pin *= int64(in[i])
				gi = append(gi, i)
				i++
			} else {
				if j >= len(target) {
					return nil, fail("sizes do not regroup")
				}
				pout *= int64(target[j])
				gj = append(gj, j)
				j++
			}
		}
		if len(gj) == 1 {
			p := constPoly(1)
			for _, k := range gi {
				p = p.mul(v.dims[k])
			}
			out[gj[0]] = p
			continue
		}
		var atoms []poly
		for _, k := range gi {
			_, as := v.dims[k].factor()
			atoms = append(atoms, as...)
		}
		for _, k := range gj {
			if target[k] == 1 {
				out[k] = constPoly(1)
				continue
			}
			c, used := b.syms.decompose(int64(target[k]), atoms)
			if err := b.syms.checkStatic(c); err != nil {
				return nil, fail("target axis %d: %v", k, err)
			}
			p := constPoly(c)
			for _, a := range used {
				p = p.mul(a)
				atoms = removeAtom(atoms, a)
			}
			out[k] = p
		}
		if len(atoms) > 0 {
			return nil, fail("could not place %s in the target sizes", atoms[0].name(b.syms.names()))
		}
	}
	return out, nil
}

func removeAtom(atoms []poly, a poly) []poly {
	for i, x := range atoms {
		if x.equal(a) {
			return slices.Delete(slices.Clone(atoms), i, i+1)
		}
	}
	return atoms
}

// reshapeTo writes an ONNX Reshape of v to dims. The shape input copies
// unchanged leading axes (0), lets ONNX infer one dynamic axis (-1), and
// computes any other dynamic size from the inputs' Shape.
func (b *Builder) reshapeTo(v *value, shape shapes.Shape, dims []poly) *value {
	if sameDims(v.dims, dims) {
		return b.newValue(v.name, shape, dims)
	}
	if slices.Contains(shape.Dimensions, 0) {
		// A literal 0 would mean "copy" to ONNX unless allowzero is set.
		name := b.emit("Reshape", []string{v.name, b.vecI64(toI64(shape.Dimensions)...)}, onnxpb.AttrIntValue("allowzero", 1))
		return b.newValue(name, shape, dims)
	}
	entries := make([]int64, len(dims))
	var runtime []int // axes needing a run-time expression
	inferred := false
	for j, d := range dims {
		if c, ok := d.constant(); ok {
			entries[j] = c
			continue
		}
		if j < len(v.dims) && v.dims[j].equal(d) {
			entries[j] = 0
			continue
		}
		if !inferred {
			entries[j] = -1
			inferred = true
			continue
		}
		runtime = append(runtime, j)
	}
	var shapeName string
	if len(runtime) == 0 {
		shapeName = b.vecI64(entries...)
	} else {
		parts := make([]poly, len(dims))
		for j := range dims {
			parts[j] = constPoly(entries[j])
		}
		for _, j := range runtime {
			parts[j] = dims[j]
		}
		shapeName = b.shapeExprRaw(parts)
	}
	return b.newValue(b.emit("Reshape", []string{v.name, shapeName}), shape, dims)
}

// shapeExprRaw is shapeExpr for entries that may hold 0 and -1.
func (b *Builder) shapeExprRaw(dims []poly) string {
	var parts []string
	var run []int64
	for _, d := range dims {
		if c, ok := d.constant(); ok {
			run = append(run, c)
			continue
		}
		if len(run) > 0 {
			parts = append(parts, b.vecI64(run...))
			run = nil
		}
		parts = append(parts, b.dimExpr(d))
	}
	if len(run) > 0 {
		parts = append(parts, b.vecI64(run...))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return b.emit("Concat", parts, onnxpb.AttrIntValue("axis", 0))
}

// Transpose implements backends.Builder.
func (b *Builder) Transpose(x backends.Op, permutation ...int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.TransposeOp(v.shape, permutation)
	if err != nil {
		return nil, err
	}
	return b.transpose(v, shape, permutation), nil
}

func (b *Builder) transpose(v *value, shape shapes.Shape, perm []int) *value {
	identity := true
	for i, p := range perm {
		identity = identity && i == p
	}
	dims := make([]poly, len(perm))
	for i, p := range perm {
		dims[i] = v.dims[p]
	}
	if identity {
		return v
	}
	return b.newValue(b.emit("Transpose", []string{v.name}, onnxpb.AttrIntsValue("perm", toI64(perm))), shape, dims)
}

// BroadcastInDim implements backends.Builder: Unsqueeze the new axes, then
// Expand the axes that grow from 1.
func (b *Builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if err := shapeinference.BroadcastInDimOp(v.shape, outputShape, broadcastAxes); err != nil {
		return nil, err
	}
	outShape := outputShape.Clone()
	outShape.DType = v.shape.DType
	// Dims kept from x, and the unsqueezed layout.
	kept := make([]poly, outShape.Rank())
	mapped := make([]bool, outShape.Rank())
	for i, axis := range broadcastAxes {
		kept[axis] = v.dims[i]
		mapped[axis] = true
	}
	var newAxes []int64
	for k := range kept {
		if !mapped[k] {
			kept[k] = constPoly(1)
			newAxes = append(newAxes, int64(k))
		}
	}
	outDims := make([]poly, outShape.Rank())
	for k, n := range outShape.Dimensions {
		if kept[k].eval(b.syms.vals) == int64(n) {
			outDims[k] = kept[k]
			continue
		}
		p, err := b.syms.resolve(int64(n), v.dims)
		if err != nil {
			return nil, &DynamicShapeError{What: fmt.Sprintf("axis %d of broadcast shape %s", k, outShape), Err: err, Where: callerOutside()}
		}
		outDims[k] = p
	}
	name := v.name
	if len(newAxes) > 0 && v.shape.Rank() > 0 {
		name = b.emit("Unsqueeze", []string{name, b.vecI64(newAxes...)})
	}
	// Expand only the axes that grow; 1 leaves an axis as it is.
	expand := make([]poly, len(outDims))
	grows := false
	for k := range outDims {
		if kept[k].equal(outDims[k]) && v.shape.Rank() > 0 {
			expand[k] = constPoly(1)
			continue
		}
		expand[k] = outDims[k]
		grows = true
	}
	if grows {
		name = b.emit("Expand", []string{name, b.shapeExpr(expand)})
	}
	return b.newValue(name, outShape, outDims), nil
}

// Concatenate implements backends.Builder.
func (b *Builder) Concatenate(axis int, operands ...backends.Op) (backends.Op, error) {
	vs, err := b.vals(operands...)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("Concatenate: no operands")
	}
	ss := make([]shapes.Shape, len(vs))
	names := make([]string, len(vs))
	for i, v := range vs {
		ss[i], names[i] = v.shape, v.name
	}
	shape, err := shapeinference.ConcatenateOp(ss, axis)
	if err != nil {
		return nil, err
	}
	if len(vs) == 1 {
		return vs[0], nil
	}
	dims := slices.Clone(vs[0].dims)
	var sum poly
	for _, v := range vs {
		sum = sum.add(v.dims[axis])
	}
	dims[axis] = sum
	return b.newValue(b.emit("Concat", names, onnxpb.AttrIntValue("axis", int64(axis))), shape, dims), nil
}

// Slice implements backends.Builder with ONNX Slice. On a dynamic axis a
// bound equal to the traced size means "to the end", and a bound in the
// upper half of it counts from the end (negative), so no run-time shape is
// needed.
func (b *Builder) Slice(x backends.Op, starts, limits, strides []int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.SliceOp(v.shape, starts, limits, strides)
	if err != nil {
		return nil, err
	}
	dims := slices.Clone(v.dims)
	var axes, st, en, steps []int64
	for k := range starts {
		stride := 1
		if len(strides) > 0 {
			stride = strides[k]
		}
		n := v.shape.Dimensions[k]
		if starts[k] == 0 && limits[k] == n && stride == 1 {
			continue
		}
		axes = append(axes, int64(k))
		steps = append(steps, int64(stride))
		if _, static := v.dims[k].constant(); static {
			st = append(st, int64(starts[k]))
			en = append(en, int64(limits[k]))
			dims[k] = constPoly(int64(shape.Dimensions[k]))
			continue
		}
		if stride != 1 {
			return nil, &DynamicShapeError{What: fmt.Sprintf("Slice with stride %d of dynamic axis %d", stride, k),
				Err: fmt.Errorf("the output size is not a polynomial of the axis size"), Where: callerOutside()}
		}
		sIdx, sPoly := b.relBound(v.dims[k], starts[k], n)
		eIdx, ePoly := b.relBound(v.dims[k], limits[k], n)
		st = append(st, sIdx)
		en = append(en, eIdx)
		dims[k] = ePoly.sub(sPoly)
	}
	if len(axes) == 0 {
		return v, nil
	}
	name := b.emit("Slice", []string{v.name, b.vecI64(st...), b.vecI64(en...), b.vecI64(axes...), b.vecI64(steps...)})
	return b.newValue(name, shape, dims), nil
}

// relBound writes bound (of an axis of traced size n and polynomial d) as an
// ONNX Slice index, and its polynomial.
func (b *Builder) relBound(d poly, bound, n int) (int64, poly) {
	switch {
	case bound == n:
		return math.MaxInt64, d
	case bound <= n/2:
		return int64(bound), constPoly(int64(bound))
	default:
		return int64(bound - n), d.sub(constPoly(int64(n - bound)))
	}
}

// Reverse implements backends.Builder as a Slice with step -1.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		return v, nil
	}
	st, en, steps := make([]int64, len(axes)), make([]int64, len(axes)), make([]int64, len(axes))
	for i, a := range axes {
		if a < 0 || a >= v.shape.Rank() {
			return nil, fmt.Errorf("Reverse: axis %d out of range for shape %s", a, v.shape)
		}
		st[i], en[i], steps[i] = -1, math.MinInt64, -1
	}
	name := b.emit("Slice", []string{v.name, b.vecI64(st...), b.vecI64(en...), b.vecI64(toI64(axes)...), b.vecI64(steps...)})
	return b.like(name, v, v.shape.DType), nil
}

// Pad implements backends.Builder for start/end padding (no interior).
func (b *Builder) Pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	vs, err := b.vals(x, fillValue)
	if err != nil {
		return nil, err
	}
	v, fill := vs[0], vs[1]
	if len(axesConfig) > v.shape.Rank() {
		return nil, fmt.Errorf("Pad: %d axes configured for shape %s", len(axesConfig), v.shape)
	}
	if !fill.shape.IsScalar() || fill.shape.DType != v.shape.DType {
		return nil, fmt.Errorf("Pad: fill value must be a scalar of dtype %s, got %s", v.shape.DType, fill.shape)
	}
	rank := v.shape.Rank()
	pads := make([]int64, 2*rank)
	shape := v.shape.Clone()
	dims := slices.Clone(v.dims)
	for k, c := range axesConfig {
		if c.Interior != 0 {
			return nil, &UnsupportedOpError{Op: "Pad", Reason: "interior padding", Where: callerOutside()}
		}
		pads[k], pads[rank+k] = int64(c.Start), int64(c.End)
		shape.Dimensions[k] += c.Start + c.End
		if shape.Dimensions[k] < 0 {
			return nil, fmt.Errorf("Pad: axis %d would have size %d", k, shape.Dimensions[k])
		}
		dims[k] = dims[k].add(constPoly(int64(c.Start + c.End)))
	}
	name := b.emit("Pad", []string{v.name, b.vecI64(pads...), fill.name}, onnxpb.AttrStringValue("mode", "constant"))
	return b.newValue(name, shape, dims), nil
}

// Iota implements backends.Builder: Range (or a constant when static) along
// the axis, unsqueezed and expanded to the shape.
func (b *Builder) Iota(shape shapes.Shape, iotaAxis int) (backends.Op, error) {
	if iotaAxis < 0 || iotaAxis >= shape.Rank() {
		return nil, fmt.Errorf("Iota: axis %d out of range for shape %s", iotaAxis, shape)
	}
	odt, err := onnxpb.FromDType(shape.DType)
	if err != nil || shape.DType == dtypes.Bool {
		return nil, &UnsupportedOpError{Op: "Iota", Reason: "dtype " + shape.DType.String(), Where: callerOutside()}
	}
	dims, err := b.resolveDims(shape)
	if err != nil {
		return nil, err
	}
	n := dims[iotaAxis]
	var line string
	if c, ok := n.constant(); ok && c <= 4096 {
		// Short static ranges are stored; long ones computed (smaller file).
		vals := make([]int64, c)
		for i := range vals {
			vals[i] = int64(i)
		}
		line = b.constI64(vals, c)
	} else {
		line = b.emit("Range", []string{b.constI64([]int64{0}), b.dimScalar(n), b.constI64([]int64{1})})
	}
	if shape.DType != dtypes.Int64 {
		line = b.emit("Cast", []string{line}, onnxpb.AttrIntValue("to", int64(odt)))
	}
	var others []int64
	expand := make([]poly, len(dims))
	grows := false
	for k, d := range dims {
		expand[k] = constPoly(1)
		if k == iotaAxis {
			continue
		}
		others = append(others, int64(k))
		if c, ok := d.constant(); !ok || c != 1 {
			expand[k] = d
			grows = true
		}
	}
	if len(others) > 0 {
		line = b.emit("Unsqueeze", []string{line, b.vecI64(others...)})
	}
	if grows {
		line = b.emit("Expand", []string{line, b.shapeExpr(expand)})
	}
	return b.newValue(line, shape, dims), nil
}

func toI64(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}
