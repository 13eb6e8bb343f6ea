package nn

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"rewardvision/models/backend/backendtest"
)

// BenchmarkTrainStep times an Adam step of two pre-norm transformer blocks
// (causal self-attention + MLP, width 96, 3 heads) on [32, 41, 96] inputs,
// with these layers ("custom") and with GoMLX's own DotGeneral gradient
// ("stock"). Reports steps/s and the process's peak RSS; run one
// sub-benchmark per process for a clean peak:
//
//	go test -run '^$' -bench 'TrainStep/custom' -benchtime 10x ./models/nn/
func BenchmarkTrainStep(b *testing.B) {
	for _, mode := range []string{"custom", "stock"} {
		b.Run(mode, func(b *testing.B) {
			const batch, seq, width, heads = 32, 41, 96, 3
			ctx := context.New()
			ctx.SetParam(ParamStockGradients, mode == "stock")
			opt := optimizers.Adam().LearningRate(1e-3).Done()
			e, err := context.NewExec(testBackend(b), ctx, func(ctx *context.Context, x *Node) *Node {
				h := x
				bias := CausalBias(x.Graph(), x.DType(), seq)
				for i := range 2 {
					c := ctx.In("block" + strconv.Itoa(i))
					n := LayerNorm(c.In("ln1"), h)
					h = graph.Add(h, MultiHeadAttention(c.In("attn"), n, n, heads, bias))
					h = graph.Add(h, MLP(c.In("mlp"), LayerNorm(c.In("ln2"), h), 4*width))
				}
				loss := graph.ReduceAllMean(graph.Mul(h, h))
				opt.UpdateGraph(ctx, x.Graph(), loss)
				return loss
			})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Finalize()
			x := randTensor32(rand.New(rand.NewPCG(1, 1)), batch, seq, width)
			if _, err := e.Exec(x); err != nil { // compile and initialise outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := e.Exec(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "steps/s")
			b.ReportMetric(backendtest.PeakRSSMiB(), "peakRSS_MiB")
		})
	}
}
