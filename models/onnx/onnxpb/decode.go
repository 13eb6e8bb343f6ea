package onnxpb

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decode parses the subset of ModelProto this package writes. Unknown fields
// are skipped; malformed input gives an error naming the message and field.
// It is meant for tests and inspection tools, not as a general ONNX reader
// (it ignores typed data fields such as float_data).
func Decode(b []byte) (*Model, error) {
	m := &Model{}
	err := walk(b, "ModelProto", func(num protowire.Number, f field) error {
		switch num {
		case modelIRVersion:
			m.IRVersion = int64(f.varint)
		case modelProducerName:
			m.ProducerName = string(f.bytes)
		case modelProducerVersion:
			m.ProducerVersion = string(f.bytes)
		case modelDomain:
			m.Domain = string(f.bytes)
		case modelModelVersion:
			m.ModelVersion = int64(f.varint)
		case modelDocString:
			m.DocString = string(f.bytes)
		case modelGraph:
			g, err := decodeGraph(f.bytes)
			if err != nil {
				return err
			}
			m.Graph = g
		case modelOpsetImport:
			var o OperatorSetID
			err := walk(f.bytes, "OperatorSetIdProto", func(num protowire.Number, f field) error {
				switch num {
				case opsetDomain:
					o.Domain = string(f.bytes)
				case opsetVersion:
					o.Version = int64(f.varint)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.OpsetImports = append(m.OpsetImports, o)
		case modelMetadataProps:
			var e StringStringEntry
			err := walk(f.bytes, "StringStringEntryProto", func(num protowire.Number, f field) error {
				switch num {
				case entryKey:
					e.Key = string(f.bytes)
				case entryValue:
					e.Value = string(f.bytes)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.Metadata = append(m.Metadata, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	err := walk(b, "GraphProto", func(num protowire.Number, f field) error {
		switch num {
		case graphNode:
			n, err := decodeNode(f.bytes)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name = string(f.bytes)
		case graphDocString:
			g.DocString = string(f.bytes)
		case graphInitializer:
			t, err := decodeTensor(f.bytes)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.Initializers), err)
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput, graphValueInfo:
			v, err := decodeValueInfo(f.bytes)
			if err != nil {
				return err
			}
			switch num {
			case graphInput:
				g.Inputs = append(g.Inputs, v)
			case graphOutput:
				g.Outputs = append(g.Outputs, v)
			default:
				g.ValueInfo = append(g.ValueInfo, v)
			}
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*Node, error) {
	n := &Node{}
	err := walk(b, "NodeProto", func(num protowire.Number, f field) error {
		switch num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(f.bytes))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(f.bytes))
		case nodeName:
			n.Name = string(f.bytes)
		case nodeOpType:
			n.OpType = string(f.bytes)
		case nodeDomain:
			n.Domain = string(f.bytes)
		case nodeDocString:
			n.DocString = string(f.bytes)
		case nodeAttribute:
			a, err := decodeAttribute(f.bytes)
			if err != nil {
				return err
			}
			n.Attributes = append(n.Attributes, a)
		}
		return nil
	})
	return n, err
}

func decodeAttribute(b []byte) (*Attribute, error) {
	a := &Attribute{}
	err := walk(b, "AttributeProto", func(num protowire.Number, f field) error {
		switch num {
		case attrName:
			a.Name = string(f.bytes)
		case attrType:
			a.Type = AttributeType(f.varint)
		case attrF:
			a.F = math.Float32frombits(uint32(f.varint))
		case attrI:
			a.I = int64(f.varint)
		case attrS:
			a.S = append([]byte(nil), f.bytes...)
		case attrT:
			t, err := decodeTensor(f.bytes)
			if err != nil {
				return err
			}
			a.T = t
		case attrFloats:
			vs, err := f.fixed32s()
			if err != nil {
				return err
			}
			for _, v := range vs {
				a.Floats = append(a.Floats, math.Float32frombits(v))
			}
		case attrInts:
			vs, err := f.varints()
			if err != nil {
				return err
			}
			for _, v := range vs {
				a.Ints = append(a.Ints, int64(v))
			}
		case attrStrings:
			a.Strings = append(a.Strings, append([]byte(nil), f.bytes...))
		}
		return nil
	})
	return a, err
}

func decodeTensor(b []byte) (*Tensor, error) {
	t := &Tensor{}
	err := walk(b, "TensorProto", func(num protowire.Number, f field) error {
		switch num {
		case tensorDims:
			vs, err := f.varints()
			if err != nil {
				return err
			}
			for _, v := range vs {
				t.Dims = append(t.Dims, int64(v))
			}
		case tensorDataType:
			t.DataType = DataType(f.varint)
		case tensorName:
			t.Name = string(f.bytes)
		case tensorRawData:
			t.RawData = append([]byte(nil), f.bytes...)
		case tensorDocString:
			t.DocString = string(f.bytes)
		}
		return nil
	})
	return t, err
}

func decodeValueInfo(b []byte) (*ValueInfo, error) {
	v := &ValueInfo{}
	err := walk(b, "ValueInfoProto", func(num protowire.Number, f field) error {
		switch num {
		case valueInfoName:
			v.Name = string(f.bytes)
		case valueInfoDocString:
			v.DocString = string(f.bytes)
		case valueInfoType:
			return walk(f.bytes, "TypeProto", func(num protowire.Number, f field) error {
				if num != typeTensorType {
					return nil
				}
				return walk(f.bytes, "TypeProto.Tensor", func(num protowire.Number, f field) error {
					switch num {
					case tensorTypeElemType:
						v.ElemType = DataType(f.varint)
					case tensorTypeShape:
						v.HasShape = true
						return walk(f.bytes, "TensorShapeProto", func(num protowire.Number, f field) error {
							if num != shapeDim {
								return nil
							}
							var d Dimension
							err := walk(f.bytes, "Dimension", func(num protowire.Number, f field) error {
								switch num {
								case dimValue:
									d.Value = int64(f.varint)
								case dimParam:
									d.Param = string(f.bytes)
								}
								return nil
							})
							v.Shape = append(v.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return v, err
}

// field is one decoded protobuf field: varint (also fixed32/64 bits) or bytes.
type field struct {
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

// varints reads a repeated varint field, packed or not.
func (f field) varints() ([]uint64, error) {
	if f.typ == protowire.VarintType {
		return []uint64{f.varint}, nil
	}
	if f.typ != protowire.BytesType {
		return nil, fmt.Errorf("wire type %d for a varint field", f.typ)
	}
	var out []uint64
	for b := f.bytes; len(b) > 0; {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// fixed32s reads a repeated fixed32 field, packed or not.
func (f field) fixed32s() ([]uint32, error) {
	if f.typ == protowire.Fixed32Type {
		return []uint32{uint32(f.varint)}, nil
	}
	if f.typ != protowire.BytesType || len(f.bytes)%4 != 0 {
		return nil, errors.New("malformed packed fixed32 field")
	}
	out := make([]uint32, 0, len(f.bytes)/4)
	for b := f.bytes; len(b) > 0; {
		v, n := protowire.ConsumeFixed32(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// walk calls fn for every field of the message in b.
func walk(b []byte, msg string, fn func(protowire.Number, field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: bad tag: %w", msg, protowire.ParseError(n))
		}
		b = b[n:]
		var f field
		f.typ = typ
		switch typ {
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.varint = uint64(v)
		case protowire.Fixed64Type:
			f.varint, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n >= 0 {
				b = b[n:]
				continue
			}
		}
		if n < 0 {
			return fmt.Errorf("%s field %d: %w", msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, f); err != nil {
			return fmt.Errorf("%s field %d: %w", msg, num, err)
		}
	}
	return nil
}
