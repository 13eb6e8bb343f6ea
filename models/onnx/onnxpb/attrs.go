package onnxpb

// AttrIntValue makes an INT attribute.
func AttrIntValue(name string, v int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInt, I: v}
}

// AttrIntsValue makes an INTS attribute.
func AttrIntsValue(name string, v []int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInts, Ints: append([]int64(nil), v...)}
}

// AttrFloatValue makes a FLOAT attribute.
func AttrFloatValue(name string, v float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloat, F: v}
}

// AttrStringValue makes a STRING attribute.
func AttrStringValue(name, v string) *Attribute {
	return &Attribute{Name: name, Type: AttrString, S: []byte(v)}
}

// AttrTensorValue makes a TENSOR attribute.
func AttrTensorValue(name string, t *Tensor) *Attribute {
	return &Attribute{Name: name, Type: AttrTensor, T: t}
}
