package onnx

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"rewardvision/models/onnx/onnxpb"
)

// unary emits a one-input ONNX op with the input's shape.
func (b *Builder) unary(op backends.OpType, onnxOp string, x backends.Op, attrs ...*onnxpb.Attribute) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.UnaryOp(op, v.shape)
	if err != nil {
		return nil, err
	}
	return b.like(b.emit(onnxOp, []string{v.name}, attrs...), v, shape.DType), nil
}

// Abs implements backends.Builder.
func (b *Builder) Abs(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeAbs, "Abs", x)
}

// Neg implements backends.Builder.
func (b *Builder) Neg(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeNeg, "Neg", x)
}

// Exp implements backends.Builder.
func (b *Builder) Exp(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeExp, "Exp", x)
}

// Log implements backends.Builder.
func (b *Builder) Log(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeLog, "Log", x)
}

// Sqrt implements backends.Builder.
func (b *Builder) Sqrt(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeSqrt, "Sqrt", x)
}

// Tanh implements backends.Builder.
func (b *Builder) Tanh(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeTanh, "Tanh", x)
}

// Logistic implements backends.Builder as Sigmoid.
func (b *Builder) Logistic(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeLogistic, "Sigmoid", x)
}

// Erf implements backends.Builder.
func (b *Builder) Erf(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeErf, "Erf", x)
}

// Sign implements backends.Builder.
func (b *Builder) Sign(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeSign, "Sign", x)
}

// Floor implements backends.Builder.
func (b *Builder) Floor(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeFloor, "Floor", x)
}

// Ceil implements backends.Builder.
func (b *Builder) Ceil(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeCeil, "Ceil", x)
}

// Round implements backends.Builder (both round half to even).
func (b *Builder) Round(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeRound, "Round", x)
}

// Cos implements backends.Builder.
func (b *Builder) Cos(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeCos, "Cos", x)
}

// Sin implements backends.Builder.
func (b *Builder) Sin(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeSin, "Sin", x)
}

// LogicalNot implements backends.Builder as Not.
func (b *Builder) LogicalNot(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeLogicalNot, "Not", x)
}

// BitwiseNot implements backends.Builder.
func (b *Builder) BitwiseNot(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeBitwiseNot, "BitwiseNot", x)
}

// Rsqrt implements backends.Builder as Reciprocal(Sqrt(x)).
func (b *Builder) Rsqrt(x backends.Op) (backends.Op, error) {
	s, err := b.unary(backends.OpTypeRsqrt, "Sqrt", x)
	if err != nil {
		return nil, err
	}
	v := s.(*value)
	return b.like(b.emit("Reciprocal", []string{v.name}), v, v.shape.DType), nil
}

// Log1p implements backends.Builder as Log(x + 1).
func (b *Builder) Log1p(x backends.Op) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if _, err := shapeinference.UnaryOp(backends.OpTypeLog1p, v.shape); err != nil {
		return nil, err
	}
	one, err := b.scalarOf(v.shape.DType, 1)
	if err != nil {
		return nil, err
	}
	sum := b.emit("Add", []string{v.name, one})
	return b.like(b.emit("Log", []string{sum}), v, v.shape.DType), nil
}

// Expm1 implements backends.Builder as Exp(x) - 1.
func (b *Builder) Expm1(x backends.Op) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if _, err := shapeinference.UnaryOp(backends.OpTypeExpm1, v.shape); err != nil {
		return nil, err
	}
	one, err := b.scalarOf(v.shape.DType, 1)
	if err != nil {
		return nil, err
	}
	e := b.emit("Exp", []string{v.name})
	return b.like(b.emit("Sub", []string{e, one}), v, v.shape.DType), nil
}

// IsNaN implements backends.Builder.
func (b *Builder) IsNaN(x backends.Op) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if !v.shape.DType.IsFloat() {
		return nil, &UnsupportedOpError{Op: "IsNaN", Reason: "non-float input " + v.shape.DType.String(), Where: callerOutside()}
	}
	return b.like(b.emit("IsNaN", []string{v.name}), v, dtypes.Bool), nil
}

// IsFinite implements backends.Builder as Not(IsInf(x) or IsNaN(x)).
func (b *Builder) IsFinite(x backends.Op) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if !v.shape.DType.IsFloat() {
		return nil, &UnsupportedOpError{Op: "IsFinite", Reason: "non-float input " + v.shape.DType.String(), Where: callerOutside()}
	}
	inf := b.emit("IsInf", []string{v.name})
	nan := b.emit("IsNaN", []string{v.name})
	bad := b.emit("Or", []string{inf, nan})
	return b.like(b.emit("Not", []string{bad}), v, dtypes.Bool), nil
}

// binary emits a two-input ONNX op; GoMLX's broadcasting (equal ranks with
// 1s, or a scalar) is a special case of ONNX's.
func (b *Builder) binary(op backends.OpType, onnxOp string, lhs, rhs backends.Op, attrs ...*onnxpb.Attribute) (*value, error) {
	vs, err := b.vals(lhs, rhs)
	if err != nil {
		return nil, err
	}
	var shape = vs[0].shape
	if shapeinference.ComparisonOperations.Has(op) {
		shape, err = shapeinference.ComparisonOp(op, vs[0].shape, vs[1].shape)
	} else {
		shape, err = shapeinference.BinaryOp(op, vs[0].shape, vs[1].shape)
	}
	if err != nil {
		return nil, err
	}
	return b.derived(onnxOp, shape, vs, attrs...)
}

