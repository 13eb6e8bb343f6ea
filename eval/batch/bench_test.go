package batch

import (
	"context"
	"image"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"rewardvision/dataset/shapes"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// BenchmarkThroughput compares in-process batch eval (Run: decode from
// disk, predict, append JSONL) with a bare ONNX Runtime loop (runner.Predict
// on images already decoded in memory, same concurrency) on the same
// images with the shipped detector, and reports the ratio:
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./eval/batch/
func BenchmarkThroughput(b *testing.B) {
	const n, conc = 200, 2
	dir := b.TempDir()
	cfg, err := shapes.Preset("detection")
	if err != nil {
		b.Fatal(err)
	}
	split := filepath.Join(dir, "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: split, N: n, Seed: 2, Split: "val"}); err != nil {
		b.Fatal(err)
	}
	ann, imgDir, _ := SplitFiles(task.Detection, split)
	ds, err := LoadDataset(task.Detection, ann, imgDir)
	if err != nil {
		b.Fatal(err)
	}
	rt, err := ortrun.Load("")
	if err != nil {
		b.Fatalf("ONNX Runtime: %v", err)
	}
	entry := "../../assets/models/detection-mle/1"
	m, err := OpenEntry(entry, task.Detection, rt, ortrun.Device{Kind: "cpu"}, runner.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	info := m.Info()
	if err := AssignKeysOne(&info); err != nil {
		b.Fatal(err)
	}
	decoded := make([]image.Image, len(ds.Images))
	for i, im := range ds.Images {
		if decoded[i], err = DecodeImage(im); err != nil {
			b.Fatal(err)
		}
	}
	bare := func() float64 {
		start := time.Now()
		var wg sync.WaitGroup
		next := make(chan image.Image)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for img := range next {
					if _, err := m.Predict(context.Background(), img); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, img := range decoded {
			next <- img
		}
		close(next)
		wg.Wait()
		return float64(n) / time.Since(start).Seconds()
	}
	batch := func(i int) float64 {
		out := filepath.Join(dir, "run", string(rune('a'+i%26)), time.Now().Format("150405.000000"))
		start := time.Now()
		if _, err := Run(context.Background(), out, ds.Images, []Model{keyedModel{m, info}}, Options{Concurrency: conc}); err != nil {
			b.Fatal(err)
		}
		return float64(n) / time.Since(start).Seconds()
	}
	bare() // warm up sessions and caches
	var sumBare, sumBatch float64
	b.ResetTimer()
	for i := range b.N {
		// Interleaved, so a load change on the machine hits both.
		sumBare += bare()
		sumBatch += batch(i)
	}
	b.ReportMetric(sumBare/float64(b.N), "bare_img/s")
	b.ReportMetric(sumBatch/float64(b.N), "batch_img/s")
	b.ReportMetric(sumBatch/sumBare, "ratio")
}

// keyedModel is a model with its Key set.
type keyedModel struct {
	Model
	info ModelInfo
}

func (k keyedModel) Info() ModelInfo { return k.info }

// AssignKeysOne sets a single model's key.
func AssignKeysOne(info *ModelInfo) error {
	infos := []ModelInfo{*info}
	if err := AssignKeys(infos); err != nil {
		return err
	}
	*info = infos[0]
	return nil
}
