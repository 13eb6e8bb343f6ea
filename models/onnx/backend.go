package onnx

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"rewardvision/models/onnx/onnxpb"
)

// BackendName is the name of the ONNX-emitting backend.
const BackendName = "onnx"

// errNoExecution is returned by everything that would run or hold data:
// this backend only records graphs.
var errNoExecution = errors.New("the onnx backend only exports graphs; it cannot hold data or execute")

// backend implements backends.Backend for one Trace: every Builder it makes
// records ONNX nodes for that Spec.
type backend struct {
	spec *Spec
	syms *symbols
	last *Builder
}

var _ backends.Backend = (*backend)(nil)

func (be *backend) Name() string        { return BackendName }
func (be *backend) String() string      { return BackendName }
func (be *backend) Description() string { return "ONNX exporter (records graphs, opset 18)" }
func (be *backend) NumDevices() int     { return 1 }

func (be *backend) DeviceDescription(backends.DeviceNum) string { return "onnx export" }

// Capabilities lists the ops Builder writes.
func (be *backend) Capabilities() backends.Capabilities {
	c := backends.Capabilities{Operations: map[backends.OpType]bool{}, DTypes: map[dtypes.DType]bool{}}
	for _, op := range SupportedOps {
		c.Operations[op] = true
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Float16, dtypes.BFloat16,
		dtypes.Int8, dtypes.Int16, dtypes.Int32, dtypes.Int64, dtypes.Uint8, dtypes.Uint16,
		dtypes.Uint32, dtypes.Uint64, dtypes.Bool} {
		c.DTypes[dt] = true
	}
	return c
}

func (be *backend) Builder(name string) backends.Builder {
	b := newBuilder(be.spec, be.syms)
	b.name = name
	be.last = b
	return b
}

func (be *backend) BufferFinalize(backends.Buffer) error { return errNoExecution }
func (be *backend) BufferShape(backends.Buffer) (shapes.Shape, error) {
	return shapes.Invalid(), errNoExecution
}
func (be *backend) BufferDeviceNum(backends.Buffer) (backends.DeviceNum, error) {
	return 0, errNoExecution
}
func (be *backend) BufferToFlatData(backends.Buffer, any) error { return errNoExecution }
func (be *backend) BufferFromFlatData(backends.DeviceNum, any, shapes.Shape) (backends.Buffer, error) {
	return nil, errNoExecution
}
func (be *backend) HasSharedBuffers() bool { return false }
func (be *backend) NewSharedBuffer(backends.DeviceNum, shapes.Shape) (backends.Buffer, any, error) {
	return nil, nil, errNoExecution
}
func (be *backend) BufferData(backends.Buffer) (any, error) { return nil, errNoExecution }
func (be *backend) BufferCopyToDevice(backends.Buffer, backends.DeviceNum) (backends.Buffer, error) {
	return nil, errNoExecution
}
func (be *backend) Finalize()         {}
func (be *backend) IsFinalized() bool { return false }

// SupportedOps are the GoMLX backend ops the exporter writes (some only in
// common forms: see Gather, Pad, Slice, Dot).
var SupportedOps = []backends.OpType{
	backends.OpTypeParameter, backends.OpTypeConstant, backends.OpTypeIdentity,
	backends.OpTypeAbs, backends.OpTypeAdd, backends.OpTypeArgMinMax, backends.OpTypeBitwiseAnd,
	backends.OpTypeBitwiseNot, backends.OpTypeBitwiseOr, backends.OpTypeBitwiseXor,
	backends.OpTypeBroadcastInDim, backends.OpTypeCeil, backends.OpTypeClamp, backends.OpTypeConcatenate,
	backends.OpTypeConvertDType, backends.OpTypeCos, backends.OpTypeDiv, backends.OpTypeDot,
	backends.OpTypeDotGeneral, backends.OpTypeEqual, backends.OpTypeErf, backends.OpTypeExp,
	backends.OpTypeExpm1, backends.OpTypeFloor, backends.OpTypeGather, backends.OpTypeGreaterOrEqual,
	backends.OpTypeGreaterThan, backends.OpTypeIota, backends.OpTypeIsFinite, backends.OpTypeIsNaN,
	backends.OpTypeLessOrEqual, backends.OpTypeLessThan, backends.OpTypeLog, backends.OpTypeLog1p,
	backends.OpTypeLogicalAnd, backends.OpTypeLogicalNot, backends.OpTypeLogicalOr, backends.OpTypeLogicalXor,
	backends.OpTypeLogistic, backends.OpTypeMax, backends.OpTypeMin, backends.OpTypeMul, backends.OpTypeNeg,
	backends.OpTypeNotEqual, backends.OpTypePad, backends.OpTypePow, backends.OpTypeReduceLogicalAnd,
	backends.OpTypeReduceLogicalOr, backends.OpTypeReduceMax, backends.OpTypeReduceMin,
	backends.OpTypeReduceProduct, backends.OpTypeReduceSum, backends.OpTypeRem, backends.OpTypeReshape,
	backends.OpTypeReverse, backends.OpTypeRound, backends.OpTypeRsqrt, backends.OpTypeSign,
	backends.OpTypeSin, backends.OpTypeSlice, backends.OpTypeSqrt, backends.OpTypeSub, backends.OpTypeTanh,
	backends.OpTypeTranspose, backends.OpTypeWhere,
}

