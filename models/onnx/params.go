package onnx

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Parameter implements backends.Builder. A parameter is either one of
// Spec.Inputs (created by Trace, in order) or a context variable read by
// the traced function (named by its ParameterName), which becomes a weight.
func (b *Builder) Parameter(name string, shape shapes.Shape, _ *backends.ShardingSpec) (backends.Op, error) {
	if b.compiled {
		return nil, fmt.Errorf("onnx builder %q: Parameter %q after Compile", b.name, name)
	}
	for i, in := range b.spec.Inputs {
		if in.Name != name {
			continue
		}
		if i != len(b.inputs) {
			return nil, fmt.Errorf("onnx builder %q: input %q created out of order", b.name, name)
		}
		v := b.newValue(name, shape, b.spec.inputDims(b.syms, i))
		b.inputs = append(b.inputs, v)
		return v, nil
	}
	if !strings.HasPrefix(name, context.VariableParameterPrefix) {
		return nil, fmt.Errorf("onnx builder %q: parameter %q is neither a Spec input nor a context variable", b.name, name)
	}
	if _, ok := dtypeOK(shape.DType); !ok {
		return nil, &UnsupportedOpError{Op: "Parameter", Reason: fmt.Sprintf("variable %s has dtype %s", name, shape.DType), Where: callerOutside()}
	}
	onnxName := b.uniqueName(sanitizeName(name))
	dims := make([]poly, shape.Rank())
	for i, d := range shape.Dimensions {
		dims[i] = constPoly(int64(d))
	}
	v := b.newValue(onnxName, shape, dims)
	b.weights = append(b.weights, &weightParam{param: name, val: v})
	return v, nil
}

var badNameChars = regexp.MustCompile(`[^A-Za-z0-9_.]+`)

// sanitizeName turns a GoMLX parameter name ("var:/encoder/layer_0/dense/weights")
// into an ONNX value name ("encoder.layer_0.dense.weights").
func sanitizeName(param string) string {
	s := strings.TrimPrefix(param, context.VariableParameterPrefix)
	s = strings.Trim(s, context.ScopeSeparator)
	s = strings.ReplaceAll(s, context.ScopeSeparator, ".")
	s = badNameChars.ReplaceAllString(s, "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "w_" + s
	}
	return s
}

// uniqueName returns name, or name_N when taken.
func (b *Builder) uniqueName(name string) string {
	if !b.usedNames[name] {
		b.usedNames[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s_%d", name, i)
		if !b.usedNames[n] {
			b.usedNames[n] = true
			return n
		}
	}
}
