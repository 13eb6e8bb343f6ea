package onnx

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Opset is the ai.onnx operator set the exporter writes, and IRVersion the
// matching ONNX IR version. ONNX Runtime 1.24 runs both.
const (
	Opset     = 18
	IRVersion = 8
)

// GraphFn is the traced function: it builds the model from the context's
// variables and the inputs, in Spec.Inputs order, and returns the outputs in
// Spec.Outputs order.
type GraphFn func(ctx *context.Context, inputs []*graph.Node) []*graph.Node

// Trace runs fn on the ONNX-emitting backend and returns the exported model.
//
// The context must already hold every variable fn reads, with values (from
// training or a checkpoint): fn is called with ctx.Reuse(), and weights are
// read from the variables. Errors — an op the exporter does not write, a
// dynamic size it cannot follow, a panic in fn — are returned, never
// panicked.
func Trace(ctx *context.Context, spec Spec, fn GraphFn) (m *Model, err error) {
	if ctx == nil || fn == nil {
		return nil, errors.New("onnx.Trace: nil context or function")
	}
	syms, err := spec.validate()
	if err != nil {
		return nil, err
	}
	be := &backend{spec: &spec, syms: syms}
	g := graph.NewGraph(be, spec.Name)
	defer g.Finalize()
	defer func() {
		if r := recover(); r != nil {
			m = nil
			if e, ok := r.(error); ok {
				err = fmt.Errorf("export %s: %w", spec.Name, e)
			} else {
				err = fmt.Errorf("export %s: %v", spec.Name, r)
			}
		}
	}()
	inputs := make([]*graph.Node, len(spec.Inputs))
	for i, in := range spec.Inputs {
		sizes := make([]int, len(in.Dims))
		for axis, d := range in.Dims {
			sizes[axis] = d.size
			if d.IsDynamic() {
				for _, y := range syms.syms {
					if y.name == d.name {
						sizes[axis] = int(y.sentinel)
					}
				}
			}
		}
		inputs[i] = graph.Parameter(g, in.Name, shapes.Make(in.DType, sizes...))
	}
	outs := fn(ctx.Reuse(), inputs)
	if len(outs) != len(spec.Outputs) {
		return nil, fmt.Errorf("export %s: the function returned %d outputs, Spec.Outputs names %d", spec.Name, len(outs), len(spec.Outputs))
	}
	for i, o := range outs {
		if o == nil {
			return nil, fmt.Errorf("export %s: output %d (%s) is nil", spec.Name, i, spec.Outputs[i])
		}
	}
	g.Compile(outs...)
	if be.last == nil || !be.last.compiled {
		return nil, fmt.Errorf("export %s: graph was not compiled", spec.Name)
	}
	return newModel(ctx, &spec, be.last)
}
