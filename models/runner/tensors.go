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
