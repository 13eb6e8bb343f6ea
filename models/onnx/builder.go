package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/notimplemented"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"rewardvision/models/onnx/onnxpb"
)

// value is the backends.Op of this backend: one ONNX tensor value, with its
// traced (sentinel) shape and its symbolic dims.
type value struct {
	name  string
	shape shapes.Shape
	dims  []poly
	b     *Builder
}

// Builder implements backends.Builder by appending ONNX nodes. Ops it does
// not implement come from the embedded notimplemented.Builder, whose ErrFn
// returns an *UnsupportedOpError naming the op and the model code that
// called it.
type Builder struct {
	notimplemented.Builder

	name string
	spec *Spec
	syms *symbols

	nodes     []*onnxpb.Node
	consts    []*onnxpb.Tensor // graph constants (always initializers)
	inputs    []*value         // spec inputs, in spec order
	weights   []*weightParam   // context variables read by the graph, in creation order
	outputs   []*value
	counter   int
	usedNames map[string]bool

	constCache map[string]string // content key → initializer name, for small int64 constants
	exprCache  map[string]string // poly key → [1] int64 value holding its run-time value
	scalarExpr map[string]string // poly key → rank-0 int64 value
	shapeCache map[string]string // dims key → int64 shape vector

	compiled bool
}

// weightParam is a graph parameter backed by a context variable.
type weightParam struct {
	param string // GoMLX parameter name ("var:/scope/name")
	val   *value
}

var _ backends.Builder = (*Builder)(nil)

func newBuilder(spec *Spec, syms *symbols) *Builder {
	b := &Builder{
		name:       spec.Name,
		spec:       spec,
		syms:       syms,
		usedNames:  map[string]bool{},
		constCache: map[string]string{},
		exprCache:  map[string]string{},
		scalarExpr: map[string]string{},
		shapeCache: map[string]string{},
	}
	b.Builder.ErrFn = func(op backends.OpType) error {
		return &UnsupportedOpError{Op: op.String(), Where: callerOutside()}
	}
	for _, in := range spec.Inputs {
		b.usedNames[in.Name] = true
	}
	for _, o := range spec.Outputs {
		b.usedNames[o] = true
	}
	return b
}

// Name implements backends.Builder.
func (b *Builder) Name() string { return b.name }

// OpShape implements backends.Builder.
func (b *Builder) OpShape(op backends.Op) (shapes.Shape, error) {
	v, err := b.val(op)
	if err != nil {
		return shapes.Invalid(), err
	}
	return v.shape, nil
}

// DistributedSPMD, DistributedAutoSharding: export is single-device.
func (b *Builder) DistributedSPMD(int) error {
	return &UnsupportedOpError{Op: "DistributedSPMD", Where: callerOutside()}
}

// DistributedAutoSharding implements backends.Builder (unsupported).
func (b *Builder) DistributedAutoSharding(...backends.Mesh) error {
	return &UnsupportedOpError{Op: "DistributedAutoSharding", Where: callerOutside()}
}

// DeviceAssignment accepts only device 0.
func (b *Builder) DeviceAssignment(devices ...backends.DeviceNum) error {
	if len(devices) == 1 && devices[0] == 0 {
		return nil
	}
	return &UnsupportedOpError{Op: "DeviceAssignment", Reason: "only one device", Where: callerOutside()}
}

// val converts an Op to this builder's value.
func (b *Builder) val(op backends.Op) (*value, error) {
	v, ok := op.(*value)
	if !ok || v == nil {
		return nil, fmt.Errorf("onnx builder %q: op %T is not an ONNX value", b.name, op)
	}
	if v.b != b {
		return nil, fmt.Errorf("onnx builder %q: value %s belongs to another graph", b.name, v.name)
	}
	return v, nil
}

