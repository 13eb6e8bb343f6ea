package export

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/codec"
	"rewardvision/models/repo"
)

// testPanoptic is a small random panoptic code: 2 stuff and 3 thing
// classes of 2 ranks (8 labels), k random label sets of 1 to 3 labels.
func testPanoptic(rng *rand.Rand, size, patch, k, iters int) *codec.Panoptic {
	p := &codec.Panoptic{Size: size, Patch: patch, Ranks: 2, Iters: iters, Stuff: []int{11, 12}, Things: []int{1, 2, 3}}
	for range k {
		set := rng.Perm(p.Labels())[:1+rng.IntN(3)]
		slices.Sort(set)
		p.Codes = append(p.Codes, set)
	}
	return p
}

// testScene is a batch of images of a few flat colours with noise and
// random codes: colours near each other make near-ties in the
// nearest-colour assignment, where a different rounding would show.
func testScene(rng *rand.Rand, p *codec.Panoptic, batch int) (codes [][]int32, pix [][]uint8) {
	n := p.Grid() * p.Grid()
	for range batch {
		var c []int32
		for range n {
			c = append(c, int32(rng.IntN(p.K())))
		}
		palette := [][3]int{{200, 30, 30}, {40, 180, 60}, {50, 60, 200}, {128, 128, 128}}
		img := make([]uint8, 3*p.Size*p.Size)
		for i := 0; i < p.Size*p.Size; i++ {
			col := palette[(i/p.Size/5+i%p.Size/7)%len(palette)]
			for ch := range 3 {
				img[3*i+ch] = uint8(min(255, max(0, col[ch]+rng.IntN(61)-30)))
			}
		}
		codes, pix = append(codes, c), append(pix, img)
	}
	return codes, pix
}

func pixelsTensor(pix [][]uint8, size int) *tensors.Tensor {
	var flat []float32
	for _, img := range pix {
		for _, v := range img {
			flat = append(flat, float32(v))
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, len(pix), size, size, 3)
}

// The panoptic code decoder graph computes exactly the labels
// codec.Panoptic.Decode computes in Go (training's rewards use the one,
// serving the other), for several layouts and refit counts.
func TestPanopticDecoderGraphMatchesDecode(t *testing.T) {
	be := testBackend(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, l := range []struct{ size, patch, k, iters int }{{64, 8, 20, 3}, {16, 4, 6, 0}, {12, 6, 4, 1}} {
		p := testPanoptic(rng, l.size, l.patch, l.k, l.iters)
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		const batch = 3
		codes, pix := testScene(rng, p, batch)
		var flat []int32
		for _, c := range codes {
			flat = append(flat, c...)
		}
		e, err := context.NewExec(be, PanopticDecoderContext(p).Reuse(), PanopticDecoderGraph(p))
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Exec(tensors.FromFlatDataAndDimensions(flat, batch, p.Grid()*p.Grid()), pixelsTensor(pix, l.size))
		e.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[int32](out[0])
		per := l.size * l.size
		for b := range codes {
			want, err := p.Decode(codes[b], pix[b])
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if got[b*per+i] != int32(w) {
					t.Fatalf("layout %+v, image %d, pixel %d: graph label %d, Decode %d", l, b, i, got[b*per+i], w)
				}
			}
		}
	}
}

// The exported panoptic code decoder gives, in ONNX Runtime, the labels
// codec.Panoptic.Decode gives in Go, on random codes over noisy images
// (near-ties included): the serving path and training's reward agree.
func TestPanopticDecoderONNXMatchesDecode(t *testing.T) {
	loadORT(t)
	rng := rand.New(rand.NewPCG(5, 6))
	p := testPanoptic(rng, 64, 8, 30, 3)
	traced, err := Trace(PanopticDecoderContext(p), PanopticDecoderGraphs(p))
	if err != nil {
		t.Fatal(err)
	}
	data, err := traced[0].Model.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{repo.InputCodes, repo.InputPixels}, []string{repo.OutLabels}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	const batch = 8
	codes, pix := testScene(rng, p, batch)
	var flat []int32
	for _, c := range codes {
		flat = append(flat, c...)
	}
	x, err := ort.NewTensor(ort.NewShape(batch, int64(p.Grid()*p.Grid())), flat)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	y, err := ort.NewTensor(ort.NewShape(batch, 64, 64, 3), tensors.MustCopyFlatData[float32](pixelsTensor(pix, 64)))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Destroy()
	out := []ort.Value{nil}
	if err := s.Run([]ort.Value{x, y}, out); err != nil {
		t.Fatal(err)
	}
	defer out[0].Destroy()
	got := out[0].(*ort.Tensor[int32]).GetData()
	for b := range batch {
		want, err := p.Decode(codes[b], pix[b])
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if got[b*64*64+i] != int32(w) {
				t.Fatalf("image %d, pixel %d: ONNX label %d, Decode %d", b, i, got[b*64*64+i], w)
			}
		}
	}
}

// BenchmarkPanopticDecoder: one 64² image through the code decoder, in
// ONNX Runtime (the serving path) and in Go (codec.Panoptic.Decode, the
// training reward's path), 46 labels and 3 refits as shipped.
func BenchmarkPanopticDecoder(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := testPanoptic(rng, 64, 8, 512, 3)
	p.Stuff, p.Things, p.Ranks = []int{11, 12, 13, 14, 15, 16}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4
	codes, pix := testScene(rng, p, 1)
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Decode(codes[0], pix[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("onnx", func(b *testing.B) {
		loadORT(b)
		traced, err := Trace(PanopticDecoderContext(p), PanopticDecoderGraphs(p))
		if err != nil {
			b.Fatal(err)
		}
		data, err := traced[0].Model.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		opts, err := ort.NewSessionOptions()
		if err != nil {
			b.Fatal(err)
		}
		defer opts.Destroy()
		s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{repo.InputCodes, repo.InputPixels}, []string{repo.OutLabels}, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Destroy()
		x, _ := ort.NewTensor(ort.NewShape(1, int64(p.Grid()*p.Grid())), codes[0])
		defer x.Destroy()
		y, _ := ort.NewTensor(ort.NewShape(1, 64, 64, 3), tensors.MustCopyFlatData[float32](pixelsTensor(pix, 64)))
		defer y.Destroy()
		for b.Loop() {
			out := []ort.Value{nil}
			if err := s.Run([]ort.Value{x, y}, out); err != nil {
				b.Fatal(err)
			}
			out[0].Destroy()
		}
	})
}
