package export

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/repo"
)

// setsVar names the panoptic code decoder's one variable: code k's label
// set as a 0/1 row over the labels.
const setsVar = "sets"

// farAway stands in for +∞ where a label is not a pixel's candidate: it
// exceeds any squared RGB distance (3·255²).
const farAway = 1e30

// PanopticDecoderContext is a context holding the code table of p.
func PanopticDecoderContext(p *codec.Panoptic) *context.Context {
	L := p.Labels()
	flat := make([]float32, p.K()*L)
	for k, set := range p.Codes {
		for _, l := range set {
			flat[k*L+l] = 1
		}
	}
	ctx := context.New()
	ctx.In(codebookScope).VariableWithValue(setsVar, tensors.FromFlatDataAndDimensions(flat, p.K(), L))
	return ctx
}

// PanopticDecoderGraph maps codes [batch, grid²] int32 and the letterboxed
// image [batch, size, size, 3] (float32 levels 0..255) to the label of
// every pixel [batch, size, size] int32, as codec.Panoptic.Decode
// computes it: candidate labels from the code table, initial mean colours,
// then Iters refits of nearest-colour assignment. Sums are of integers
// below 2²⁴ and so exact in any order; distances add the channels in
// order, as Decode does, so the labels match bit for bit.
func PanopticDecoderGraph(p *codec.Panoptic) func(ctx *context.Context, in []*graph.Node) []*graph.Node {
	g, q, s, L := p.Grid(), p.Patch, p.Size, p.Labels()
	return func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		codes, pix := in[0], in[1]
		batch := codes.Shape().Dimensions[0]
		gr := codes.Graph()
		table := ctx.In(codebookScope).VariableWithShape(setsVar, shapes.Make(dtypes.Float32, p.K(), L)).ValueGraph(gr)
		cand := graph.Gather(table, graph.InsertAxes(codes, -1)) // [batch, g², L]
		cand = graph.Reshape(cand, batch, g, 1, g, 1, L)
		cand = graph.BroadcastToDims(cand, batch, g, q, g, q, L)
		cand = graph.Reshape(cand, batch, s*s, L) // pixel's candidates, 0/1
		px := graph.Reshape(pix, batch, s*s, 3)

		// sums over the pixels of weight [batch, s², L]: colour sums
		// [batch, L, 3] and counts [batch, L].
		sums := func(w *graph.Node) (*graph.Node, *graph.Node) {
			return graph.Einsum("bpl,bpc->blc", w, px), graph.ReduceSum(w, 1)
		}
		// meanOr is sum/count where count > 0, else fallback.
		meanOr := func(sum, count, fallback *graph.Node) *graph.Node {
			has := graph.GreaterThan(count, graph.ScalarZero(gr, dtypes.Float32))
			safe := graph.Max(count, graph.OnesLike(count))
			m := graph.Div(sum, graph.InsertAxes(safe, -1))
			return graph.Where(graph.BroadcastToDims(graph.InsertAxes(has, -1), batch, L, 3), m, fallback)
		}
		alone := graph.Equal(graph.ReduceSum(cand, -1), graph.OnesLike(graph.ReduceSum(cand, -1)))
		aloneW := graph.Mul(cand, graph.ConvertDType(graph.BroadcastToDims(graph.InsertAxes(alone, -1), batch, s*s, L), dtypes.Float32))
		sumA, nA := sums(aloneW)
		sumC, nC := sums(cand)
		mean := meanOr(sumA, nA, meanOr(sumC, nC, graph.ZerosLike(sumC)))

		isCand := graph.GreaterThan(cand, graph.ZerosLike(cand))
		far := graph.BroadcastToDims(graph.Scalar(gr, dtypes.Float32, farAway), batch, s*s, L)
		labelIota := graph.Iota(gr, shapes.Make(dtypes.Int32, batch, s*s, L), 2)
		for it := 0; ; it++ {
			dist := graph.ZerosLike(far)
			for c := range 3 {
				pc := graph.InsertAxes(graph.SliceAxis(px, -1, graph.AxisElem(c)), -1)  // [batch, s², 1, 1]
				mc := graph.InsertAxes(graph.SliceAxis(mean, -1, graph.AxisElem(c)), 1) // [batch, 1, L, 1]
				d := graph.Sub(graph.BroadcastToDims(pc, batch, s*s, L, 1), graph.BroadcastToDims(mc, batch, s*s, L, 1))
				d = graph.Reshape(graph.Mul(d, d), batch, s*s, L)
				if c == 0 {
					dist = d
				} else {
					dist = graph.Add(dist, d)
				}
			}
			label := graph.ArgMin(graph.Where(isCand, dist, far), -1, dtypes.Int32) // [batch, s²]
			if it == p.Iters {
				return []*graph.Node{graph.Reshape(label, batch, s, s)}
			}
			onehot := graph.Equal(graph.BroadcastToDims(graph.InsertAxes(label, -1), batch, s*s, L), labelIota)
			sum, n := sums(graph.ConvertDType(onehot, dtypes.Float32))
			mean = meanOr(sum, n, mean)
		}
	}
}

// PanopticDecoderGraphs is the panoptic code decoder's role graph
// (initializer weights).
func PanopticDecoderGraphs(p *codec.Panoptic) []RoleGraph {
	spec := onnx.Spec{
		Name: repo.RoleCodeDecoder,
		Inputs: []onnx.Input{
			{Name: repo.InputCodes, DType: dtypes.Int32, Dims: []onnx.Dim{dimBatch, onnx.Fixed(p.Grid() * p.Grid())}},
			{Name: repo.InputPixels, DType: dtypes.Float32, Dims: []onnx.Dim{dimBatch, onnx.Fixed(p.Size), onnx.Fixed(p.Size), onnx.Fixed(3)}},
		},
		Outputs:   []string{repo.OutLabels},
		WeightsAs: onnx.Initializers,
		DocString: fmt.Sprintf("rewardvision panoptic code decoder: %d² codes of %d label sets + the %d² image → a label per pixel (%d refits)", p.Grid(), p.K(), p.Size, p.Iters),
	}
	return []RoleGraph{{Role: repo.RoleCodeDecoder, File: "code_decoder.onnx", Spec: spec, Fn: onnx.GraphFn(PanopticDecoderGraph(p))}}
}
