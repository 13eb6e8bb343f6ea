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
	patch := cfg.PatchSize
	if cfg.StemChannels > 0 {
		images = ConvStem(ctx.In("stem"), images, cfg.StemChannels)
		patch /= 2
	}
	h := nn.Dense(ctx.In("patch"), Patchify(images, patch), cfg.Width, true)
	h = nn.AddPositionEmbedding(ctx.In("position"), h)
	for i := range cfg.EncDepth {
		c := ctx.In("block" + strconv.Itoa(i))
		x := nn.LayerNorm(c.In("ln_attn"), h)
		h = graph.Add(h, nn.MultiHeadAttention(c.In("attn"), x, x, cfg.Heads, nil))
		h = graph.Add(h, nn.MLP(c.In("mlp"), nn.LayerNorm(c.In("ln_mlp"), h), cfg.MLPRatio*cfg.Width))
	}
	return nn.LayerNorm(ctx.In("ln_final"), h)
}

// ConvStem is a 3×3 convolution with stride 2 and zero padding 1, then a
// GELU: images [batch, h, w, c] → [batch, h/2, w/2, channels]. It is
// built as im2col by a Gather of constant pixel indices (taps outside the
// image read pixel 0 and are zeroed by a constant mask) and one matrix
// product, since simplego has no gradient for Conv. The images need no
// gradient, so the Gather is never differentiated.
func ConvStem(ctx *context.Context, images *Node, channels int) *Node {
	d := images.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	ho, wo := h/2, w/2
	idx := make([]int32, ho*wo*9)
	mask := make([]float32, ho*wo*9)
	for i := range ho {
		for j := range wo {
			for k := range 9 {
				y, x := 2*i+k/3-1, 2*j+k%3-1
				if y >= 0 && y < h && x >= 0 && x < w {
					t := (i*wo+j)*9 + k
					idx[t], mask[t] = int32(y*w+x), 1
				}
			}
		}
	}
	g := images.Graph()
	pixels := graph.TransposeAllAxes(graph.Reshape(images, b, h*w, c), 1, 0, 2)  // [h·w, batch, c]
	taps := graph.Gather(pixels, graph.Reshape(graph.Const(g, idx), ho*wo*9, 1)) // [ho·wo·9, batch, c]
	taps = graph.Mul(taps, graph.Reshape(graph.ConvertDType(graph.Const(g, mask), images.DType()), ho*wo*9, 1, 1))
	taps = graph.TransposeAllAxes(graph.Reshape(taps, ho*wo, 9, b, c), 2, 0, 1, 3) // [batch, ho·wo, 9, c]
	y := nn.GELU(nn.Dense(ctx, graph.Reshape(taps, b, ho*wo, 9*c), channels, true))
	return graph.Reshape(y, b, ho, wo, channels)
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
