package runner

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// floats returns the data of a float32 tensor output (ONNX Runtime's
// memory: copy before the value is destroyed).
func floats(v ort.Value, what string) ([]float32, error) {
	t, ok := v.(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%s: got %T, want a float32 tensor", what, v)
	}
	return t.GetData(), nil
}

// gatherRows makes a new tensor holding rows (indices along axis 0) of v.
func gatherRows(v ort.Value, rows []int) (ort.Value, error) {
	data, err := floats(v, "cache")
	if err != nil {
		return nil, err
	}
	shape := v.GetShape()
	if len(shape) == 0 || shape[0] == 0 {
		return nil, fmt.Errorf("cache: shape %v has no rows", shape)
	}
	per := len(data) / int(shape[0])
	out := make([]float32, 0, per*len(rows))
	for _, r := range rows {
		out = append(out, data[r*per:(r+1)*per]...)
	}
	ns := shape.Clone()
	ns[0] = int64(len(rows))
	return ort.NewTensor(ns, out)
}