// executable is what Compile returns: it describes the graph but cannot run.
type executable struct {
	inNames  []string
	inShapes []shapes.Shape
	outs     []shapes.Shape
}

func (e *executable) Finalize() {}
func (e *executable) Inputs() ([]string, []shapes.Shape) {
	return e.inNames, e.inShapes
}
func (e *executable) Outputs() []shapes.Shape { return e.outs }
func (e *executable) Execute([]backends.Buffer, []bool, backends.DeviceNum) ([]backends.Buffer, error) {
	return nil, errNoExecution
}

// Compile implements backends.Builder: names the outputs, prunes nodes no
// output depends on, and freezes the builder.
func (b *Builder) Compile(outputs []backends.Op, _ []*backends.ShardingSpec) (backends.Executable, error) {
	if b.compiled {
		return nil, fmt.Errorf("onnx builder %q: compiled twice", b.name)
	}
	if len(outputs) != len(b.spec.Outputs) {
		return nil, fmt.Errorf("onnx export %q: the function returned %d outputs, Spec.Outputs names %d", b.name, len(outputs), len(b.spec.Outputs))
	}
	vs, err := b.vals(outputs...)
	if err != nil {
		return nil, err
	}
	e := &executable{}
	for i, v := range vs {
		if _, err := onnxpb.FromDType(v.shape.DType); err != nil {
			return nil, fmt.Errorf("output %s: %w", b.spec.Outputs[i], err)
		}
		name := b.spec.Outputs[i]
		b.nodes = append(b.nodes, &onnxpb.Node{Inputs: []string{v.name}, Outputs: []string{name}, Name: "n_" + name, OpType: "Identity"})
		b.outputs = append(b.outputs, b.newValue(name, v.shape, v.dims))
		e.outs = append(e.outs, v.shape)
	}
	for _, in := range b.inputs {
		e.inNames, e.inShapes = append(e.inNames, in.name), append(e.inShapes, in.shape)
	}
	for _, w := range b.weights {
		e.inNames, e.inShapes = append(e.inNames, w.param), append(e.inShapes, w.val.shape)
	}
	b.prune()
	b.compiled = true
	return e, nil
}

// prune drops nodes, constants and weights that no output depends on (e.g.
// values GoMLX computed for a gradient that was never asked for).
func (b *Builder) prune() {
	live := map[string]bool{}
	for _, o := range b.outputs {
		live[o.name] = true
	}
	keep := make([]bool, len(b.nodes))
	for i := len(b.nodes) - 1; i >= 0; i-- {
		n := b.nodes[i]
		for _, o := range n.Outputs {
			if live[o] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				live[in] = true
			}
		}
	}
	nodes := b.nodes[:0]
	for i, n := range b.nodes {
		if keep[i] {
			nodes = append(nodes, n)
		}
	}
	b.nodes = nodes
	consts := b.consts[:0]
	for _, c := range b.consts {
		if live[c.Name] {
			consts = append(consts, c)
		}
	}
	b.consts = consts
	weights := b.weights[:0]
	for _, w := range b.weights {
		if live[w.val.name] {
			weights = append(weights, w)
		}
	}
	b.weights = weights
}
