package nn

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// EmbeddingStddev is the standard deviation of the normal initialiser of
// token and position embeddings (BERT's and ViT's 0.02).
const EmbeddingStddev = 0.02

// EmbeddingTable returns the learned [rows, dim] variable "embeddings" of
// ctx's scope as a node: a token table (also used by a tied output head) or
// a position table.
func EmbeddingTable(ctx *context.Context, g *graph.Graph, dtype dtypes.DType, rows, dim int) *Node {
	return ctx.WithInitializer(initializers.RandomNormalFn(ctx, EmbeddingStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, rows, dim)).ValueGraph(g)
}

// Embedding looks up integer ids of any shape in the learned [rows, dim]
// table of ctx's scope, returning [ids..., dim]. Ids must lie in [0, rows):
// Gather does not check, so callers validate tokens on the Go side.
//
// Learned position embeddings are the same thing with position ids (0, 1,
// ... for a full sequence; the step's position when decoding with a cache):
// a Gather, not a Slice, so its gradient exists on simplego.
func Embedding(ctx *context.Context, ids *Node, rows, dim int, dtype dtypes.DType) *Node {
	table := EmbeddingTable(ctx, ids.Graph(), dtype, rows, dim)
	return graph.Gather(table, graph.InsertAxes(ids, -1))
}

// AddPositionEmbedding adds a learned [n, width] table to x of shape
// [batch, n, width], where n is fixed (e.g. the number of image patches), in
// the variable "embeddings" of ctx's scope.
func AddPositionEmbedding(ctx *context.Context, x *Node) *Node {
	dims := x.Shape().Dimensions
	table := EmbeddingTable(ctx, x.Graph(), x.DType(), dims[1], dims[2])
	return graph.Add(x, graph.InsertAxes(table, 0))
}
