package seq

import (
	"strconv"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/nn"
)

// Node is GoMLX's graph node.
type Node = graph.Node

// Patchify cuts images [batch, size, size, channels] into non-overlapping
// patches [batch, patches, patch·patch·channels], row-major over the patch
// grid, by Reshape and Transpose only (no convolution, whose gradient
// simplego lacks).
func Patchify(images *Node, patch int) *Node {
	d := images.Shape().Dimensions
	b, h, w, ch := d[0], d[1], d[2], d[3]
	x := graph.Reshape(images, b, h/patch, patch, w/patch, patch, ch)
	x = graph.TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return graph.Reshape(x, b, (h/patch)*(w/patch), patch*patch*ch)
}

// Encode is the ViT encoder: images [batch, size, size, channels] (float,
// already normalised) → memory [batch, patches, width]. Patch embedding,
// learned positions, EncDepth pre-norm blocks (self-attention, MLP), final
// LayerNorm. Variables live under "encoder".
func Encode(ctx *context.Context, cfg Config, images *Node) *Node {
	ctx = ctx.In("encoder")
	h := nn.Dense(ctx.In("patch"), Patchify(images, cfg.PatchSize), cfg.Width, true)
	h = nn.AddPositionEmbedding(ctx.In("position"), h)
	for i := range cfg.EncDepth {
		c := ctx.In("block" + strconv.Itoa(i))
		x := nn.LayerNorm(c.In("ln_attn"), h)
		h = graph.Add(h, nn.MultiHeadAttention(c.In("attn"), x, x, cfg.Heads, nil))
		h = graph.Add(h, nn.MLP(c.In("mlp"), nn.LayerNorm(c.In("ln_mlp"), h), cfg.MLPRatio*cfg.Width))
	}
	return nn.LayerNorm(ctx.In("ln_final"), h)
}

// CrossKV projects the memory once into the cross-attention keys and values
// of every decoder layer, each [batch, heads, patches, headDim]. Decoding
// then never recomputes them, step after step.
func CrossKV(ctx *context.Context, cfg Config, memory *Node) (keys, values []*Node) {
	for i := range cfg.DecDepth {
		c := decoderLayerScope(ctx, i).In("cross")
		keys = append(keys, nn.HeadProjection(c.In("key"), memory, cfg.Heads, cfg.HeadDim()))
		values = append(values, nn.HeadProjection(c.In("value"), memory, cfg.Heads, cfg.HeadDim()))
	}
	return keys, values
}

// EncoderOutputs is the inference encoder graph: images → the cross
// keys and values of all decoder layers, interleaved [k0, v0, k1, v1, ...].
func EncoderOutputs(ctx *context.Context, cfg Config, images *Node) []*Node {
	keys, values := CrossKV(ctx, cfg, Encode(ctx, cfg, images))
	return interleave(keys, values)
}

func interleave(a, b []*Node) []*Node {
	out := make([]*Node, 0, 2*len(a))
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

// deinterleave splits [a0, b0, a1, b1, ...].
func deinterleave(x []*Node) (a, b []*Node) {
	for i := 0; i+1 < len(x); i += 2 {
		a, b = append(a, x[i]), append(b, x[i+1])
	}
	return a, b
}

func decoderLayerScope(ctx *context.Context, i int) *context.Context {
	return ctx.In("decoder").In("block" + strconv.Itoa(i))
}
