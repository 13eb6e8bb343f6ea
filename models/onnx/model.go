package onnx

import (
	"fmt"
	"slices"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/internal/atomicfile"
	"rewardvision/models/onnx/onnxpb"
)

// Model is an exported ONNX model. Its graph structure is encoded once; the
// weights are kept apart so UpdateWeights + Marshal re-encode only them.
type Model struct {
	// Name of the graph.
	Name string
	// Inputs of the ONNX graph: Spec.Inputs, then (WeightsAs Inputs) the
	// weights in Weights order.
	Inputs []TensorInfo
	// Outputs of the ONNX graph, with symbolic dims such as past_len_plus_1.
	Outputs []TensorInfo
	// Weights are the context variables the graph reads, in graph order.
	Weights []Weight
	// WeightsAs says where the weights are.
	WeightsAs WeightsMode

	header    onnxpb.Model      // everything but the graph
	structure []byte            // encoded graph body without the weights
	nodes     []*onnxpb.Node    // for OpCounts
	weightPB  []*onnxpb.Tensor  // Initializers mode: the weights' tensors
	values    []*tensors.Tensor // current weight values, Weights order
	variables []*context.Variable
}

// TensorInfo describes a graph input or output.
type TensorInfo struct {
	Name  string
	DType dtypes.DType
	Dims  []Dim
}

// Weight is a context variable exported as a tensor.
type Weight struct {
	// Name is the ONNX tensor name: the variable's scope and name with "."
	// separators, e.g. "encoder.layer_0.dense.weights".
	Name string
	// Variable is the variable's scope and name, as in the context
	// ("/encoder/layer_0/dense/weights").
	Variable string
	Shape    shapes.Shape
}

