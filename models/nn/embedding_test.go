package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestEmbedding checks the lookup and its gradient (a scatter-add, so a
// repeated id collects the adjoints of all its uses).
func TestEmbedding(t *testing.T) {
	const rows, dim = 4, 3
	ids := tensors.FromValue([][]int32{{2, 0}, {2, 3}})
	ctx := context.New()
	e, err := context.NewExec(testBackend(t), ctx, func(ctx *context.Context, ids *Node) []*Node {
		out := Embedding(ctx.In("tok"), ids, rows, dim, dtypes.Float64)
		loss := graph.ReduceAllSum(graph.Mul(out, graph.IotaFull(ids.Graph(), out.Shape())))
		table := ctx.In("tok").GetVariable("embeddings").ValueGraph(ids.Graph())
		return []*Node{out, table, graph.Gradient(loss, table)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	res, err := e.Exec(ids)
	if err != nil {
		t.Fatal(err)
	}
	out, table, grad := flat64(t, res[0]), flat64(t, res[1]), flat64(t, res[2])
	wantGrad := make([]float64, rows*dim)
	for i, id := range []int{2, 0, 2, 3} {
		for d := range dim {
			if out[i*dim+d] != table[id*dim+d] {
				t.Fatalf("lookup %d dim %d = %g, want table[%d] = %g", i, d, out[i*dim+d], id, table[id*dim+d])
			}
			wantGrad[id*dim+d] += float64(i*dim + d)
		}
	}
	for i := range wantGrad {
		if grad[i] != wantGrad[i] {
			t.Fatalf("gradient %v, want %v", grad, wantGrad)
		}
	}
	// The table starts as N(0, 0.02²): no value anywhere near 1.
	for _, v := range table {
		if math.Abs(v) > 0.2 {
			t.Fatalf("initial embedding %g is not from N(0, 0.02²)", v)
		}
	}
}

// TestLayerNormValues checks LayerNorm against a direct computation.
func TestLayerNormValues(t *testing.T) {
	x := [][]float64{{1, 2, 3, 4}, {-2, 0, 0, 10}}
	got, err := context.ExecOnce(testBackend(t), context.New(), LayerNorm, tensors.FromValue(x))
	if err != nil {
		t.Fatal(err)
	}
	g := flat64(t, got)
	for r, row := range x {
		mean, v := 0.0, 0.0
		for _, a := range row {
			mean += a / 4
		}
		for _, a := range row {
			v += (a - mean) * (a - mean) / 4
		}
		for c, a := range row {
			want := (a - mean) / math.Sqrt(v+LayerNormEpsilon)
			if math.Abs(g[r*4+c]-want) > 1e-12 {
				t.Fatalf("row %d col %d = %g, want %g", r, c, g[r*4+c], want)
			}
		}
	}
}