func (b *Builder) vals(ops ...backends.Op) ([]*value, error) {
	out := make([]*value, len(ops))
	for i, op := range ops {
		v, err := b.val(op)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// fresh returns a new unique value name with the given stem.
func (b *Builder) fresh(stem string) string {
	for {
		b.counter++
		name := fmt.Sprintf("%s_%d", stem, b.counter)
		if !b.usedNames[name] {
			b.usedNames[name] = true
			return name
		}
	}
}

// emit appends a node with one output and returns the output name.
func (b *Builder) emit(opType string, inputs []string, attrs ...*onnxpb.Attribute) string {
	out := b.fresh(strings.ToLower(opType))
	b.nodes = append(b.nodes, &onnxpb.Node{
		Inputs: inputs, Outputs: []string{out}, Name: "n_" + out, OpType: opType, Attributes: attrs,
	})
	return out
}

// newValue wraps an ONNX value name with its shape; dims are resolved from
// the shape with the hints (the inputs' dims) unless given.
func (b *Builder) newValue(name string, shape shapes.Shape, dims []poly) *value {
	for _, d := range dims {
		b.syms.register(d)
	}
	return &value{name: name, shape: shape, dims: dims, b: b}
}

// resolveDims maps every dim of shape to a polynomial, preferring the hints.
func (b *Builder) resolveDims(shape shapes.Shape, hints ...[]poly) ([]poly, error) {
	dims := make([]poly, shape.Rank())
	for i, n := range shape.Dimensions {
		p, err := b.syms.resolve(int64(n), hints...)
		if err != nil {
			return nil, &DynamicShapeError{What: fmt.Sprintf("axis %d of shape %s", i, shape), Err: err, Where: callerOutside()}
		}
		dims[i] = p
	}
	return dims, nil
}

// derived emits opType over inputs and returns a value of the given shape,
// with dims taken from the inputs' dims where sizes match.
func (b *Builder) derived(opType string, shape shapes.Shape, inputs []*value, attrs ...*onnxpb.Attribute) (*value, error) {
	names := make([]string, len(inputs))
	hints := make([][]poly, len(inputs))
	for i, in := range inputs {
		names[i] = in.name
		hints[i] = in.dims
	}
	dims, err := b.resolveDims(shape, hints...)
	if err != nil {
		return nil, err
	}
	return b.newValue(b.emit(opType, names, attrs...), shape, dims), nil
}

// like returns a value with the same shape/dims as v, named name.
func (b *Builder) like(name string, v *value, dtype dtypes.DType) *value {
	s := v.shape.Clone()
	s.DType = dtype
	return b.newValue(name, s, v.dims)
}

// ---- constants -----------------------------------------------------------

// addConst stores a constant initializer and returns its name.
func (b *Builder) addConst(stem string, dt onnxpb.DataType, dims []int64, raw []byte) string {
	name := b.fresh(stem)
	b.consts = append(b.consts, &onnxpb.Tensor{Name: name, Dims: dims, DataType: dt, RawData: raw})
	return name
}

// constI64 returns a cached int64 constant (shape vectors, axes, indices).
func (b *Builder) constI64(vals []int64, dims ...int64) string {
	key := fmt.Sprint(dims, vals)
	if name, ok := b.constCache[key]; ok {
		return name
	}
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		putU64(raw[8*i:], uint64(v))
	}
	name := b.addConst("const_i64", onnxpb.Int64, dims, raw)
	b.constCache[key] = name
	return name
}

// vecI64 is a 1-D int64 constant.
func (b *Builder) vecI64(vals ...int64) string { return b.constI64(vals, int64(len(vals))) }

// scalarOf returns a rank-0 constant of dtype dt holding x.
func (b *Builder) scalarOf(dt dtypes.DType, x float64) (string, error) {
	odt, err := onnxpb.FromDType(dt)
	if err != nil {
		return "", err
	}
	key := fmt.Sprint("scalar", dt, x)
	if name, ok := b.constCache[key]; ok {
		return name, nil
	}
	raw, err := scalarBytes(dt, x)
	if err != nil {
		return "", err
	}
	name := b.addConst("const_scalar", odt, nil, raw)
	b.constCache[key] = name
	return name, nil
}

func putU64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func scalarBytes(dt dtypes.DType, x float64) ([]byte, error) {
	switch dt {
	case dtypes.Float32:
		v := math.Float32bits(float32(x))
		return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}, nil
	case dtypes.Float64:
		b := make([]byte, 8)
		putU64(b, math.Float64bits(x))
		return b, nil
	case dtypes.Int64, dtypes.Uint64:
		b := make([]byte, 8)
		putU64(b, uint64(int64(x)))
		return b, nil
	case dtypes.Int32, dtypes.Uint32:
		v := uint32(int32(int64(x)))
		return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}, nil
	case dtypes.Int16, dtypes.Uint16:
		v := uint16(int16(int64(x)))
		return []byte{byte(v), byte(v >> 8)}, nil
	case dtypes.Int8, dtypes.Uint8:
		return []byte{byte(int8(int64(x)))}, nil
	case dtypes.Bool:
		if x != 0 {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	}
	return nil, fmt.Errorf("no scalar constant of dtype %s", dt)
}

