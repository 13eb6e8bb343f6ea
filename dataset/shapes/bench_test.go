package shapes

import (
	"context"
	"os"
	"testing"
	"time"

	"rewardvision/internal/cputime"
)

// BenchmarkGenerate measures images/s of a whole split at 64×64, all files
// written (to $RV_BENCH_DIR when set, e.g. a tmpfs, else the test temp dir).
// It also reports images per CPU-second (user + system time of the
// process), which a busy shared machine distorts less than wall time.
func BenchmarkGenerate(b *testing.B) {
	const n = 500
	cfg := DefaultConfig()
	var total time.Duration
	cpu0 := cputime.Process()
	for b.Loop() {
		dir, err := os.MkdirTemp(os.Getenv("RV_BENCH_DIR"), "shapes-bench")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := Generate(context.Background(), cfg, Options{Out: dir, N: n, Seed: 1, Split: "train"}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "images/s")
	b.ReportMetric(float64(n*b.N)/(cputime.Process()-cpu0).Seconds(), "images/cpu-s")
}

// BenchmarkRender is the CPU part alone: scene, masks, captions.
func BenchmarkRender(b *testing.B) {
	cfg := DefaultConfig()
	for i := 0; b.Loop(); i++ {
		sc := Render(cfg, 1, "train", i)
		if _, err := annotate(sc, 1); err != nil {
			b.Fatal(err)
		}
		captionScene(imageRand(1, "c", i), sc)
	}
}
