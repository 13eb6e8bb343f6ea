package export

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"rewardvision/models/onnx"
	"rewardvision/models/repo"
	"rewardvision/models/seq"
)

// RoleGraph is one graph of a repository entry: the GoMLX graph function
// to trace, its ONNX signature, and the file it is written to.
type RoleGraph struct {
	Role string // repo.RoleEncoder, repo.RoleDecoderStep, ...
	File string // e.g. "encoder.onnx"
	Spec onnx.Spec
	Fn   onnx.GraphFn
}

// Dynamic axes of the sequence-model graphs.
var (
	dimBatch   = onnx.Dynamic("batch")
	dimPastLen = onnx.Dynamic("past_len")
)

// SeqGraphs are the graphs of a models/seq model: the encoder (image →
// cross keys/values) and the decoder step with a growing KV cache and a
// position and cache start per row (seq.DecoderStepDynamic), with
// the I/O names of package repo. weights says where the weights go:
// onnx.Initializers for a repository entry, onnx.Inputs for a trainer that
// feeds fresh weights at every step.
func SeqGraphs(cfg seq.Config, weights onnx.WeightsMode) []RoleGraph {
	f := onnx.Fixed
	crossDims := []onnx.Dim{dimBatch, f(cfg.Heads), f(cfg.NumPatches()), f(cfg.HeadDim())}
	pastDims := []onnx.Dim{dimBatch, f(cfg.Heads), dimPastLen, f(cfg.HeadDim())}

	enc := onnx.Spec{
		Name:      repo.RoleEncoder,
		Inputs:    []onnx.Input{{Name: repo.InputImage, DType: dtypes.Float32, Dims: []onnx.Dim{dimBatch, f(cfg.ImageSize), f(cfg.ImageSize), f(cfg.Channels)}}},
		WeightsAs: weights,
		DocString: "rewardvision encoder: image → cross-attention keys and values per decoder layer",
	}
	step := onnx.Spec{
		Name: repo.RoleDecoderStep,
		Inputs: []onnx.Input{
			{Name: repo.InputToken, DType: dtypes.Int32, Dims: []onnx.Dim{dimBatch}},
			{Name: repo.InputPos, DType: dtypes.Int32, Dims: []onnx.Dim{dimBatch}},
			{Name: repo.InputStart, DType: dtypes.Int32, Dims: []onnx.Dim{dimBatch}},
		},
		Outputs:   []string{repo.OutLogits},
		WeightsAs: weights,
		DocString: "rewardvision decoder step: token, position and cache start per row, KV cache of length past_len → logits, cache of length past_len+1",
	}
	for i := range cfg.DecDepth {
		enc.Outputs = append(enc.Outputs, repo.CrossK(i), repo.CrossV(i))
		step.Inputs = append(step.Inputs,
			onnx.Input{Name: repo.CrossK(i), DType: dtypes.Float32, Dims: crossDims},
			onnx.Input{Name: repo.CrossV(i), DType: dtypes.Float32, Dims: crossDims})
		step.Outputs = append(step.Outputs, repo.PresentK(i), repo.PresentV(i))
	}
	for i := range cfg.DecDepth {
		step.Inputs = append(step.Inputs,
			onnx.Input{Name: repo.PastK(i), DType: dtypes.Float32, Dims: pastDims},
			onnx.Input{Name: repo.PastV(i), DType: dtypes.Float32, Dims: pastDims})
	}
	return []RoleGraph{
		{Role: repo.RoleEncoder, File: "encoder.onnx", Spec: enc, Fn: onnx.GraphFn(seq.EncoderGraph(cfg))},
		{Role: repo.RoleDecoderStep, File: "decoder_step.onnx", Spec: step, Fn: onnx.GraphFn(seq.DecoderStepDynamicGraph(cfg))},
	}
}
