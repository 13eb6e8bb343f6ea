package seq

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/codec"
)

// probeColours says how a localisation-probe image is coloured.
type probeColours int

const (
	probeFixed   probeColours = iota // yellow objects on black
	probeRandom                      // random object and background colours, RGB distance > 0.7
	probeCentred                     // as probeRandom, minus each image's mean colour
)

// probeBatch draws n images with 1..c.MaxBoxes axis-aligned objects (class
// 0 a square, class 1 a triangle, 4..25 px, not overlapping) and their
// pix2seq targets, boxes in random order. With one box it draws nothing
// for the count, the overlap or the order, so one-object probes see the
// same images whatever the code for several does.
func probeBatch(t testing.TB, rng *rand.Rand, cfg Config, c *codec.Detection, n int, colours probeColours) Batch {
	S := cfg.ImageSize
	img := make([]float32, n*S*S*3)
	perImage := make([][]codec.Box, n)
	for i := range n {
		im := img[i*S*S*3 : (i+1)*S*S*3]
		bg, fg := [3]float32{-1, -1, -1}, [3]float32{1, 1, -1}
		for colours != probeFixed {
			var d float32
			for k := range 3 {
				bg[k], fg[k] = 2*rng.Float32()-1, 2*rng.Float32()-1
				d += (bg[k] - fg[k]) * (bg[k] - fg[k])
			}
			if d > 0.5 {
				break
			}
		}
		for j := range S * S {
			copy(im[3*j:], bg[:])
		}
		count := 1
		if c.MaxBoxes > 1 {
			count += rng.IntN(c.MaxBoxes)
		}
		for len(perImage[i]) < count {
			size := 4 + rng.IntN(S/3)
			y0, x0, class := rng.IntN(S-size), rng.IntN(S-size), rng.IntN(2)
			box := codec.Box{XMin: float64(x0), YMin: float64(y0), XMax: float64(x0 + size), YMax: float64(y0 + size), Class: class}
			if slices.ContainsFunc(perImage[i], func(o codec.Box) bool {
				return box.XMin < o.XMax && o.XMin < box.XMax && box.YMin < o.YMax && o.YMin < box.YMax
			}) {
				continue // overlaps an earlier object: draw again
			}
			for y := y0; y < y0+size; y++ {
				for x := x0; x < x0+size; x++ {
					if class == 0 || (x-x0)+(y-y0) <= size {
						copy(im[3*(y*S+x):], fg[:])
					}
				}
			}
			perImage[i] = append(perImage[i], box)
		}
		if count > 1 {
			rng.Shuffle(count, func(a, b int) { perImage[i][a], perImage[i][b] = perImage[i][b], perImage[i][a] })
		}
		if colours == probeCentred {
			var mean [3]float32
			for j := range S * S {
				for k := range 3 {
					mean[k] += im[3*j+k] / float32(S*S)
				}
			}
			for j := range S * S {
				for k := range 3 {
					im[3*j+k] -= mean[k]
				}
			}
		}
	}
	b, _ := detectionBatch(t, cfg, c, tensors.FromFlatDataAndDimensions(img, n, S, S, 3), perImage)
	return b
}

// BenchmarkLocalisationProbe measures how fast the default detection
// architecture (64² input, 8² patches, width 96, 3+2 blocks, 32 bins)
// learns to find squares and triangles, by how the image is coloured and
// how many objects it holds: the mean token loss over steps 301-400 at
// batch 16, lr 1e-3 (Adam, no schedule). It is the experiment behind the
// finding in docs/detection-world.md that detection is slow where objectness is a relation
// between colours, not a colour. One iteration takes minutes: run it with
// -benchtime 1x (and -bench 'LocalisationProbe/NAME' for one variant).
func BenchmarkLocalisationProbe(b *testing.B) {
	for _, v := range []struct {
		name    string
		colours probeColours
		objects int
	}{
		{"fixed-colours", probeFixed, 1},
		{"random-colours", probeRandom, 1},
		{"random-colours-centred", probeCentred, 1},
		{"fixed-colours-1-3-objects", probeFixed, 3},
	} {
		b.Run(v.name, func(b *testing.B) {
			c, err := codec.NewDetection(32, 2, v.objects)
			if err != nil {
				b.Fatal(err)
			}
			cfg := DetectionConfig(c.VocabSize(), c.SeqLen())
			var last float64
			for b.Loop() {
				m, err := New(testBackend(b), cfg, Options{Seed: 1, LearningRate: 1e-3})
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				last = 0
				for step := 1; step <= 400; step++ {
					loss, err := m.TrainStep(probeBatch(b, rng, cfg, c, 16, v.colours))
					if err != nil {
						b.Fatal(err)
					}
					if step > 300 {
						last += float64(loss) / 100
					}
				}
			}
			b.ReportMetric(last, "loss@301-400")
		})
	}
}
