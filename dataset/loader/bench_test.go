package loader

import (
	"context"
	"testing"
)

// BenchmarkIterate measures samples/s over the generated 30-image split
// (64×64 PNGs with panoptic maps), two workers.
func BenchmarkIterate(b *testing.B) {
	recs, err := LoadSplit(shapesSplit(b), false, quiet)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		it, err := New(context.Background(), recs, Config{Size: 64, Shuffle: true, Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		ss, err := All(it)
		it.Close()
		if err != nil {
			b.Fatal(err)
		}
		n += len(ss)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
}
