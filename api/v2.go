package api

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// The Open Inference Protocol (KServe v2, as Triton speaks it) over
// HTTP/JSON, with Triton's binary tensor data extension: wire types and
// the codec that both the server and Client use.

// HeaderInferenceHeaderLength is the binary extension's header: the
// length of the JSON object at the start of the body; the tensors' bytes
// follow it.
const HeaderInferenceHeaderLength = "Inference-Header-Content-Length"

// Data types of the protocol.
const (
	TypeBool   = "BOOL"
	TypeUint8  = "UINT8"
	TypeUint16 = "UINT16"
	TypeUint32 = "UINT32"
	TypeUint64 = "UINT64"
	TypeInt8   = "INT8"
	TypeInt16  = "INT16"
	TypeInt32  = "INT32"
	TypeInt64  = "INT64"
	TypeFP16   = "FP16"
	TypeFP32   = "FP32"
	TypeFP64   = "FP64"
	TypeBytes  = "BYTES"
)

// Parameters of the binary extension.
const (
	ParamBinaryDataSize   = "binary_data_size"   // $request_input, $response_output: bytes of the tensor after the JSON
	ParamBinaryData       = "binary_data"        // $request_output: return this output as binary
	ParamBinaryDataOutput = "binary_data_output" // $inference_request: return every output as binary
)

// elemSize is the bytes per element of a fixed-size data type (0 for
// BYTES, -1 for an unknown type).
func elemSize(dt string) int {
	switch dt {
	case TypeBool, TypeUint8, TypeInt8:
		return 1
	case TypeUint16, TypeInt16, TypeFP16:
		return 2
	case TypeUint32, TypeInt32, TypeFP32:
		return 4
	case TypeUint64, TypeInt64, TypeFP64:
		return 8
	case TypeBytes:
		return 0
	}
	return -1
}

// V2ServerMetadata answers GET /v2.
type V2ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// V2TensorMetadata describes one input or output of a model; -1 in a
// shape is a dimension of any size.
type V2TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// V2ModelMetadata answers GET /v2/models/{m}[/versions/{v}].
type V2ModelMetadata struct {
	Name     string             `json:"name"`
	Versions []string           `json:"versions,omitempty"`
	Platform string             `json:"platform"`
	Inputs   []V2TensorMetadata `json:"inputs"`
	Outputs  []V2TensorMetadata `json:"outputs"`
}

// V2Error is the protocol's error object.
type V2Error struct {
	Error string `json:"error"`
}

// V2RepositoryIndexRequest is the body of POST /v2/repository/index.
type V2RepositoryIndexRequest struct {
	RepositoryName string `json:"repository_name,omitempty"`
	Ready          bool   `json:"ready,omitempty"`
}

// V2RepositoryModel is one entry of the repository index.
type V2RepositoryModel struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	State   string `json:"state,omitempty"` // READY, UNAVAILABLE, LOADING, UNLOADING
	Reason  string `json:"reason,omitempty"`
}

// V2RepositoryLoadRequest is the optional body of a load or unload.
type V2RepositoryLoadRequest struct {
	Parameters map[string]any `json:"parameters,omitempty"`
}

