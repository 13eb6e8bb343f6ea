package onnxpb

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx.proto, one block per message.
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelDomain          = 4
	modelModelVersion    = 5
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDocString   = 10
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDocString = 6
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrT       = 5
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrType    = 20

	tensorDims      = 1
	tensorDataType  = 2
	tensorName      = 8
	tensorRawData   = 9
	tensorDocString = 12

	valueInfoName      = 1
	valueInfoType      = 2
	valueInfoDocString = 3

	typeTensorType = 1

	tensorTypeElemType = 1
	tensorTypeShape    = 2

	shapeDim = 1

	dimValue = 1
	dimParam = 2
)

// AttributeType is AttributeProto.AttributeType.
type AttributeType int32

// AttributeProto.AttributeType values used here.
const (
	AttrFloat   AttributeType = 1
	AttrInt     AttributeType = 2
	AttrString  AttributeType = 3
	AttrTensor  AttributeType = 4
	AttrFloats  AttributeType = 6
	AttrInts    AttributeType = 7
	AttrStrings AttributeType = 8
)

// Model is ModelProto.
type Model struct {
	IRVersion       int64
	OpsetImports    []OperatorSetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	Metadata        []StringStringEntry
}

// OperatorSetID is OperatorSetIdProto; Domain "" is the default ai.onnx set.
type OperatorSetID struct {
	Domain  string
	Version int64
}

// StringStringEntry is StringStringEntryProto (model metadata).
type StringStringEntry struct{ Key, Value string }

// Graph is GraphProto. Nodes must be in topological order.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	DocString    string
}

// Node is NodeProto.
type Node struct {
	Inputs     []string
	Outputs    []string
	Name       string
	OpType     string
	Domain     string
	Attributes []*Attribute
	DocString  string
}

// Attribute is AttributeProto; Type says which value field is meaningful.
type Attribute struct {
	Name    string
	Type    AttributeType
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings [][]byte
}

// Tensor is TensorProto with its data in raw_data (little-endian, bools one
// byte each), the only encoding this writer produces.
type Tensor struct {
	Name      string
	Dims      []int64
	DataType  DataType
	RawData   []byte
	DocString string
}

// ValueInfo is ValueInfoProto for a tensor value.
type ValueInfo struct {
	Name      string
	ElemType  DataType
	Shape     []Dimension // nil with HasShape false: unknown rank
	HasShape  bool
	DocString string
}

// Dimension is TensorShapeProto.Dimension: a fixed size, or a symbolic name
// (dim_param) when Param is not empty.
type Dimension struct {
	Value int64
	Param string
}

// Marshal encodes the model.
func (m *Model) Marshal() []byte { return m.AppendTo(nil) }

// AppendTo appends the encoded model to b.
func (m *Model) AppendTo(b []byte) []byte {
	return m.AppendWithGraphBytes(b, func(b []byte) []byte {
		if m.Graph == nil {
			return b
		}
		return m.Graph.AppendTo(b)
	})
}

// AppendWithGraphBytes appends the model with its graph field produced by
// appendGraph (which appends an encoded GraphProto body). It lets a caller
// splice a graph assembled from cached, pre-encoded parts.
func (m *Model) AppendWithGraphBytes(b []byte, appendGraph func([]byte) []byte) []byte {
	b = appendVarintField(b, modelIRVersion, uint64(m.IRVersion))
	b = appendStringField(b, modelProducerName, m.ProducerName)
	b = appendStringField(b, modelProducerVersion, m.ProducerVersion)
	b = appendStringField(b, modelDomain, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarintField(b, modelModelVersion, uint64(m.ModelVersion))
	}
	b = appendStringField(b, modelDocString, m.DocString)
	b = AppendMessage(b, modelGraph, appendGraph)
	for _, o := range m.OpsetImports {
		b = AppendMessage(b, modelOpsetImport, o.appendTo)
	}
	for _, e := range m.Metadata {
		b = AppendMessage(b, modelMetadataProps, e.appendTo)
	}
	return b
}

func (o OperatorSetID) appendTo(b []byte) []byte {
	b = appendStringField(b, opsetDomain, o.Domain)
	return appendVarintFieldAlways(b, opsetVersion, uint64(o.Version))
}

func (e StringStringEntry) appendTo(b []byte) []byte {
	b = appendStringField(b, entryKey, e.Key)
	return appendStringField(b, entryValue, e.Value)
}

// AppendTo appends the encoded graph body to b.
func (g *Graph) AppendTo(b []byte) []byte {
	b = g.AppendStructure(b)
	return AppendInitializers(b, g.Initializers)
}

