package seq

import (
	"slices"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// inferenceOps lists every graph op type the inference graphs (encoder,
// sampling decoder step) may use: the set an ONNX-emitting backend must
// translate. A new op here is a new ONNX operator to support.
var inferenceOps = []string{
	"Add", "ArgMinMax", "BroadcastInDim", "Constant", "ConvertDType", "Div", "DotGeneral", "Equal", "Erf", "Exp",
	"Gather", "GreaterThan", "Identity", "Iota", "LessOrEqual", "Log", "Max", "Min", "Mul", "Neg", "Parameter",
	"ReduceMax", "ReduceSum", "Reshape", "Sqrt", "Sub", "Transpose", "Where",
}

func graphOps(g *graph.Graph) []string {
	seen := map[string]bool{}
	for _, n := range g.Nodes() {
		seen[n.Type().String()] = true
	}
	var ops []string
	for op := range seen {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// TestInferenceOps builds the encoder and the sampling step and checks
// they use only inferenceOps.
func TestInferenceOps(t *testing.T) {
	cfg := tinyConfig(11, 7)
	cfg.TiedHead = true
	b := testBackend(t)
	ctx := context.New().Checked(false)
	const batch = 2
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	var all []string
	check := func(name string, build func(g *graph.Graph)) {
		g := graph.NewGraph(b, name)
		build(g)
		ops := graphOps(g)
		for _, op := range ops {
			if !slices.Contains(inferenceOps, op) {
				t.Errorf("%s uses op %s, not in inferenceOps", name, op)
			}
		}
		t.Logf("%s: %v", name, ops)
		all = append(all, ops...)
	}
	check("encoder", func(g *graph.Graph) {
		EncoderOutputs(ctx, cfg, graph.Parameter(g, "images", f32(batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)))
	})
	stem := cfg
	stem.StemChannels = 4
	check("encoder with a convolution stem", func(g *graph.Graph) {
		EncoderOutputs(context.New().Checked(false), stem, graph.Parameter(g, "images", f32(batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)))
	})
	check("step", func(g *graph.Graph) {
		var cross, past []*Node
		for range cfg.DecDepth {
			for range 2 {
				cross = append(cross, graph.Parameter(g, "", f32(batch, cfg.Heads, cfg.NumPatches(), cfg.HeadDim())))
				past = append(past, graph.Parameter(g, "", CacheShape(cfg, batch)))
			}
		}
		ck, cv := deinterleave(cross)
		pk, pv := deinterleave(past)
		SampleStep(ctx, cfg, graph.Parameter(g, "token", shapes.Make(dtypes.Int32, batch)),
			graph.Parameter(g, "pos", shapes.Make(dtypes.Int32)), ck, cv, pk, pv,
			graph.Parameter(g, "mask", f32(cfg.SeqLen, cfg.VocabSize)), graph.Parameter(g, "uniform", f32(batch, cfg.VocabSize)),
			graph.Parameter(g, "temperature", f32()))
	})
	for _, op := range inferenceOps {
		if !slices.Contains(all, op) {
			t.Errorf("inferenceOps lists %s, which no inference graph uses", op)
		}
	}
}
