package api

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateV2 = flag.Bool("update", false, "rewrite the golden files under testdata/v2")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "v2", name)
	if *updateV2 {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func uint32s(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

// TestDocumentedJSONExample decodes the protocol's JSON request example
// and the response example.
func TestDocumentedJSONExample(t *testing.T) {
	data, err := os.ReadFile("testdata/v2/infer-request.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeInferRequest(data, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "42" || len(req.Inputs) != 2 || len(req.Outputs) != 1 || req.Outputs[0].Name != "output0" {
		t.Fatalf("request %+v", req)
	}
	in0, err := req.Inputs[0].AsInt64()
	if err != nil || !slices.Equal(in0, []int64{1, 2, 3, 4}) {
		t.Errorf("input0 %v %v", in0, err)
	}
	if !bytes.Equal(req.Inputs[1].raw, []byte{1, 0, 1}) {
		t.Errorf("input1 %v", req.Inputs[1].raw)
	}
	data, err = os.ReadFile("testdata/v2/infer-response.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := DecodeInferResponse(data, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := resp.Output("output0").AsFloat32()
	if err != nil || !slices.Equal(out, []float32{1.0, 1.1, 2.0, 2.1, 3.0, 3.1}) {
		t.Errorf("output0 %v %v", out, err)
	}
	if resp.ID != "42" || !slices.Equal(resp.Outputs[0].Shape, []int64{3, 2}) {
		t.Errorf("response %+v", resp)
	}
}

// TestBinaryRoundTrip writes the binary extension's documented exchange
// (JSON header golden, tensor bytes after it) and reads it back.
func TestBinaryRoundTrip(t *testing.T) {
	req := &InferRequest{
		Inputs: []*InferTensor{
			RawTensor("input0", TypeUint32, []int64{2, 2}, uint32s(1, 2, 3, 4)),
			RawTensor("input1", TypeBool, []int64{3}, []byte{1, 0, 1}),
		},
		Outputs: []InferRequestOutput{{Name: "output0", Parameters: map[string]any{ParamBinaryData: true}}, {Name: "output1"}},
	}
	body, n, err := req.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "binary-request.header.json", body[:n])
	if want := append(uint32s(1, 2, 3, 4), 1, 0, 1); !bytes.Equal(body[n:], want) {
		t.Errorf("binary part %v, want %v", body[n:], want)
	}
	back, err := DecodeInferRequest(body, strconv.Itoa(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := back.Inputs[0].AsInt64(); !slices.Equal(v, []int64{1, 2, 3, 4}) {
		t.Errorf("input0 back %v", v)
	}
	if !bytes.Equal(back.Inputs[1].raw, []byte{1, 0, 1}) {
		t.Errorf("input1 back %v", back.Inputs[1].raw)
	}
	if back.Outputs[0].Parameters[ParamBinaryData] != true {
		t.Errorf("output0 parameters %v", back.Outputs[0].Parameters)
	}

	resp := &InferResponse{ModelName: "mymodel", ModelVersion: "1", Outputs: []*InferTensor{
		FP32Tensor("output0", []int64{3, 2}, []float32{1.5, 1, 3.2, 2.8, 3.3, 4.7}),
		StringTensor("output1", []int64{2}, []string{"a cat", "two dogs"}),
	}}
	body, n, err = resp.Encode(func(name string) bool { return name == "output0" })
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "binary-response.header.json", body[:n])
	if len(body)-n != 24 {
		t.Errorf("%d bytes after the header, want 24", len(body)-n)
	}
	rb, err := DecodeInferResponse(body, strconv.Itoa(n))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rb.Output("output0").AsFloat32(); !slices.Equal(v, []float32{1.5, 1, 3.2, 2.8, 3.3, 4.7}) {
		t.Errorf("output0 back %v", v)
	}
	if v, _ := rb.Output("output1").AsBytes(); len(v) != 2 || string(v[1]) != "two dogs" {
		t.Errorf("output1 back %q", v)
	}

	// BYTES in binary: a 4-byte length before each element.
	img := []byte{0x89, 'P', 'N', 'G', 0, 1}
	req = &InferRequest{Inputs: []*InferTensor{BytesTensor("image", []int64{1}, [][]byte{img})}}
	body, n, err = req.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{6, 0, 0, 0}, img...); !bytes.Equal(body[n:], want) {
		t.Errorf("BYTES binary %v, want %v", body[n:], want)
	}
	// The same as base64 in JSON.
	body, n, err = req.Encode(false, "image")
	if err != nil || n != -1 || !strings.Contains(string(body), `"data":["iVBORwAB"]`) {
		t.Errorf("JSON %s %d %v", body, n, err)
	}
	back, err = DecodeInferRequest(body, "", func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := back.Inputs[0].AsBytes(); len(v) != 1 || !bytes.Equal(v[0], img) {
		t.Errorf("image back %v", v)
	}
}

func TestDecodeInferRequestErrors(t *testing.T) {
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	tests := []struct {
		name, json, header string
		tail               []byte
		want               string
	}{
		{"count", `{"inputs":[{"name":"a","shape":[3],"datatype":"BOOL","data":[true]}]}`, "", nil, "1 data elements, shape [3] holds 3"},
		{"nested", `{"inputs":[{"name":"a","shape":[2,2],"datatype":"INT64","data":[[1,2],[3,4]]}]}`, "", nil, ""},
		{"range", `{"inputs":[{"name":"a","shape":[1],"datatype":"UINT8","data":[256]}]}`, "", nil, "256: want a UINT8"},
		{"fraction", `{"inputs":[{"name":"a","shape":[1],"datatype":"INT64","data":[1.5]}]}`, "", nil, "1.5: want an INT64"},
		{"fp16 json", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP16","data":[1]}]}`, "", nil, "FP16 has no JSON form"},
		{"unknown type", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP8","data":[1]}]}`, "", nil, `unknown datatype "FP8"`},
		{"unknown field", `{"inputz":[]}`, "", nil, `unknown field "inputz"`},
		{"negative", `{"inputs":[{"name":"a","shape":[-1],"datatype":"FP32","data":[]}]}`, "", nil, "negative dimension"},
		{"binary", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`, "H", f32(2), ""},
		{"binary short", `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`, "H", f32(2), "binary_data_size 8, only 4 bytes"},
		{"binary size", `{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`, "H", f32(2), "4 bytes of binary data, shape [2] of FP32 needs 8"},
		{"binary left", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`, "H", append(f32(2), 0), "1 bytes of binary data after"},
		{"binary and data", `{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]}`, "H", f32(2), "both data and binary_data_size"},
		{"binary bytes", `{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":5}}]}`, "H", []byte{9, 0, 0, 0, 1}, "element of 9 bytes, 1 left"},
		{"header length", `{"inputs":[]}`, "x", nil, "Inference-Header-Content-Length \"x\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := append([]byte(tc.json), tc.tail...)
			h := tc.header
			if h == "H" {
				h = strconv.Itoa(len(tc.json))
			}
			_, err := DecodeInferRequest(body, h, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
