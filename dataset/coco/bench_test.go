package coco

import (
	"bytes"
	"io"
	"testing"

	"rewardvision/internal/testfix"
)

// BenchmarkLoadInstancesPerf5k reads the 5,000-image fixture (gzipped);
// skipped where the shared fixtures are absent.
func BenchmarkLoadInstancesPerf5k(b *testing.B) {
	path := testfix.Path(b, "coco-det/perf5k/gt.json.gz")
	for b.Loop() {
		ds, err := LoadInstances(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(ds.Annotations)), "annotations")
	}
}

func BenchmarkReadWriteInstancesSmall(b *testing.B) {
	ds, err := LoadInstances(testfix.Path(b, "coco-det/small/gt.json"))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteInstances(&buf, ds); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := ReadInstances(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if err := WriteInstances(io.Discard, ds); err != nil {
				b.Fatal(err)
			}
		}
	})
}
