package serve

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"rewardvision/models/runner"
)

// BenchmarkGenerateBatch: images/s of the shipped models' greedy
// decoding in one call of b images against b calls of one, the ceiling of what
// dynamic batching can gain on this machine (ns/op is per call).
func BenchmarkGenerateBatch(b *testing.B) {
	benchPerCall(b, func(m *Model, pixels []float32, n int, opts runner.GenerateOptions) error {
		_, err := m.Runner.GenerateGroups(pixels, []runner.Group{{N: n, Opts: opts}})
		return err
	})
}

// BenchmarkEncodeBatch: images/s of the shipped models' encoder in one
// call of n images. Captioning's encoder (64 patches) gains little from
// batching, which bounds what batching gains for its requests.
func BenchmarkEncodeBatch(b *testing.B) {
	benchPerCall(b, func(m *Model, pixels []float32, n int, _ runner.GenerateOptions) error {
		_, err := m.Runner.EncodeGroups([][]float32{pixels}, []int{n})
		return err
	})
}

// benchPerCall runs call on n = 1, 4 and 16 copies of each shipped MLE
// model's test image and reports images/s.
func benchPerCall(b *testing.B, call func(m *Model, pixels []float32, n int, opts runner.GenerateOptions) error) {
	reg := sharedRegistry(b)
	for _, route := range []string{"detect", "caption"} {
		m, pixels1, opts := greedyInput(b, reg, route)
		for _, n := range []int{1, 4, 16} {
			pixels := slices.Repeat(pixels1, n)
			b.Run(fmt.Sprintf("%s/batch=%d", route, n), func(b *testing.B) {
				for b.Loop() {
					if err := call(m, pixels, n, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}

// BenchmarkContinuousBatch: images/s of the shipped models' greedy
// decoding in a continuous batch holding n rows, whose requests join one
// per step at first, so they finish at different steps and every step
// has one leaving and one joining (the server's regime under steady
// load); compare with BenchmarkGenerateBatch's batch of n. In the
// "encoded" runs the requests join encoded ahead (Batch.AddEncoded), so
// ns/op is the decoder step's alone, as the server's decoder stage runs
// it beside the encoder.
func BenchmarkContinuousBatch(b *testing.B) {
	reg := sharedRegistry(b)
	for _, route := range []string{"detect", "caption"} {
		m, pixels1, opts := greedyInput(b, reg, route)
		encs, err := m.Runner.EncodeGroups([][]float32{pixels1}, []int{1})
		if err != nil {
			b.Fatal(err)
		}
		for _, encoded := range []bool{false, true} {
			for _, n := range []int{1, 4, 16} {
				name := fmt.Sprintf("%s/rows=%d", route, n)
				if encoded {
					name += "/encoded"
				}
				b.Run(name, func(b *testing.B) {
					batch := m.Runner.NewBatch()
					defer batch.Close()
					join := func() {
						g := runner.Group{N: 1, Opts: opts}
						if encoded {
							_, err = batch.AddEncoded(encs[0], g)
						} else {
							_, err = batch.Add(pixels1, g)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					done, steps := 0, 0
					for b.Loop() {
						if steps < n {
							join()
						}
						res, err := batch.Step()
						if err != nil {
							b.Fatal(err)
						}
						steps++
						for range res.Finished {
							done++
							join()
						}
					}
					b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "img/s")
				})
			}
		}
	}
}

// greedyInput is the shipped MLE model of route, its test image
// preprocessed, and greedy decoding options: the input of the batching
// benchmarks.
func greedyInput(b testing.TB, reg *Registry, route string) (*Model, []float32, runner.GenerateOptions) {
	b.Helper()
	m, err := reg.Lookup(route, "mle")
	if err != nil {
		b.Fatal(err)
	}
	img := detImage(b)
	if route == "caption" {
		img = capImage(b)
	}
	prep, err := m.Runner.Preprocess([]image.Image{decodePNG(b, img)})
	if err != nil {
		b.Fatal(err)
	}
	opts := m.Runner.DefaultOptions()
	opts.Temperature = 0
	return m, prep[0].Pixels, opts
}
