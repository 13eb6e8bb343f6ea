package onnxpb

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// DataType is TensorProto.DataType.
type DataType int32

// TensorProto.DataType values (onnx.proto).
const (
	Undefined  DataType = 0
	Float      DataType = 1
	Uint8      DataType = 2
	Int8       DataType = 3
	Uint16     DataType = 4
	Int16      DataType = 5
	Int32      DataType = 6
	Int64      DataType = 7
	String     DataType = 8
	Bool       DataType = 9
	Float16    DataType = 10
	Double     DataType = 11
	Uint32     DataType = 12
	Uint64     DataType = 13
	Complex64  DataType = 14
	Complex128 DataType = 15
	BFloat16   DataType = 16
)

var dataTypeNames = map[DataType]string{
	Undefined: "UNDEFINED", Float: "FLOAT", Uint8: "UINT8", Int8: "INT8", Uint16: "UINT16",
	Int16: "INT16", Int32: "INT32", Int64: "INT64", String: "STRING", Bool: "BOOL",
	Float16: "FLOAT16", Double: "DOUBLE", Uint32: "UINT32", Uint64: "UINT64",
	Complex64: "COMPLEX64", Complex128: "COMPLEX128", BFloat16: "BFLOAT16",
}

func (d DataType) String() string {
	if s, ok := dataTypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// FromDType maps a GoMLX dtype to the ONNX element type.
func FromDType(dt dtypes.DType) (DataType, error) {
	switch dt {
	case dtypes.Float32:
		return Float, nil
	case dtypes.Float64:
		return Double, nil
	case dtypes.Float16:
		return Float16, nil
	case dtypes.BFloat16:
		return BFloat16, nil
	case dtypes.Int8:
		return Int8, nil
	case dtypes.Int16:
		return Int16, nil
	case dtypes.Int32:
		return Int32, nil
	case dtypes.Int64:
		return Int64, nil
	case dtypes.Uint8:
		return Uint8, nil
	case dtypes.Uint16:
		return Uint16, nil
	case dtypes.Uint32:
		return Uint32, nil
	case dtypes.Uint64:
		return Uint64, nil
	case dtypes.Bool:
		return Bool, nil
	case dtypes.Complex64:
		return Complex64, nil
	case dtypes.Complex128:
		return Complex128, nil
	}
	return Undefined, fmt.Errorf("dtype %s has no ONNX equivalent", dt)
}
