package onnxpb

import (
	"bytes"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func sampleModel() *Model {
	return &Model{
		IRVersion:       8,
		OpsetImports:    []OperatorSetID{{Version: 18}},
		ProducerName:    "rewardvision",
		ProducerVersion: "test",
		DocString:       "doc",
		Metadata:        []StringStringEntry{{"k", "v"}},
		Graph: &Graph{
			Name: "g",
			Nodes: []*Node{{
				Inputs: []string{"x", "w"}, Outputs: []string{"y"}, Name: "mm", OpType: "MatMul",
				Attributes: []*Attribute{
					AttrIntValue("axis", -1),
					AttrIntsValue("perm", []int64{0, 2, 1}),
					AttrFloatValue("alpha", 0.5),
					AttrStringValue("equation", "ij,jk->ik"),
					AttrTensorValue("value", &Tensor{Dims: []int64{1}, DataType: Int64, RawData: []byte{1, 0, 0, 0, 0, 0, 0, 0}}),
					{Name: "fs", Type: AttrFloats, Floats: []float32{1, -2}},
				},
			}},
			Initializers: []*Tensor{{Name: "w", Dims: []int64{2, 3}, DataType: Float, RawData: make([]byte, 24)}},
			Inputs: []*ValueInfo{{Name: "x", ElemType: Float, HasShape: true,
				Shape: []Dimension{{Param: "batch"}, {Value: 2}}}},
			Outputs: []*ValueInfo{{Name: "y", ElemType: Float, HasShape: true,
				Shape: []Dimension{{Param: "batch"}, {Value: 3}}}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	m := sampleModel()
	got, err := Decode(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, m)
	}
}

// TestFieldNumbers pins a few encodings to onnx.proto's field numbers.
func TestFieldNumbers(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"ModelProto.ir_version=1", (&Model{IRVersion: 8}).Marshal()[:2], []byte{1 << 3, 8}},
		{"OperatorSetIdProto.version=2", OperatorSetID{Version: 18}.appendTo(nil), []byte{2 << 3, 18}},
		{"Dimension.dim_param=2", Dimension{Param: "b"}.appendTo(nil), []byte{2<<3 | 2, 1, 'b'}},
		{"Dimension.dim_value=1", Dimension{Value: 7}.appendTo(nil), []byte{1 << 3, 7}},
		{"AttributeProto.i=3,type=20", AttrIntValue("", 5).AppendTo(nil),
			protowire.AppendVarint(protowire.AppendTag(protowire.AppendVarint(protowire.AppendTag(nil, 20, 0), 2), 3, 0), 5)},
	}
	for _, tc := range tests {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: got % x, want % x", tc.name, tc.got, tc.want)
		}
	}
}

// TestStructureSplice checks that structure + initializers written apart
// decode to the same graph as one Graph.AppendTo.
func TestStructureSplice(t *testing.T) {
	m := sampleModel()
	structure := m.Graph.AppendStructure(nil)
	spliced := m.AppendWithGraphBytes(nil, func(b []byte) []byte {
		b = append(b, structure...)
		return AppendInitializers(b, m.Graph.Initializers)
	})
	a, err := Decode(spliced)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, m) {
		t.Errorf("spliced model differs")
	}
}

func TestDecodeErrors(t *testing.T) {
	good := sampleModel().Marshal()
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated", good[:len(good)-3]},
		{"bad tag", []byte{0}},
		{"bad varint", []byte{1 << 3, 0xff}},
		{"bad length", []byte{7<<3 | 2, 50, 1}},
	}
	for _, tc := range tests {
		if _, err := Decode(tc.in); err == nil {
			t.Errorf("%s: Decode succeeded, want an error", tc.name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(sampleModel().Marshal())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same thing.
		m2, err := Decode(m.Marshal())
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		_ = m2
	})
}