// ---- run-time dimensions -------------------------------------------------

// dimExpr returns the name of an int64 [1] value holding p at run time.
func (b *Builder) dimExpr(p poly) string {
	if c, ok := p.constant(); ok {
		return b.vecI64(c)
	}
	key := p.key()
	if name, ok := b.exprCache[key]; ok {
		return name
	}
	var sum string
	for _, t := range p {
		var prod string
		for _, s := range t.syms {
			sv := b.symExpr(s)
			if prod == "" {
				prod = sv
			} else {
				prod = b.emit("Mul", []string{prod, sv})
			}
		}
		switch {
		case prod == "":
			prod = b.vecI64(t.coef)
		case t.coef != 1:
			prod = b.emit("Mul", []string{prod, b.vecI64(t.coef)})
		}
		if sum == "" {
			sum = prod
		} else {
			sum = b.emit("Add", []string{sum, prod})
		}
	}
	b.exprCache[key] = sum
	return sum
}

// symExpr reads dynamic axis s from its owning input: Shape(start, end).
func (b *Builder) symExpr(s int) string {
	key := "sym:" + symsKey([]int{s})
	if name, ok := b.exprCache[key]; ok {
		return name
	}
	y := b.syms.syms[s]
	name := b.emit("Shape", []string{y.input},
		onnxpb.AttrIntValue("start", int64(y.axis)), onnxpb.AttrIntValue("end", int64(y.axis+1)))
	b.exprCache[key] = name
	return name
}

// dimScalar returns a rank-0 int64 value holding p at run time.
func (b *Builder) dimScalar(p poly) string {
	if c, ok := p.constant(); ok {
		return b.constI64([]int64{c})
	}
	key := p.key()
	if name, ok := b.scalarExpr[key]; ok {
		return name
	}
	name := b.emit("Squeeze", []string{b.dimExpr(p), b.vecI64(0)})
	b.scalarExpr[key] = name
	return name
}

// shapeExpr returns the name of an int64 [rank] value holding dims at run
// time: a constant when all are static, else a Concat of runs of static
// sizes and run-time expressions (cached per distinct dims).
func (b *Builder) shapeExpr(dims []poly) string {
	if isStaticDims(dims) {
		return b.shapeExprRaw(dims)
	}
	key := dimsKey(dims)
	if name, ok := b.shapeCache[key]; ok {
		return name
	}
	name := b.shapeExprRaw(dims)
	b.shapeCache[key] = name
	return name
}

func isStaticDims(dims []poly) bool {
	for _, d := range dims {
		if _, ok := d.constant(); !ok {
			return false
		}
	}
	return true
}

func dimsKey(dims []poly) string {
	keys := make([]string, len(dims))
	for i, d := range dims {
		keys[i] = d.key()
	}
	return strings.Join(keys, ",")
}

func sameDims(a, b []poly) bool {
	return len(a) == len(b) && dimsKey(a) == dimsKey(b)
}