// AppendStructure appends everything but the initializers. Protobuf lets
// repeated fields come in any order, so a graph body may be written as
// AppendStructure followed by AppendInitializers, and the structure part
// reused when only the initializers change.
func (g *Graph) AppendStructure(b []byte) []byte {
	for _, n := range g.Nodes {
		b = AppendMessage(b, graphNode, n.AppendTo)
	}
	b = appendStringField(b, graphName, g.Name)
	b = appendStringField(b, graphDocString, g.DocString)
	for _, v := range g.Inputs {
		b = AppendMessage(b, graphInput, v.AppendTo)
	}
	for _, v := range g.Outputs {
		b = AppendMessage(b, graphOutput, v.AppendTo)
	}
	for _, v := range g.ValueInfo {
		b = AppendMessage(b, graphValueInfo, v.AppendTo)
	}
	return b
}

// AppendInitializers appends tensors as GraphProto.initializer fields.
func AppendInitializers(b []byte, ts []*Tensor) []byte {
	for _, t := range ts {
		b = AppendMessage(b, graphInitializer, t.AppendTo)
	}
	return b
}

// AppendTo appends the encoded node to b.
func (n *Node) AppendTo(b []byte) []byte {
	for _, s := range n.Inputs {
		b = appendStringFieldAlways(b, nodeInput, s)
	}
	for _, s := range n.Outputs {
		b = appendStringFieldAlways(b, nodeOutput, s)
	}
	b = appendStringField(b, nodeName, n.Name)
	b = appendStringField(b, nodeOpType, n.OpType)
	for _, a := range n.Attributes {
		b = AppendMessage(b, nodeAttribute, a.AppendTo)
	}
	b = appendStringField(b, nodeDocString, n.DocString)
	return appendStringField(b, nodeDomain, n.Domain)
}

// AppendTo appends the encoded attribute to b.
func (a *Attribute) AppendTo(b []byte) []byte {
	b = appendStringField(b, attrName, a.Name)
	b = appendVarintFieldAlways(b, attrType, uint64(a.Type))
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = appendVarintFieldAlways(b, attrI, uint64(a.I))
	case AttrString:
		b = protowire.AppendTag(b, attrS, protowire.BytesType)
		b = protowire.AppendBytes(b, a.S)
	case AttrTensor:
		if a.T != nil {
			b = AppendMessage(b, attrT, a.T.AppendTo)
		}
	case AttrFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, attrFloats, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case AttrInts:
		for _, i := range a.Ints {
			b = appendVarintFieldAlways(b, attrInts, uint64(i))
		}
	case AttrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, attrStrings, protowire.BytesType)
			b = protowire.AppendBytes(b, s)
		}
	}
	return b
}

// AppendTo appends the encoded tensor to b.
func (t *Tensor) AppendTo(b []byte) []byte {
	for _, d := range t.Dims {
		b = appendVarintFieldAlways(b, tensorDims, uint64(d))
	}
	b = appendVarintFieldAlways(b, tensorDataType, uint64(t.DataType))
	b = appendStringField(b, tensorName, t.Name)
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	b = protowire.AppendBytes(b, t.RawData)
	return appendStringField(b, tensorDocString, t.DocString)
}

// AppendTo appends the encoded value info to b.
func (v *ValueInfo) AppendTo(b []byte) []byte {
	b = appendStringField(b, valueInfoName, v.Name)
	b = AppendMessage(b, valueInfoType, func(b []byte) []byte {
		return AppendMessage(b, typeTensorType, v.appendTensorType)
	})
	return appendStringField(b, valueInfoDocString, v.DocString)
}

func (v *ValueInfo) appendTensorType(b []byte) []byte {
	b = appendVarintFieldAlways(b, tensorTypeElemType, uint64(v.ElemType))
	if !v.HasShape {
		return b
	}
	return AppendMessage(b, tensorTypeShape, func(b []byte) []byte {
		for _, d := range v.Shape {
			b = AppendMessage(b, shapeDim, d.appendTo)
		}
		return b
	})
}

func (d Dimension) appendTo(b []byte) []byte {
	if d.Param != "" {
		return appendStringFieldAlways(b, dimParam, d.Param)
	}
	return appendVarintFieldAlways(b, dimValue, uint64(d.Value))
}

// AppendMessage appends field num holding the message body that body
// appends. The body is built in a scratch buffer first, since its length
// prefix comes before it.
func AppendMessage(b []byte, num protowire.Number, body func([]byte) []byte) []byte {
	msg := body(nil)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// appendStringField skips empty strings (proto2 optional: absent == "").
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringFieldAlways(b, num, s)
}

func appendStringFieldAlways(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarintFieldAlways(b, num, v)
}

func appendVarintFieldAlways(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}
