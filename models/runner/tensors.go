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

// rebuildCache makes each cache tensor [batch, heads, len, head_dim]
// anew, in one copy: row k of the result is row src[k] of the old one, or
// zeros where src[k] < 0 (a row that joins: its history starts at the
// end), keeping positions from … len−1.
func rebuildCache(vs []ort.Value, src []int, from int) ([]ort.Value, error) {
	out := make([]ort.Value, 0, len(vs))
	for _, v := range vs {
		data, err := floats(v, "cache")
		if err != nil {
			destroy(out)
			return nil, err
		}
		shape := v.GetShape()
		if len(shape) != 4 || from > int(shape[2]) {
			destroy(out)
			return nil, fmt.Errorf("cache: shape %v, keeping from position %d", shape, from)
		}
		heads, length, dim := int(shape[1]), int(shape[2]), int(shape[3])
		keep := (length - from) * dim
		res := make([]float32, len(src)*heads*keep)
		for k, r := range src {
			if r < 0 {
				continue
			}
			for h := range heads {
				in := ((r*heads+h)*length + from) * dim
				copy(res[(k*heads+h)*keep:], data[in:in+keep])
			}
		}
		t, err := ort.NewTensor(ort.NewShape(int64(len(src)), int64(heads), int64(length-from), int64(dim)), res)
		if err != nil {
			destroy(out)
			return nil, engine("cache", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// stackCross returns the encoder outputs of the rows keep of old
// followed by every row of add (nil: none).
func stackCross(old *Cross, keep []int, add *Cross) (*Cross, error) {
	n := len(old.values)
	c := &Cross{Batch: len(keep), values: make([]ort.Value, 0, n)}
	if add != nil {
		c.Batch += add.Batch
	}
	for i, v := range old.values {
		data, err := floats(v, "cross")
		if err != nil {
			c.Close()
			return nil, err
		}
		shape := v.GetShape()
		per := len(data) / int(shape[0])
		res := make([]float32, 0, per*c.Batch)
		for _, r := range keep {
			res = append(res, data[r*per:(r+1)*per]...)
		}
		if add != nil {
			more, err := floats(add.values[i], "cross")
			if err != nil {
				c.Close()
				return nil, err
			}
			res = append(res, more...)
		}
		ns := shape.Clone()
		ns[0] = int64(c.Batch)
		t, err := ort.NewTensor(ns, res)
		if err != nil {
			c.Close()
			return nil, engine("cross", err)
		}
		c.values = append(c.values, t)
	}
	return c, nil
}
