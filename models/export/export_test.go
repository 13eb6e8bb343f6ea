package export

import (
	"path/filepath"
	"testing"

	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// TestExportVerify exports small trained checkpoints of each task and
// checks the ONNX Runtime model against the GoMLX checkpoint: encoder
// outputs and every step's logits within 1e-4, identical greedy tokens and
// identical decoded boxes or captions.
func TestExportVerify(t *testing.T) {
	rt := loadORT(t)
	for _, tc := range []struct {
		name string
		make func(testing.TB, string, int) (*task.Meta, *seq.Model)
	}{
		{"detection", detectionCheckpoint},
		{"captioning", captionCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ckpt := t.TempDir()
			meta, _ := tc.make(t, ckpt, 8)
			repoDir := t.TempDir()
			res, err := FromCheckpoint(Options{Checkpoint: ckpt, Repo: repoDir, Backend: testBackend(t), Commit: "c0ffee"})
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(repoDir, meta.Task+"-mle", "1"); res.Dir != want {
				t.Errorf("entry dir %s, want %s", res.Dir, want)
			}
			rep, err := Verify(res.Dir, res.Model, rt, VerifyOptions{Images: 3, Seed: 5, Device: cpu, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.MaxLogitDiff > 1e-4 || rep.MaxCrossDiff > 1e-4 {
				t.Errorf("verify failed: max |logit diff| %g, cross %g, tokens agree %v", rep.MaxLogitDiff, rep.MaxCrossDiff, rep.TokensAgree)
			}
			if rep.Steps < 3 {
				t.Errorf("only %d steps compared", rep.Steps)
			}
			for _, ic := range rep.Images {
				if !ic.TokensAgree || ic.ORTDecoded != ic.GoDecoded {
					t.Errorf("image %d: ORT %v %s, GoMLX %v %s", ic.Index, ic.ORTTokens, ic.ORTDecoded, ic.GoTokens, ic.GoDecoded)
				}
				t.Logf("image %d: %v → %s", ic.Index, ic.ORTTokens, ic.ORTDecoded)
			}
			t.Logf("max |logit diff| %.3g over %d steps, cross %.3g; greedy ORT %v, GoMLX %v", rep.MaxLogitDiff, rep.Steps, rep.MaxCrossDiff, rep.ORT, rep.GoMLX)
		})
	}
}