// InferTensor is an input or output tensor. Its contents are set with a
// constructor (FP32Tensor, ...) and read with the As methods; Data and
// the binary_data_size parameter are the wire form, filled by the codec.
type InferTensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`

	raw   []byte   // fixed-size types: the elements, little-endian
	elems [][]byte // BYTES: the elements
}

// InferRequestOutput names an output the client wants.
type InferRequestOutput struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// InferRequest is the body of POST /v2/models/{m}[/versions/{v}]/infer.
type InferRequest struct {
	ID         string               `json:"id,omitempty"`
	Parameters map[string]any       `json:"parameters,omitempty"`
	Inputs     []*InferTensor       `json:"inputs"`
	Outputs    []InferRequestOutput `json:"outputs,omitempty"`
}

// InferResponse is the answer of an inference.
type InferResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []*InferTensor `json:"outputs"`
}

// Output returns the output called name, or nil.
func (r *InferResponse) Output(name string) *InferTensor {
	for _, t := range r.Outputs {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Elements is the number of elements the shape holds.
func (t *InferTensor) Elements() (int, error) {
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor %s: negative dimension in shape %v", t.Name, t.Shape)
		}
		if d > 0 && n > math.MaxInt32/int(d) {
			return 0, fmt.Errorf("tensor %s: shape %v is too large", t.Name, t.Shape)
		}
		n *= int(d)
	}
	return n, nil
}

// RawTensor makes a tensor of a fixed-size datatype from its elements'
// little-endian bytes (for types without a constructor of their own).
func RawTensor(name, datatype string, shape []int64, raw []byte) *InferTensor {
	return &InferTensor{Name: name, Shape: shape, Datatype: datatype, raw: bytes.Clone(raw)}
}

// FP32Tensor makes a float32 tensor.
func FP32Tensor(name string, shape []int64, v []float32) *InferTensor {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return &InferTensor{Name: name, Shape: shape, Datatype: TypeFP32, raw: raw}
}

// Int64Tensor makes an int64 tensor.
func Int64Tensor(name string, shape []int64, v []int64) *InferTensor {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return &InferTensor{Name: name, Shape: shape, Datatype: TypeInt64, raw: raw}
}

// Uint8Tensor makes a uint8 tensor (e.g. RGB pixels, [H, W, 3]).
func Uint8Tensor(name string, shape []int64, v []byte) *InferTensor {
	return &InferTensor{Name: name, Shape: shape, Datatype: TypeUint8, raw: bytes.Clone(v)}
}

// BytesTensor makes a BYTES tensor (strings, or encoded images).
func BytesTensor(name string, shape []int64, v [][]byte) *InferTensor {
	return &InferTensor{Name: name, Shape: shape, Datatype: TypeBytes, elems: v}
}

// StringTensor makes a BYTES tensor of strings.
func StringTensor(name string, shape []int64, v []string) *InferTensor {
	elems := make([][]byte, len(v))
	for i, s := range v {
		elems[i] = []byte(s)
	}
	return BytesTensor(name, shape, elems)
}

// AsBytes returns the elements of a BYTES tensor.
func (t *InferTensor) AsBytes() ([][]byte, error) {
	if t.Datatype != TypeBytes {
		return nil, fmt.Errorf("tensor %s: datatype %s, want BYTES", t.Name, t.Datatype)
	}
	return t.elems, nil
}

// AsUint8 returns the elements of a UINT8 tensor.
func (t *InferTensor) AsUint8() ([]byte, error) {
	if t.Datatype != TypeUint8 {
		return nil, fmt.Errorf("tensor %s: datatype %s, want UINT8", t.Name, t.Datatype)
	}
	return t.raw, nil
}

// AsFloat32 returns the elements of an FP32 tensor.
func (t *InferTensor) AsFloat32() ([]float32, error) {
	if t.Datatype != TypeFP32 {
		return nil, fmt.Errorf("tensor %s: datatype %s, want FP32", t.Name, t.Datatype)
	}
	out := make([]float32, len(t.raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
	}
	return out, nil
}

// AsInt64 returns the elements of a tensor of any integer type as int64
// (UINT64 values above MaxInt64 are refused).
func (t *InferTensor) AsInt64() ([]int64, error) {
	n := elemSize(t.Datatype)
	switch t.Datatype {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeUint8, TypeUint16, TypeUint32, TypeUint64:
	default:
		return nil, fmt.Errorf("tensor %s: datatype %s, want an integer type", t.Name, t.Datatype)
	}
	out := make([]int64, len(t.raw)/n)
	for i := range out {
		v, err := intAt(t.raw[n*i:], t.Datatype)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		out[i] = v
	}
	return out, nil
}

// AsFloat64 returns the elements of a tensor of any numeric type except
// FP16 as float64.
func (t *InferTensor) AsFloat64() ([]float64, error) {
	n := elemSize(t.Datatype)
	if n <= 0 || t.Datatype == TypeFP16 || t.Datatype == TypeBool {
		return nil, fmt.Errorf("tensor %s: datatype %s, want a number type", t.Name, t.Datatype)
	}
	out := make([]float64, len(t.raw)/n)
	for i := range out {
		b := t.raw[n*i:]
		switch t.Datatype {
		case TypeFP32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case TypeFP64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case TypeUint64:
			out[i] = float64(binary.LittleEndian.Uint64(b))
		default:
			v, _ := intAt(b, t.Datatype)
			out[i] = float64(v)
		}
	}
	return out, nil
}

func intAt(b []byte, dt string) (int64, error) {
	switch dt {
	case TypeInt8:
		return int64(int8(b[0])), nil
	case TypeUint8:
		return int64(b[0]), nil
	case TypeInt16:
		return int64(int16(binary.LittleEndian.Uint16(b))), nil
	case TypeUint16:
		return int64(binary.LittleEndian.Uint16(b)), nil
	case TypeInt32:
		return int64(int32(binary.LittleEndian.Uint32(b))), nil
	case TypeUint32:
		return int64(binary.LittleEndian.Uint32(b)), nil
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	case TypeUint64:
		v := binary.LittleEndian.Uint64(b)
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("UINT64 value %d above 2^63-1", v)
		}
		return int64(v), nil
	}
	return 0, fmt.Errorf("datatype %s is not an integer type", dt)
}

// binarySize returns a tensor's binary_data_size parameter (ok false when
// it has none).
func (t *InferTensor) binarySize() (int, bool, error) {
	v, ok := t.Parameters[ParamBinaryDataSize]
	if !ok {
		return 0, false, nil
	}
	var n int64
	switch x := v.(type) {
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, true, fmt.Errorf("input %s: %s %v: want an integer", t.Name, ParamBinaryDataSize, v)
		}
		n = i
	case float64:
		n = int64(x)
		if float64(n) != x {
			return 0, true, fmt.Errorf("input %s: %s %v: want an integer", t.Name, ParamBinaryDataSize, v)
		}
	case int:
		n = int64(x)
	case int64:
		n = x
	default:
		return 0, true, fmt.Errorf("input %s: %s %v: want an integer", t.Name, ParamBinaryDataSize, v)
	}
	if n < 0 {
		return 0, true, fmt.Errorf("input %s: %s %d: want ≥ 0", t.Name, ParamBinaryDataSize, n)
	}
	return int(n), true, nil
}

// setBinary reads a tensor's contents from its binary form.
func (t *InferTensor) setBinary(b []byte) error {
	n, err := t.Elements()
	if err != nil {
		return err
	}
	size := elemSize(t.Datatype)
	switch {
	case size < 0:
		return fmt.Errorf("tensor %s: unknown datatype %q", t.Name, t.Datatype)
	case size == 0:
		var elems [][]byte
		for len(b) > 0 {
			if len(b) < 4 {
				return fmt.Errorf("tensor %s: BYTES element cut short in the binary data", t.Name)
			}
			l := binary.LittleEndian.Uint32(b)
			b = b[4:]
			if uint64(l) > uint64(len(b)) {
				return fmt.Errorf("tensor %s: BYTES element of %d bytes, %d left in the binary data", t.Name, l, len(b))
			}
			elems, b = append(elems, b[:l:l]), b[l:]
		}
		if len(elems) != n {
			return fmt.Errorf("tensor %s: %d BYTES elements in the binary data, shape %v holds %d", t.Name, len(elems), t.Shape, n)
		}
		t.elems = elems
	default:
		if len(b) != n*size {
			return fmt.Errorf("tensor %s: %d bytes of binary data, shape %v of %s needs %d", t.Name, len(b), t.Shape, t.Datatype, n*size)
		}
		t.raw = b
	}
	return nil
}

// appendBinary appends a tensor's binary form.
func (t *InferTensor) appendBinary(dst []byte) []byte {
	if t.Datatype != TypeBytes {
		return append(dst, t.raw...)
	}
	for _, e := range t.elems {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e)))
		dst = append(dst, e...)
	}
	return dst
}

// setJSON reads a tensor's contents from its JSON data, flattened (the
// protocol allows nested arrays, row-major). BYTES elements are strings;
// base64 says whether they are base64 (binary payloads sent as JSON).
func (t *InferTensor) setJSON(base64Bytes bool) error {
	n, err := t.Elements()
	if err != nil {
		return err
	}
	size := elemSize(t.Datatype)
	if size < 0 {
		return fmt.Errorf("tensor %s: unknown datatype %q", t.Name, t.Datatype)
	}
	if t.Datatype == TypeFP16 {
		return fmt.Errorf("tensor %s: FP16 has no JSON form; send it with the binary extension", t.Name)
	}
	var flat []any
	if len(t.Data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(t.Data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("tensor %s: data: %w", t.Name, err)
		}
		flat = flatten(v, flat)
	}
	if len(flat) != n {
		return fmt.Errorf("tensor %s: %d data elements, shape %v holds %d", t.Name, len(flat), t.Shape, n)
	}
	if size == 0 {
		t.elems = make([][]byte, n)
		for i, e := range flat {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("tensor %s: BYTES element %d is %T, want a string", t.Name, i, e)
			}
			if base64Bytes {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return fmt.Errorf("tensor %s: element %d: want base64: %w", t.Name, i, err)
				}
				t.elems[i] = b
			} else {
				t.elems[i] = []byte(s)
			}
		}
		return nil
	}
	t.raw = make([]byte, 0, n*size)
	for i, e := range flat {
		if t.raw, err = appendNumber(t.raw, t.Datatype, e); err != nil {
			return fmt.Errorf("tensor %s: element %d: %w", t.Name, i, err)
		}
	}
	return nil
}

func flatten(v any, dst []any) []any {
	if a, ok := v.([]any); ok {
		for _, e := range a {
			dst = flatten(e, dst)
		}
		return dst
	}
	return append(dst, v)
}

func appendNumber(dst []byte, dt string, e any) ([]byte, error) {
	if dt == TypeBool {
		b, ok := e.(bool)
		if !ok {
			return nil, fmt.Errorf("%v: want true or false", e)
		}
		if b {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	}
	num, ok := e.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%v (%T): want a number", e, e)
	}
	switch dt {
	case TypeFP32:
		f, err := strconv.ParseFloat(num.String(), 32)
		if err != nil {
			return nil, fmt.Errorf("%s: want an FP32 number", num)
		}
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
	case TypeFP64:
		f, err := strconv.ParseFloat(num.String(), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: want an FP64 number", num)
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		bits := 8 * elemSize(dt)
		u, err := strconv.ParseUint(num.String(), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%s: want a %s", num, dt)
		}
		return appendUint(dst, u, bits/8), nil
	default: // signed integers
		bits := 8 * elemSize(dt)
		i, err := strconv.ParseInt(num.String(), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%s: want an %s", num, dt)
		}
		return appendUint(dst, uint64(i), bits/8), nil
	}
}

func appendUint(dst []byte, u uint64, n int) []byte {
	for i := range n {
		dst = append(dst, byte(u>>(8*i)))
	}
	return dst
}

// jsonData renders a tensor's contents as its JSON data (flat).
func (t *InferTensor) jsonData(base64Bytes bool) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	if t.Datatype == TypeBytes {
		for i, e := range t.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			s := string(e)
			if base64Bytes {
				s = base64.StdEncoding.EncodeToString(e)
			}
			q, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			b.Write(q)
		}
	} else {
		size := elemSize(t.Datatype)
		if size <= 0 || t.Datatype == TypeFP16 {
			return nil, fmt.Errorf("tensor %s: datatype %s has no JSON form", t.Name, t.Datatype)
		}
		for i := 0; i < len(t.raw); i += size {
			if i > 0 {
				b.WriteByte(',')
			}
			e := t.raw[i:]
			switch t.Datatype {
			case TypeBool:
				b.WriteString(strconv.FormatBool(e[0] != 0))
			case TypeFP32:
				f := math.Float32frombits(binary.LittleEndian.Uint32(e))
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					return nil, fmt.Errorf("tensor %s: %v has no JSON form", t.Name, f)
				}
				b.WriteString(strconv.FormatFloat(float64(f), 'g', -1, 32))
			case TypeFP64:
				f := math.Float64frombits(binary.LittleEndian.Uint64(e))
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return nil, fmt.Errorf("tensor %s: %v has no JSON form", t.Name, f)
				}
				b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			case TypeUint64:
				b.WriteString(strconv.FormatUint(binary.LittleEndian.Uint64(e), 10))
			default:
				v, _ := intAt(e, t.Datatype)
				b.WriteString(strconv.FormatInt(v, 10))
			}
		}
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// encodeTensors fills each tensor's wire form: binary ones get their
// binary_data_size and their bytes appended to the returned tail, the
// others their JSON data.
func encodeTensors(ts []*InferTensor, binaryOf func(*InferTensor) bool, base64Bytes bool) ([]byte, error) {
	var tail []byte
	for _, t := range ts {
		delete(t.Parameters, ParamBinaryDataSize)
		if binaryOf(t) {
			start := len(tail)
			tail = t.appendBinary(tail)
			if t.Parameters == nil {
				t.Parameters = map[string]any{}
			}
			t.Parameters[ParamBinaryDataSize] = len(tail) - start
			t.Data = nil
			continue
		}
		d, err := t.jsonData(base64Bytes)
		if err != nil {
			return nil, err
		}
		t.Data = d
	}
	return tail, nil
}

// decodeTensors reads each tensor's contents from its wire form: tensors
// with binary_data_size take their bytes from tail, in order.
func decodeTensors(ts []*InferTensor, tail []byte, base64Bytes bool) error {
	for _, t := range ts {
		if t == nil {
			return errors.New("null tensor")
		}
		n, ok, err := t.binarySize()
		if err != nil {
			return err
		}
		if !ok {
			if err := t.setJSON(base64Bytes); err != nil {
				return err
			}
			continue
		}
		if len(t.Data) > 0 {
			return fmt.Errorf("tensor %s: both data and %s", t.Name, ParamBinaryDataSize)
		}
		if n > len(tail) {
			return fmt.Errorf("tensor %s: %s %d, only %d bytes of binary data left", t.Name, ParamBinaryDataSize, n, len(tail))
		}
		if err := t.setBinary(tail[:n:n]); err != nil {
			return err
		}
		tail = tail[n:]
	}
	if len(tail) > 0 {
		return fmt.Errorf("%d bytes of binary data after the last binary tensor", len(tail))
	}
	return nil
}

// splitBody cuts a body at the JSON header's length (the
// Inference-Header-Content-Length header; "" means the whole body is
// JSON).
func splitBody(body []byte, headerLen string) ([]byte, []byte, error) {
	if headerLen == "" {
		return body, nil, nil
	}
	n, err := strconv.Atoi(headerLen)
	if err != nil || n < 0 || n > len(body) {
		return nil, nil, fmt.Errorf("%s %q: want the JSON's length, 0..%d", HeaderInferenceHeaderLength, headerLen, len(body))
	}
	return body[:n], body[n:], nil
}

func decodeJSONObject(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// DecodeInferRequest reads a request body; headerLen is the
// Inference-Header-Content-Length header ("" without the binary
// extension). BYTES given as JSON are base64 when base64Bytes (binary
// payloads such as images), else text.
func DecodeInferRequest(body []byte, headerLen string, base64Bytes func(input string) bool) (*InferRequest, error) {
	js, tail, err := splitBody(body, headerLen)
	if err != nil {
		return nil, err
	}
	var r InferRequest
	if err := decodeJSONObject(js, &r); err != nil {
		return nil, fmt.Errorf("inference request: %w", err)
	}
	// JSON inputs here; the binary ones, in order, from the tail.
	var bin []*InferTensor
	for _, t := range r.Inputs {
		if t == nil {
			return nil, errors.New("inference request: null input")
		}
		if hasBinary(t) {
			bin = append(bin, t)
			continue
		}
		if err := t.setJSON(base64Bytes != nil && base64Bytes(t.Name)); err != nil {
			return nil, err
		}
	}
	if err := decodeTensors(bin, tail, false); err != nil {
		return nil, err
	}
	return &r, nil
}

func hasBinary(t *InferTensor) bool {
	_, ok := t.Parameters[ParamBinaryDataSize]
	return ok
}

// Encode writes the request: with binary, every input's data follows the
// JSON (the returned header length goes in Inference-Header-Content-Length),
// else all is JSON (BYTES inputs named in base64Inputs as base64) and the
// length is -1.
func (r *InferRequest) Encode(binaryInputs bool, base64Inputs ...string) ([]byte, int, error) {
	tail, err := encodeTensorsEach(r.Inputs, func(*InferTensor) bool { return binaryInputs }, base64Inputs)
	if err != nil {
		return nil, 0, err
	}
	return assemble(r, tail, binaryInputs)
}

func encodeTensorsEach(ts []*InferTensor, binaryOf func(*InferTensor) bool, base64Names []string) ([]byte, error) {
	var tail []byte
	for _, t := range ts {
		b64 := false
		for _, n := range base64Names {
			b64 = b64 || n == t.Name
		}
		part, err := encodeTensors([]*InferTensor{t}, binaryOf, b64)
		if err != nil {
			return nil, err
		}
		tail = append(tail, part...)
	}
	return tail, nil
}

func assemble(v any, tail []byte, binary bool) ([]byte, int, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, 0, err
	}
	if !binary {
		return js, -1, nil
	}
	return append(js, tail...), len(js), nil
}

// Encode writes the response: outputs for which binaryOut is true as
// binary data after the JSON (then the header length is ≥ 0 and goes in
// Inference-Header-Content-Length), BYTES outputs named in base64Outputs
// as base64 in JSON.
func (r *InferResponse) Encode(binaryOut func(name string) bool, base64Outputs ...string) ([]byte, int, error) {
	someBinary := false
	for _, t := range r.Outputs {
		someBinary = someBinary || binaryOut(t.Name)
	}
	tail, err := encodeTensorsEach(r.Outputs, func(t *InferTensor) bool { return binaryOut(t.Name) }, base64Outputs)
	if err != nil {
		return nil, 0, err
	}
	return assemble(r, tail, someBinary)
}

// DecodeInferResponse reads a response body (headerLen as for
// DecodeInferRequest). BYTES outputs in JSON are kept as sent.
func DecodeInferResponse(body []byte, headerLen string) (*InferResponse, error) {
	js, tail, err := splitBody(body, headerLen)
	if err != nil {
		return nil, err
	}
	var r InferResponse
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("inference response: %w", err)
	}
	var bin []*InferTensor
	for _, t := range r.Outputs {
		if t == nil {
			return nil, errors.New("inference response: null output")
		}
		if hasBinary(t) {
			bin = append(bin, t)
			continue
		}
		if err := t.setJSON(false); err != nil {
			return nil, err
		}
	}
	if err := decodeTensors(bin, tail, false); err != nil {
		return nil, err
	}
	return &r, nil
}
