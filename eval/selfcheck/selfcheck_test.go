package selfcheck

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/shapes"
	"rewardvision/eval/captions"
	"rewardvision/eval/cocoeval"
	"rewardvision/eval/panoptic"
)

// genSplit writes a small synthetic split and returns its folder.
func genSplit(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := shapes.Generate(context.Background(), shapes.DefaultConfig(),
		shapes.Options{Out: dir, N: n, Seed: 7, Split: "val"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGroundTruthAgainstItself(t *testing.T) {
	dir := genSplit(t, 40)

	t.Run("detection AP 1 for bbox and segm", func(t *testing.T) {
		inst, err := coco.LoadInstances(filepath.Join(dir, "instances.json"))
		if err != nil {
			t.Fatal(err)
		}
		var dets []coco.Detection
		for _, a := range inst.Annotations {
			if a.IsCrowd != 0 {
				continue
			}
			box := a.BBox
			dets = append(dets, coco.Detection{ImageID: a.ImageID, CategoryID: a.CategoryID,
				BBox: &box, Score: 1, Segmentation: a.Segmentation})
		}
		res := filepath.Join(t.TempDir(), "dets.json")
		if err := coco.SaveDetections(res, dets); err != nil {
			t.Fatal(err)
		}
		for _, iouType := range []string{"bbox", "segm"} {
			gt, dt, err := cocoeval.LoadFiles(filepath.Join(dir, "instances.json"), res)
			if err != nil {
				t.Fatal(err)
			}
			r, err := cocoeval.Evaluate(gt, dt, cocoeval.Params{IoUType: iouType})
			if err != nil {
				t.Fatal(err)
			}
			// At 64 px every object is COCO-"small"; medium and large are -1.
			if r.Stats.AP != 1 || r.Stats.AP50 != 1 || r.Stats.AR100 != 1 || r.Stats.APs != 1 {
				t.Errorf("%s: AP %v AP50 %v AR100 %v APs %v, want all 1", iouType, r.Stats.AP, r.Stats.AP50, r.Stats.AR100, r.Stats.APs)
			}
		}
	})

	t.Run("panoptic PQ 1", func(t *testing.T) {
		js, pd := filepath.Join(dir, "panoptic.json"), filepath.Join(dir, "panoptic")
		r, err := panoptic.Evaluate(js, pd, js, pd, panoptic.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string]panoptic.Metrics{"All": r.All, "Things": r.Things, "Stuff": r.Stuff} {
			if m.PQ != 1 || m.SQ != 1 || m.RQ != 1 {
				t.Errorf("%s: PQ %v SQ %v RQ %v, want 1", name, m.PQ, m.SQ, m.RQ)
			}
		}
	})

	t.Run("captions: a reference scored against all references", func(t *testing.T) {
		refs, err := captions.LoadRefs(filepath.Join(dir, "captions.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 40 {
			t.Fatalf("%d images with captions, want 40", len(refs))
		}
		preds := map[int]string{}
		for id, rs := range refs {
			if len(rs) != 5 {
				t.Fatalf("image %d has %d references, want 5", id, len(rs))
			}
			preds[id] = rs[0]
		}
		r, err := captions.Evaluate(refs, preds)
		if err != nil {
			t.Fatal(err)
		}
		// A prediction that is one of the references matches it exactly but
		// not the other four phrasings, so CIDEr-D lies well above a wrong
		// caption and below the 10 of a caption equal to every reference.
		// The per-image scores must also equal the corpus scorer's reward.
		if r.CIDErD < 2 || r.CIDErD > 10 || r.BLEU[3] < 0.3 {
			t.Errorf("CIDEr-D %v BLEU-4 %v for references as predictions", r.CIDErD, r.BLEU[3])
		}
		corpus := make([][]string, 0, len(refs))
		ids := make([]int, 0, len(refs))
		for id, rs := range refs {
			corpus = append(corpus, rs)
			ids = append(ids, id)
		}
		scorer := captions.NewCIDErD(corpus)
		for i, id := range ids {
			got, err := scorer.ScoreImage(i, preds[id])
			if err != nil {
				t.Fatal(err)
			}
			if want := r.PerImageCIDErD[id]; math.Abs(got-want) > 1e-9 {
				t.Errorf("image %d: reward %v, per-image CIDEr-D %v", id, got, want)
			}
		}
	})
}
