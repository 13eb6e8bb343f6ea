package export

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/codec"
)

// The code decoder graph computes exactly the plane codec.Chroma.Decode
// computes in Go (training's rewards use the one, serving the other), for
// several layouts of grid, patch and subsampling.
func TestCodeDecoderGraphMatchesDecode(t *testing.T) {
	be := testBackend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range []struct{ size, patch, sub, k int }{{64, 8, 2, 7}, {16, 4, 1, 5}, {12, 6, 3, 3}} {
		cb, err := codec.NewChroma(l.size, l.patch, l.sub, l.k)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range cb.Centers {
			for i := range v {
				v[i] = float32(rng.IntN(511) - 255)
			}
		}
		n := cb.Grid() * cb.Grid()
		const batch = 3
		codes := make([][]int32, batch)
		var flat []int32
		for b := range codes {
			for range n {
				codes[b] = append(codes[b], int32(rng.IntN(l.k)))
			}
			flat = append(flat, codes[b]...)
		}
		e, err := context.NewExec(be, CodeDecoderContext(cb).Reuse(), CodeDecoderGraph(cb))
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Exec(tensors.FromFlatDataAndDimensions(flat, batch, n))
		e.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		per := 2 * l.size * l.size
		for b := range codes {
			want, err := cb.Decode(codes[b])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[b*per:(b+1)*per], want) {
				t.Fatalf("layout %+v, image %d: the graph's plane differs from Decode's", l, b)
			}
		}
	}
}
