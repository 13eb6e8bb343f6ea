package export

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// defaultDetection is the default detection model (100 bins, 10 classes,
// 8 boxes: vocab 113, 41 tokens; 64² input, width 96, 3+2 blocks,
// ~685k parameters), randomly initialised, with its meta.
func defaultDetection(b *testing.B) (*seq.Model, *checkpoint.Meta) {
	b.Helper()
	c, err := codec.NewDetection(100, 10, 8)
	if err != nil {
		b.Fatal(err)
	}
	cfg := seq.DetectionConfig(c.VocabSize(), c.SeqLen())
	m, err := seq.New(testBackend(b), cfg, seq.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	images := randImages(rand.New(rand.NewPCG(1, 1)), cfg, 1)
	if _, err := m.Logits(images, tensors.FromFlatDataAndDimensions([]int32{codec.BOS}, 1, 1)); err != nil {
		b.Fatal(err)
	}
	labels := make([]checkpoint.Label, 10)
	for i := range labels {
		labels[i] = checkpoint.Label{Index: i, CategoryID: i + 1, Name: fmt.Sprint("c", i)}
	}
	meta := &checkpoint.Meta{Task: task.Detection, Variant: task.MLE, Model: cfg,
		Input:     checkpoint.Input{Size: 64, Channels: 3, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}, Letterbox: true, Pad: 0.5},
		Detection: &checkpoint.DetectionCodec{Bins: 100, NumClasses: 10, MaxBoxes: 8}, Labels: labels}
	return m, meta
}

// BenchmarkExport: trace both graphs of the default detection model and
// write the entry (what `rewardvision export` does after loading).
//
//	go test -run '^$' -bench Export -benchtime 10x ./models/export/
func BenchmarkExport(b *testing.B) {
	m, meta := defaultDetection(b)
	repoDir := b.TempDir()
	var size int64
	for b.Loop() {
		traced, err := Trace(m.Context(), SeqGraphs(m.Cfg, onnx.Initializers))
		if err != nil {
			b.Fatal(err)
		}
		man := NewManifest(meta, "bench", 1, "", "")
		if _, err := WriteEntry(repoDir, man, traced, nil, true); err != nil {
			b.Fatal(err)
		}
		size = man.Graphs["encoder"].Bytes + man.Graphs["decoder_step"].Bytes
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(m.Cfg.ParamCount()), "params")
}

// BenchmarkRefresh: the cost of handing a training step's new weights to
// ONNX Runtime. "inputs" is Live.Refresh (weights are graph inputs: copy
// the variables into ORT tensors); "reexport" re-encodes the initializers
// (onnx.Model.UpdateWeights + Marshal) and opens new sessions.
//
//	go test -run '^$' -bench Refresh -benchtime 20x ./models/export/
func BenchmarkRefresh(b *testing.B) {
	rt := loadORT(b)
	m, meta := defaultDetection(b)
	b.Run("inputs", func(b *testing.B) {
		live, err := NewLive(m, meta, b.TempDir(), rt, cpu, runner.Options{IntraOpThreads: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer live.Close()
		for b.Loop() {
			if _, err := live.Refresh(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reexport", func(b *testing.B) {
		traced, err := Trace(m.Context(), SeqGraphs(m.Cfg, onnx.Initializers))
		if err != nil {
			b.Fatal(err)
		}
		man := NewManifest(meta, "bench", 1, "", "")
		for _, t := range traced {
			AddGraph(man, t, "", 0)
		}
		for b.Loop() {
			graphs := map[string][]byte{}
			for _, t := range traced {
				if err := t.Model.UpdateWeights(); err != nil {
					b.Fatal(err)
				}
				if graphs[t.Role], err = t.Model.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
			r, err := runner.New(man, "", graphs, rt, cpu, runner.Options{IntraOpThreads: 1})
			if err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
}

// BenchmarkRollout: one REINFORCE sampling pass (32 images, temperature
// 1, full 41 tokens) with weights as graph inputs (Live) and as
// initializers (a repository entry): what feeding weights costs per pass.
//
//	go test -run '^$' -bench Rollout -benchtime 5x ./models/export/
func BenchmarkRollout(b *testing.B) {
	rt := loadORT(b)
	m, meta := defaultDetection(b)
	images := tensors.MustCopyFlatData[float32](randImages(rand.New(rand.NewPCG(2, 2)), m.Cfg, 32))
	live, err := NewLive(m, meta, b.TempDir(), rt, cpu, runner.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer live.Close()
	traced, err := Trace(m.Context(), SeqGraphs(m.Cfg, onnx.Initializers))
	if err != nil {
		b.Fatal(err)
	}
	dir, err := WriteEntry(b.TempDir(), NewManifest(meta, "bench", 1, "", ""), traced, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	entry, err := runner.OpenWith(dir, rt, cpu, runner.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer entry.Close()
	for _, tc := range []struct {
		name string
		r    *runner.Runner
	}{{"weights_as_inputs", live.Runner()}, {"initializers", entry}} {
		b.Run(tc.name, func(b *testing.B) {
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				if _, err := tc.r.Generate(images, 32, runner.GenerateOptions{Temperature: 1, Seed: uint64(i), MaxTokens: m.Cfg.SeqLen}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/pass")
		})
	}
}
