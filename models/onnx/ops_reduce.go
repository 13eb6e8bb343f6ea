package onnx

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"rewardvision/models/onnx/onnxpb"
)

// reduce writes ONNX Reduce* with keepdims=0. Opset 18 takes the axes as an
// input for every Reduce op (opset 13-17 did so only for ReduceSum).
func (b *Builder) reduce(opType, name string, x backends.Op, axes []int) (*value, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		axes = make([]int, v.shape.Rank())
		for i := range axes {
			axes[i] = i
		}
	}
	shape, err := shapeinference.ReduceOp(v.shape, axes)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 { // scalar input
		return v, nil
	}
	dims := make([]poly, 0, shape.Rank())
	for k, d := range v.dims {
		if !slices.Contains(axes, k) {
			dims = append(dims, d)
		}
	}
	out := b.emit(opType, []string{v.name, b.vecI64(toI64(axes)...)}, onnxpb.AttrIntValue("keepdims", 0))
	return b.newValue(out, shape, dims), nil
}

func (b *Builder) reduceOp(opType, name string, x backends.Op, axes []int) (backends.Op, error) {
	v, err := b.reduce(opType, name, x, axes)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ReduceSum implements backends.Builder.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceOp("ReduceSum", "ReduceSum", x, axes)
}

// ReduceMax implements backends.Builder.
func (b *Builder) ReduceMax(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceOp("ReduceMax", "ReduceMax", x, axes)
}

// ReduceMin implements backends.Builder.
func (b *Builder) ReduceMin(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceOp("ReduceMin", "ReduceMin", x, axes)
}

// ReduceProduct implements backends.Builder as ReduceProd.
func (b *Builder) ReduceProduct(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceOp("ReduceProd", "ReduceProduct", x, axes)
}

// ReduceLogicalAnd implements backends.Builder: ReduceMin over the values
// cast to int32, cast back to bool.
func (b *Builder) ReduceLogicalAnd(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceLogical("ReduceMin", "ReduceLogicalAnd", x, axes)
}

// ReduceLogicalOr implements backends.Builder like ReduceLogicalAnd, with
// ReduceMax.
func (b *Builder) ReduceLogicalOr(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduceLogical("ReduceMax", "ReduceLogicalOr", x, axes)
}

func (b *Builder) reduceLogical(opType, name string, x backends.Op, axes []int) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	if v.shape.DType != dtypes.Bool {
		return nil, fmt.Errorf("%s: input must be bool, got %s", name, v.shape)
	}
	asInt := b.like(b.emit("Cast", []string{v.name}, onnxpb.AttrIntValue("to", int64(onnxpb.Int32))), v, dtypes.Int32)
	r, err := b.reduce(opType, name, asInt, axes)
	if err != nil {
		return nil, err
	}
	return b.like(b.emit("Cast", []string{r.name}, onnxpb.AttrIntValue("to", int64(onnxpb.Bool))), r, dtypes.Bool), nil
}

// ArgMinMax implements backends.Builder with ArgMin/ArgMax (first index on
// ties, as GoMLX), cast from int64 to the requested dtype.
func (b *Builder) ArgMinMax(x backends.Op, axis int, outputDType dtypes.DType, isMin bool) (backends.Op, error) {
	v, err := b.val(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.ArgMinMaxOp(v.shape, axis, outputDType)
	if err != nil {
		return nil, err
	}
	odt, err := onnxpb.FromDType(outputDType)
	if err != nil {
		return nil, err
	}
	op := "ArgMax"
	if isMin {
		op = "ArgMin"
	}
	out := b.emit(op, []string{v.name}, onnxpb.AttrIntValue("axis", int64(axis)), onnxpb.AttrIntValue("keepdims", 0))
	if outputDType != dtypes.Int64 {
		out = b.emit("Cast", []string{out}, onnxpb.AttrIntValue("to", int64(odt)))
	}
	dims := slices.Delete(slices.Clone(v.dims), axis, axis+1)
	return b.newValue(out, shape, dims), nil
}
