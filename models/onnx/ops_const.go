package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"rewardvision/models/onnx/onnxpb"
)

// leakCheckMaxFloats is how many elements of a float constant are checked
// for leaked dynamic sizes: scalars and short vectors are where sizes turn
// up (means, scales, shape-like arrays); large tables (e.g. positional
// encodings) are skipped, as their values would give false alarms.
const leakCheckMaxFloats = 16

// Constant implements backends.Builder. Constants become initializers. A
// scalar equal to a dynamic size or its reciprocal (ReduceMean over a
// dynamic axis multiplies by 1/size) is rewritten into a run-time
// expression; other constants that hold such sizes, or are shaped by a
// dynamic axis with differing values, are rejected.
func (b *Builder) Constant(flat any, dims ...int) (backends.Op, error) {
	rv := reflect.ValueOf(flat)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("Constant: flat must be a slice, got %T", flat)
	}
	dt := dtypes.FromGoType(rv.Type().Elem())
	if _, ok := dtypeOK(dt); !ok {
		return nil, &UnsupportedOpError{Op: "Constant", Reason: fmt.Sprintf("dtype of %T", flat), Where: callerOutside()}
	}
	shape := shapes.Make(dt, dims...)
	if shape.Size() != rv.Len() {
		return nil, fmt.Errorf("Constant: %d values for shape %s", rv.Len(), shape)
	}
	pdims, err := b.resolveDims(shape)
	if err != nil {
		return nil, err
	}
	vals := floatsOf(rv)
	if !isStaticDims(pdims) {
		for i := 1; i < len(vals); i++ {
			if vals[i] != vals[0] && !(math.IsNaN(vals[i]) && math.IsNaN(vals[0])) {
				return nil, &DynamicShapeError{What: fmt.Sprintf("constant of shape %s", shape),
					Err: fmt.Errorf("its values differ, so it cannot be broadcast from a scalar"), Where: callerOutside()}
			}
		}
		scalar, err := b.constScalarValue(dt, rv.Index(0).Interface())
		if err != nil {
			return nil, err
		}
		name := b.emit("Expand", []string{scalar.name, b.shapeExpr(pdims)})
		return b.newValue(name, shape, pdims), nil
	}
	if shape.IsScalar() {
		if v, ok, err := b.rewriteScalar(dt, vals[0]); err != nil || ok {
			return v, err
		}
	}
	if err := b.checkLeak(dt, vals); err != nil {
		return nil, err
	}
	raw, err := rawBytes(rv, dt)
	if err != nil {
		return nil, err
	}
	odt, err := onnxpb.FromDType(dt)
	if err != nil {
		return nil, err
	}
	name := b.addConst("const", odt, toI64(dims), raw)
	return b.newValue(name, shape, pdims), nil
}

func (b *Builder) constScalarValue(dt dtypes.DType, x any) (*value, error) {
	rv := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(x)), 1, 1)
	rv.Index(0).Set(reflect.ValueOf(x))
	raw, err := rawBytes(rv, dt)
	if err != nil {
		return nil, err
	}
	odt, err := onnxpb.FromDType(dt)
	if err != nil {
		return nil, err
	}
	return b.newValue(b.addConst("const", odt, nil, raw), shapes.Make(dt), nil), nil
}

// rewriteScalar turns a scalar x = ±p or ±1/p, p a polynomial of dynamic
// sizes, into Cast(p) (or its reciprocal) computed at run time.
func (b *Builder) rewriteScalar(dt dtypes.DType, x float64) (*value, bool, error) {
	if b.syms.isStatic() || x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, false, nil
	}
	ax := math.Abs(x)
	p, direct := b.syms.matchFloat(ax)
	recip := false
	if !direct && dt.IsFloat() {
		p, recip = b.syms.matchFloat(1 / ax)
	}
	if !direct && !recip {
		return nil, false, nil
	}
	odt, err := onnxpb.FromDType(dt)
	if err != nil {
		return nil, false, err
	}
	name := b.dimScalar(p)
	if dt != dtypes.Int64 {
		name = b.emit("Cast", []string{name}, onnxpb.AttrIntValue("to", int64(odt)))
	}
	if recip {
		name = b.emit("Reciprocal", []string{name})
	}
	if x < 0 {
		name = b.emit("Neg", []string{name})
	}
	return b.newValue(name, shapes.Make(dt), nil), true, nil
}

// checkLeak rejects constants holding a multiple of a dynamic size (or, for
// floats, its reciprocal).
func (b *Builder) checkLeak(dt dtypes.DType, vals []float64) error {
	if b.syms.isStatic() || (dt.IsFloat() && len(vals) > leakCheckMaxFloats) {
		return nil
	}
	for i, x := range vals {
		ax := math.Abs(x)
		p, ok := b.syms.matchFloat(ax)
		if !ok && dt.IsFloat() && ax != 0 {
			p, ok = b.syms.matchFloat(1 / ax)
		}
		if ok {
			return &DynamicShapeError{What: fmt.Sprintf("value %g at index %d of a constant of %d %s values", x, i, len(vals), dt),
				Err: fmt.Errorf("it matches %s at the tracing sizes; compute it from the input's shape in the graph, "+
					"or set Spec.Sentinels if it is a coincidence", p.name(b.syms.names())), Where: callerOutside()}
		}
	}
	return nil
}

// floatsOf reads a numeric slice as float64s (bools as 0/1).
func floatsOf(rv reflect.Value) []float64 {
	out := make([]float64, rv.Len())
	for i := range out {
		e := rv.Index(i)
		switch e.Kind() {
		case reflect.Float32, reflect.Float64:
			out[i] = e.Float()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out[i] = float64(e.Int())
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			// float16 and bfloat16 are uint16 underneath; read their value.
			if h, ok := e.Interface().(interface{ Float32() float32 }); ok {
				out[i] = float64(h.Float32())
			} else {
				out[i] = float64(e.Uint())
			}
		case reflect.Bool:
			if e.Bool() {
				out[i] = 1
			}
		}
	}
	return out
}

// rawBytes encodes a slice little-endian, as TensorProto.raw_data wants.
func rawBytes(rv reflect.Value, dt dtypes.DType) ([]byte, error) {
	n := rv.Len()
	size := dt.Size()
	out := make([]byte, n*size)
	for i := 0; i < n; i++ {
		e := rv.Index(i)
		p := out[i*size:]
		switch e.Kind() {
		case reflect.Float32:
			binary.LittleEndian.PutUint32(p, math.Float32bits(float32(e.Float())))
		case reflect.Float64:
			binary.LittleEndian.PutUint64(p, math.Float64bits(e.Float()))
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
			putLE(p, uint64(e.Int()), size)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			putLE(p, e.Uint(), size) // also float16/bfloat16 bits
		case reflect.Bool:
			if e.Bool() {
				p[0] = 1
			}
		default:
			return nil, fmt.Errorf("constant element kind %s", e.Kind())
		}
	}
	return out, nil
}

func putLE(p []byte, v uint64, size int) {
	for i := 0; i < size; i++ {
		p[i] = byte(v >> (8 * i))
	}
}
