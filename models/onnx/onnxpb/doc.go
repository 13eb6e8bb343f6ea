// Package onnxpb writes ONNX model files: the subset of onnx.proto that an
// exporter needs (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto with raw_data, ValueInfoProto, TypeProto.Tensor,
// TensorShapeProto, OperatorSetIdProto, StringStringEntryProto), encoded
// with google.golang.org/protobuf/encoding/protowire.
//
// Field numbers follow the public onnx/onnx.proto (proto2). Repeated scalar
// fields that onnx.proto declares unpacked (dims, ints, floats) are written
// unpacked, so any conforming parser reads them.
//
// The package only writes; Decode exists to let tests (and tools) check what
// was written without a second protobuf dependency.
package onnxpb
