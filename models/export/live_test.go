package export

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/codec"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
)

// TestLiveRefresh: a Live runner decodes as the GoMLX model does, and
// after training steps plus Refresh it follows the new weights.
func TestLiveRefresh(t *testing.T) {
	rt := loadORT(t)
	ckpt := t.TempDir()
	meta, m := detectionCheckpoint(t, ckpt, 0)
	live, err := NewLive(m, meta, ckpt, rt, cpu, runner.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	r := live.Runner()
	if len(r.BoundInputs("encoder")) == 0 || len(r.BoundInputs("decoder_step")) == 0 {
		t.Fatal("live graphs take no weights as inputs")
	}
	c, _ := codec.NewDetection(16, 3, 2)
	batch := makeBatch(t, m.Cfg, detectionTargets(t, c))
	flat := tensors.MustCopyFlatData[float32](batch.Images)
	mask := r.GrammarMask()
	check := func(when string) []float32 {
		t.Helper()
		og, err := r.Generate(flat, 3, runner.GenerateOptions{GrammarMask: mask, KeepLogits: true})
		if err != nil {
			t.Fatal(err)
		}
		gg, err := m.Generate(batch.Images, seq.GenerateOptions{Mask: mask, KeepLogits: true})
		if err != nil {
			t.Fatal(err)
		}
		for b := range 3 {
			if want := codec.UpToEOS(gg.Tokens[b]); !slices.Equal(og.Tokens[b], want) {
				t.Fatalf("%s: image %d: live runner %v, GoMLX %v", when, b, og.Tokens[b], want)
			}
			for s := range og.Tokens[b] {
				if d := maxDiff(og.Logits[b][s*m.Cfg.VocabSize:(s+1)*m.Cfg.VocabSize], gg.Logits[s][b*m.Cfg.VocabSize:(b+1)*m.Cfg.VocabSize]); d > Tolerance {
					t.Fatalf("%s: image %d step %d: |logit diff| %g", when, b, s, d)
				}
			}
		}
		return og.Logits[0]
	}
	before := check("untrained")
	for range 5 {
		if _, err := m.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
	}
	stale, err := r.Generate(flat, 3, runner.GenerateOptions{GrammarMask: mask, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(stale.Logits[0][:m.Cfg.VocabSize], before[:m.Cfg.VocabSize]) != 0 {
		t.Fatal("runner changed before Refresh")
	}
	took, err := live.Refresh()
	if err != nil {
		t.Fatal(err)
	}
	after := check("after 5 steps")
	if maxDiff(after[:m.Cfg.VocabSize], before[:m.Cfg.VocabSize]) < 1e-3 {
		t.Fatal("Refresh did not change the logits")
	}
	t.Logf("refresh of %d parameters: %v", m.Cfg.ParamCount(), took)
}
