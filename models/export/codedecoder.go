package export

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/repo"
	"rewardvision/models/task"
)

// CodebookFile is the stage-I code's name inside a dense task's entry.
const CodebookFile = "codebook.json"

// codebookScope and codebookVar name the codebook variable of the code
// decoder graph.
const (
	codebookScope = "code_decoder"
	codebookVar   = "codebook"
)

// CodeDecoderContext is a context holding the codebook as the code
// decoder graph's one variable.
func CodeDecoderContext(cb *codec.Chroma) *context.Context {
	flat := make([]float32, 0, cb.K()*cb.Dim())
	for _, v := range cb.Centers {
		flat = append(flat, v...)
	}
	ctx := context.New()
	ctx.In(codebookScope).VariableWithValue(codebookVar, tensors.FromFlatDataAndDimensions(flat, cb.K(), cb.Dim()))
	return ctx
}

// CodeDecoderGraph maps codes [batch, grid²] int32 to the chroma plane
// [batch, size, size, 2] that codec.Chroma.Decode computes: a row lookup
// in the codebook, the patch values laid out in the image, each repeated
// over sub×sub pixels.
func CodeDecoderGraph(cb *codec.Chroma) func(ctx *context.Context, in []*graph.Node) []*graph.Node {
	g, q, s := cb.Grid(), cb.Patch/cb.Sub, cb.Sub
	return func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		codes := in[0]
		batch := codes.Shape().Dimensions[0]
		table := ctx.In(codebookScope).VariableWithShape(codebookVar, shapes.Make(dtypes.Float32, cb.K(), cb.Dim())).ValueGraph(codes.Graph())
		v := graph.Gather(table, graph.InsertAxes(codes, -1))  // [batch, g², 2·q·q]
		v = graph.Reshape(v, batch, g, g, 2, q, q)             // patch row, patch col, channel, y, x
		v = graph.TransposeAllAxes(v, 0, 1, 4, 2, 5, 3)        // [batch, g, q, g, q, 2]
		v = graph.Reshape(v, batch, g*q, 1, g*q, 1, 2)         // subsampled rows and columns
		v = graph.BroadcastToDims(v, batch, g*q, s, g*q, s, 2) // each repeated sub times
		return []*graph.Node{graph.Reshape(v, batch, cb.Size, cb.Size, 2)}
	}
}

// CodeDecoderGraphs is the code decoder's role graph (initializer weights).
func CodeDecoderGraphs(cb *codec.Chroma) []RoleGraph {
	spec := onnx.Spec{
		Name:      repo.RoleCodeDecoder,
		Inputs:    []onnx.Input{{Name: repo.InputCodes, DType: dtypes.Int32, Dims: []onnx.Dim{dimBatch, onnx.Fixed(cb.Grid() * cb.Grid())}}},
		Outputs:   []string{repo.OutChroma},
		WeightsAs: onnx.Initializers,
		DocString: fmt.Sprintf("rewardvision code decoder: %d² codes of a %d-code chroma codebook → Cb, Cr plane %d²", cb.Grid(), cb.K(), cb.Size),
	}
	return []RoleGraph{{Role: repo.RoleCodeDecoder, File: "code_decoder.onnx", Spec: spec, Fn: onnx.GraphFn(CodeDecoderGraph(cb))}}
}

// codeDecoder is a dense task's code decoder as export traces it: the
// graph, its context (the stage-I code as a variable) and the code file.
type codeDecoder struct {
	ctx    *context.Context
	graphs []RoleGraph
	raw    []byte // the codebook file, copied into the entry
}

// codeDecoderOf loads the stage-I code a dense task's checkpoint in dir
// names and checks it against meta (nil, nil for the other tasks).
func codeDecoderOf(meta *checkpoint.Meta, dir string) (*codeDecoder, error) {
	c := meta.Codebook()
	if c == nil {
		return nil, nil
	}
	path := filepath.Join(dir, c.CodebookFile)
	var code codec.StageI
	var d *codeDecoder
	switch meta.Task {
	case task.Colorization:
		cb, err := codec.LoadChroma(path)
		if err != nil {
			return nil, fmt.Errorf("the colorization checkpoint's stage-I code: %w", err)
		}
		code, d = cb, &codeDecoder{ctx: CodeDecoderContext(cb), graphs: CodeDecoderGraphs(cb)}
	default: // task.Panoptic
		p, err := codec.LoadPanoptic(path)
		if err != nil {
			return nil, fmt.Errorf("the panoptic checkpoint's stage-I code: %w", err)
		}
		code, d = p, &codeDecoder{ctx: PanopticDecoderContext(p), graphs: PanopticDecoderGraphs(p)}
	}
	if code.K() != c.Codes || code.Grid() != c.Grid || code.ImageSize() != meta.Model.ImageSize {
		return nil, fmt.Errorf("codebook %s (%d codes, grid %d, %d²) does not match meta.json (%d codes, grid %d, %d²)",
			path, code.K(), code.Grid(), code.ImageSize(), c.Codes, c.Grid, meta.Model.ImageSize)
	}
	// Read after the load: a file of the wrong kind or size fails there.
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the %s checkpoint's stage-I code: %w", meta.Task, err)
	}
	d.raw = raw
	return d, nil
}
