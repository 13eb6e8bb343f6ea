package train

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/dataset/shapes"
)

// BenchmarkRewardStep times reward-tuning steps of the shipped MLE models
// as `make train-reward-*` runs them (8 images × 8 samples) on a freshly
// generated split of their world, and reports the share of a step spent
// sampling the rollouts with ONNX Runtime (the goal: under 25%),
// scoring them, and updating with GoMLX. (ns/op also holds loading the
// data and model and the final validation: read the reported metrics.)
func BenchmarkRewardStep(b *testing.B) {
	for _, tc := range []struct{ task, preset, init string }{
		{"detection", "detection", "../assets/checkpoints/detection-mle"},
		{"captioning", "captioning", "../assets/checkpoints/captioning-mle"},
	} {
		b.Run(tc.task, func(b *testing.B) {
			if _, err := os.Stat(tc.init); err != nil {
				b.Skip("no shipped checkpoint:", err)
			}
			root := b.TempDir()
			cfg, err := shapes.Preset(tc.preset)
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range []struct {
				split string
				n     int
				seed  int64
			}{{"train", 64, 1}, {"val", 8, 2}} {
				if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: filepath.Join(root, s.split), N: s.n, Seed: s.seed, Split: s.split, Workers: 2}); err != nil {
					b.Fatal(err)
				}
			}
			steps := max(b.N, 2)
			rc := RewardConfig{Init: tc.init, TrainDir: filepath.Join(root, "train"), ValDir: filepath.Join(root, "val"), OutDir: filepath.Join(root, "out"),
				Samples: 8, Temperature: 1, Steps: steps, Batch: 8, LR: 1e-4, Clip: 1, Seed: 1, LogEvery: 1, Keep: 1,
				Workers: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			b.ResetTimer()
			if _, err := RunReward(context.Background(), rc); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			var roll, rew, upd float64
			for _, l := range readRewardLog(b, rc.OutDir) {
				if l.Reward != nil {
					roll, rew, upd = roll+l.RolloutS, rew+l.RewardS, upd+l.UpdateS
				}
			}
			total := roll + rew + upd
			b.ReportMetric(roll/float64(steps), "rollout-s/step")
			b.ReportMetric(upd/float64(steps), "update-s/step")
			b.ReportMetric(roll/total, "rollout-share")
			b.ReportMetric(rew/total, "reward-share")
		})
	}
}