func (b *Builder) binaryOp(op backends.OpType, onnxOp string, lhs, rhs backends.Op, attrs ...*onnxpb.Attribute) (backends.Op, error) {
	v, err := b.binary(op, onnxOp, lhs, rhs, attrs...)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Add implements backends.Builder.
func (b *Builder) Add(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeAdd, "Add", lhs, rhs)
}

// Sub implements backends.Builder.
func (b *Builder) Sub(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeSub, "Sub", lhs, rhs)
}

// Mul implements backends.Builder.
func (b *Builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeMul, "Mul", lhs, rhs)
}

// Div implements backends.Builder (integers truncate in both).
func (b *Builder) Div(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeDiv, "Div", lhs, rhs)
}

// Pow implements backends.Builder.
func (b *Builder) Pow(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypePow, "Pow", lhs, rhs)
}

// Max implements backends.Builder.
func (b *Builder) Max(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeMax, "Max", lhs, rhs)
}

// Min implements backends.Builder.
func (b *Builder) Min(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeMin, "Min", lhs, rhs)
}

// Rem implements backends.Builder as Mod with fmod=1: the result takes the
// dividend's sign, as Go's % and math.Mod do.
func (b *Builder) Rem(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeRem, "Mod", lhs, rhs, onnxpb.AttrIntValue("fmod", 1))
}

// LogicalAnd implements backends.Builder.
func (b *Builder) LogicalAnd(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeLogicalAnd, "And", lhs, rhs)
}

// LogicalOr implements backends.Builder.
func (b *Builder) LogicalOr(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeLogicalOr, "Or", lhs, rhs)
}

// LogicalXor implements backends.Builder.
func (b *Builder) LogicalXor(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeLogicalXor, "Xor", lhs, rhs)
}

// BitwiseAnd implements backends.Builder.
func (b *Builder) BitwiseAnd(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeBitwiseAnd, "BitwiseAnd", lhs, rhs)
}

// BitwiseOr implements backends.Builder.
func (b *Builder) BitwiseOr(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeBitwiseOr, "BitwiseOr", lhs, rhs)
}

// BitwiseXor implements backends.Builder.
func (b *Builder) BitwiseXor(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeBitwiseXor, "BitwiseXor", lhs, rhs)
}

// Equal implements backends.Builder.
func (b *Builder) Equal(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeEqual, "Equal", lhs, rhs)
}

// NotEqual implements backends.Builder as Not(Equal).
func (b *Builder) NotEqual(lhs, rhs backends.Op) (backends.Op, error) {
	eq, err := b.binary(backends.OpTypeNotEqual, "Equal", lhs, rhs)
	if err != nil {
		return nil, err
	}
	return b.like(b.emit("Not", []string{eq.name}), eq, dtypes.Bool), nil
}

// GreaterThan implements backends.Builder.
func (b *Builder) GreaterThan(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeGreaterThan, "Greater", lhs, rhs)
}

// GreaterOrEqual implements backends.Builder.
func (b *Builder) GreaterOrEqual(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeGreaterOrEqual, "GreaterOrEqual", lhs, rhs)
}

// LessThan implements backends.Builder.
func (b *Builder) LessThan(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeLessThan, "Less", lhs, rhs)
}

// LessOrEqual implements backends.Builder.
func (b *Builder) LessOrEqual(lhs, rhs backends.Op) (backends.Op, error) {
	return b.binaryOp(backends.OpTypeLessOrEqual, "LessOrEqual", lhs, rhs)
}

// Where implements backends.Builder; GoMLX's scalar broadcasting is ONNX's.
func (b *Builder) Where(cond, onTrue, onFalse backends.Op) (backends.Op, error) {
	vs, err := b.vals(cond, onTrue, onFalse)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.WhereOp(vs[0].shape, vs[1].shape, vs[2].shape)
	if err != nil {
		return nil, err
	}
	return b.derived("Where", shape, vs)
}

// Clamp implements backends.Builder: Clip when the bounds are scalars, else
// Max(Min(x, hi), lo).
func (b *Builder) Clamp(lo, x, hi backends.Op) (backends.Op, error) {
	vs, err := b.vals(lo, x, hi)
	if err != nil {
		return nil, err
	}
	l, v, h := vs[0], vs[1], vs[2]
	for _, bound := range []*value{l, h} {
		if bound.shape.DType != v.shape.DType {
			return nil, &UnsupportedOpError{Op: "Clamp", Reason: "bound dtype differs from operand", Where: callerOutside()}
		}
		if !bound.shape.IsScalar() && !bound.shape.Equal(v.shape) {
			return nil, &UnsupportedOpError{Op: "Clamp", Reason: "bounds must be scalars or shaped like the operand", Where: callerOutside()}
		}
	}
	if l.shape.IsScalar() && h.shape.IsScalar() {
		return b.like(b.emit("Clip", []string{v.name, l.name, h.name}), v, v.shape.DType), nil
	}
	m := b.emit("Min", []string{v.name, h.name})
	return b.like(b.emit("Max", []string{m, l.name}), v, v.shape.DType), nil
}

// ConvertDType implements backends.Builder as Cast.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	odt, err := onnxpb.FromDType(dtype)
	if err != nil {
		return nil, &UnsupportedOpError{Op: "ConvertDType", Reason: err.Error(), Where: callerOutside()}
	}
	if dtype == v.shape.DType {
		return v, nil
	}
	return b.like(b.emit("Cast", []string{v.name}, onnxpb.AttrIntValue("to", int64(odt))), v, dtype), nil
}

// Identity implements backends.Builder: the same value, no node.
func (b *Builder) Identity(x backends.Op) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	return v, nil
}