func newModel(ctx *context.Context, spec *Spec, b *Builder) (*Model, error) {
	nodes, consts := b.fused()
	m := &Model{Name: spec.Name, WeightsAs: spec.WeightsAs, nodes: nodes}
	names := b.syms.names()
	g := &onnxpb.Graph{Name: spec.Name, Nodes: nodes, Initializers: consts, DocString: spec.DocString}
	for i, in := range spec.Inputs {
		vi, err := valueInfo(in.Name, b.inputs[i].shape.DType, b.inputs[i].dims, names)
		if err != nil {
			return nil, err
		}
		g.Inputs = append(g.Inputs, vi)
		m.Inputs = append(m.Inputs, TensorInfo{Name: in.Name, DType: in.DType, Dims: slices.Clone(in.Dims)})
	}
	for _, w := range b.weights {
		scope, name := context.VariableScopeAndNameFromParameterName(w.param)
		v := ctx.GetVariableByScopeAndName(scope, name)
		if v == nil {
			return nil, fmt.Errorf("export %s: variable %s%s%s not found in the context", spec.Name, scope, context.ScopeSeparator, name)
		}
		val, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("export %s: variable %s has no value (train, initialise or load a checkpoint first): %w", spec.Name, v.ScopeAndName(), err)
		}
		if !val.Shape().Equal(w.val.shape) {
			return nil, fmt.Errorf("export %s: variable %s holds %s, the graph read %s", spec.Name, v.ScopeAndName(), val.Shape(), w.val.shape)
		}
		m.Weights = append(m.Weights, Weight{Name: w.val.name, Variable: v.ScopeAndName(), Shape: w.val.shape})
		m.values = append(m.values, val)
		m.variables = append(m.variables, v)
		if spec.WeightsAs == Inputs {
			vi, err := valueInfo(w.val.name, w.val.shape.DType, w.val.dims, names)
			if err != nil {
				return nil, err
			}
			g.Inputs = append(g.Inputs, vi)
			m.Inputs = append(m.Inputs, TensorInfo{Name: w.val.name, DType: w.val.shape.DType, Dims: staticDims(w.val.shape)})
		}
	}
	for _, o := range b.outputs {
		vi, err := valueInfo(o.name, o.shape.DType, o.dims, names)
		if err != nil {
			return nil, err
		}
		g.Outputs = append(g.Outputs, vi)
		info := TensorInfo{Name: o.name, DType: o.shape.DType}
		for _, d := range vi.Shape {
			if d.Param != "" {
				info.Dims = append(info.Dims, Dynamic(d.Param))
			} else {
				info.Dims = append(info.Dims, Fixed(int(d.Value)))
			}
		}
		m.Outputs = append(m.Outputs, info)
	}
	m.header = onnxpb.Model{
		IRVersion:       IRVersion,
		OpsetImports:    []onnxpb.OperatorSetID{{Version: Opset}},
		ProducerName:    "rewardvision",
		ProducerVersion: "onnx-export/1",
		DocString:       spec.DocString,
	}
	keys := make([]string, 0, len(spec.Metadata))
	for k := range spec.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.header.Metadata = append(m.header.Metadata, onnxpb.StringStringEntry{Key: k, Value: spec.Metadata[k]})
	}
	m.structure = g.AppendTo(nil)
	if spec.WeightsAs == Initializers {
		if err := m.encodeWeights(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func staticDims(s shapes.Shape) []Dim {
	out := make([]Dim, s.Rank())
	for i, d := range s.Dimensions {
		out[i] = Fixed(d)
	}
	return out
}

func valueInfo(name string, dt dtypes.DType, dims []poly, symNames []string) (*onnxpb.ValueInfo, error) {
	odt, err := onnxpb.FromDType(dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	vi := &onnxpb.ValueInfo{Name: name, ElemType: odt, HasShape: true, Shape: make([]onnxpb.Dimension, len(dims))}
	for i, d := range dims {
		if c, ok := d.constant(); ok {
			vi.Shape[i].Value = c
		} else {
			vi.Shape[i].Param = d.name(symNames)
		}
	}
	return vi, nil
}

// encodeWeights turns the current values into initializer tensors.
func (m *Model) encodeWeights() error {
	m.weightPB = m.weightPB[:0]
	for i, w := range m.Weights {
		t, err := tensorProto(w.Name, m.values[i])
		if err != nil {
			return fmt.Errorf("weight %s (%s): %w", w.Name, w.Variable, err)
		}
		m.weightPB = append(m.weightPB, t)
	}
	return nil
}

func tensorProto(name string, t *tensors.Tensor) (pb *onnxpb.Tensor, err error) {
	odt, err := onnxpb.FromDType(t.DType())
	if err != nil {
		return nil, err
	}
	pb = &onnxpb.Tensor{Name: name, DataType: odt, Dims: toI64(t.Shape().Dimensions)}
	if t.Shape().Size() == 0 {
		return pb, nil
	}
	// GoMLX panics on finalized tensors; report it as an error.
	defer func() {
		if r := recover(); r != nil {
			pb, err = nil, fmt.Errorf("read tensor: %v", r)
		}
	}()
	err = t.ConstBytes(func(data []byte) { pb.RawData = slices.Clone(data) })
	if err != nil {
		return nil, err
	}
	return pb, nil
}

// Marshal encodes the model (with the weights as they were at Trace or the
// last UpdateWeights).
func (m *Model) Marshal() ([]byte, error) {
	size := len(m.structure) + 256
	for _, t := range m.weightPB {
		size += len(t.RawData) + len(t.Name) + 32
	}
	out := make([]byte, 0, size+size/64)
	return m.header.AppendWithGraphBytes(out, func(b []byte) []byte {
		b = append(b, m.structure...)
		return onnxpb.AppendInitializers(b, m.weightPB)
	}), nil
}

// WriteFile writes the model to path (through a temporary file, so readers
// never see half a model).
func (m *Model) WriteFile(path string) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, data)
}

// UpdateWeights re-reads the weights from the variables the model was
// traced from (after more training steps): the next Marshal writes the new
// values without re-tracing. The shapes must not change.
func (m *Model) UpdateWeights() error {
	for i, v := range m.variables {
		val, err := v.Value()
		if err != nil {
			return fmt.Errorf("weight %s: %w", m.Weights[i].Variable, err)
		}
		if !val.Shape().Equal(m.Weights[i].Shape) {
			return fmt.Errorf("weight %s: shape changed from %s to %s", m.Weights[i].Variable, m.Weights[i].Shape, val.Shape())
		}
		m.values[i] = val
	}
	if m.WeightsAs == Initializers {
		return m.encodeWeights()
	}
	return nil
}

// WeightValues returns the current values of the weights, in Weights order:
// in WeightsAs Inputs mode, the tensors to feed after Spec.Inputs. Call
// UpdateWeights first to pick up new training steps.
func (m *Model) WeightValues() []*tensors.Tensor { return slices.Clone(m.values) }

// OpCounts counts the graph's ONNX nodes by op type.
func (m *Model) OpCounts() map[string]int {
	c := map[string]int{}
	for _, n := range m.nodes {
		c[n.OpType]++
	}
	return c
}

// NumNodes is the number of ONNX nodes.
func (m *Model) NumNodes() int { return len(m.nodes) }
