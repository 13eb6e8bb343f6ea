package train

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/eval/cocoeval"
	"rewardvision/models/backend"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// tinyDetection is the tiny detection run's config with the given bins,
// its validation split and its task.
func tinyDetection(t *testing.T, bins int) (Config, *split, *detectionTask) {
	t.Helper()
	cfg := tinyConfig(t, "detection", 1)
	cfg.Bins = bins
	val, err := loadSplit(context.Background(), cfg.ValDir, cfg.Task, 16, 1, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	det, err := newDetectionTask(&cfg, val)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, val, det
}

// TestDetectionScoreOfGroundTruth: the ground truth's own token sequences
// score AP = AR100 = 1 (the shapes world's boxes are whole pixels, which
// 17 bins on 16 pixels encode exactly), a decode that finds the boxes of
// half the images has a recall strictly between, and empty decodes score 0.
func TestDetectionScoreOfGroundTruth(t *testing.T) {
	cfg, val, det := tinyDetection(t, 17) // bin b ↔ pixel b: integer boxes encode exactly
	decode := func(keep func(i int) bool) decodeFunc {
		return func(fn func(int, []int32, []float32) error) error {
			for i := range val.len() {
				toks, err := det.codec.Encode(val.boxes[i], 16, 16, nil)
				if err != nil {
					return err
				}
				if !keep(i) {
					toks = toks[len(toks)-1:] // EOS only
				}
				if err := fn(i, toks, nil); err != nil {
					return err
				}
			}
			return nil
		}
	}
	all, _, err := det.score(val, 0, decode(func(int) bool { return true }))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ground truth as predictions: %v", all)
	if all["AP"] != 1 || all["AR100"] != 1 || all["AP_any_class"] != 1 || all["images"] != float64(val.len()) {
		t.Errorf("ground truth scored %v, want AP = AR100 = AP_any_class = 1", all)
	}
	// Right boxes, every class wrong: AP 0, class-agnostic AP still 1.
	wrong, _, err := det.score(val, 0, func(fn func(int, []int32, []float32) error) error {
		for i := range val.len() {
			boxes := slices.Clone(val.boxes[i])
			for j := range boxes {
				boxes[j].Class = (boxes[j].Class + 1) % det.codec.NumClasses
			}
			toks, err := det.codec.Encode(boxes, 16, 16, nil)
			if err != nil {
				return err
			}
			if err := fn(i, toks, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if wrong["AP"] != 0 || wrong["AP_any_class"] != 1 || wrong["AR100_any_class"] != 1 {
		t.Errorf("boxes right, classes wrong: %v, want AP 0 and class-agnostic AP = AR100 = 1", wrong)
	}
	none, _, err := det.score(val, 0, decode(func(int) bool { return false }))
	if err != nil {
		t.Fatal(err)
	}
	if none["AP"] != 0 || none["AR100"] != 0 || none["boxes_per_image"] != 0 {
		t.Errorf("empty decodes scored %v, want 0", none)
	}
	half, halfResults, err := det.score(val, 0, decode(func(i int) bool { return i%2 == 0 }))
	if err != nil {
		t.Fatal(err)
	}
	if !(half["AR100"] > 0.2 && half["AR100"] < 0.8) {
		t.Errorf("half the images decoded: AR100 %v, want between 0.2 and 0.8", half["AR100"])
	}
	// The results list, written and read back as `eval coco` reads it,
	// scores exactly the same against the split's instances file.
	path := filepath.Join(t.TempDir(), "dets.json")
	if err := halfResults.save(path); err != nil {
		t.Fatal(err)
	}
	gt, dets, err := cocoeval.LoadFiles(filepath.Join(cfg.ValDir, "instances.json"), path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cocoeval.Evaluate(gt, dets, cocoeval.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if float64(len(dets)) != half["boxes_per_image"]*half["images"] || res.Stats.AP != half["AP"] || res.Stats.AR100 != half["AR100"] {
		t.Errorf("results file: %d detections, AP %v, AR100 %v; evaluation: %v", len(dets), res.Stats.AP, res.Stats.AR100, half)
	}
}

// TestValidationNLLByKind recomputes the per-kind validation loss from the
// model's raw logits (masked log-softmax in Go) and compares.
func TestValidationNLLByKind(t *testing.T) {
	cfg, val, det := tinyDetection(t, 16)
	full, _ := cfg.withDefaults()
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	mcfg := modelConfig(task.Detection, full.Model, det)
	m, err := seq.New(be, mcfg, seq.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	metrics, _, err := det.evaluate(m, val, 0, 3) // batches of 3: the last one is short
	if err != nil {
		t.Fatal(err)
	}
	L, V := mcfg.SeqLen, mcfg.VocabSize
	mask := det.mask()
	sum, count := map[string]float64{}, map[string]float64{}
	for i := range val.len() {
		tokens, err := det.target(val, i, rand.New(rand.NewPCG(uint64(i), 0x76616c)))
		if err != nil {
			t.Fatal(err)
		}
		in, tg, w, _ := codec.TeacherForcing(tokens, L)
		logits, err := m.Logits(imagesTensor(val, []int{i}), tensors.FromFlatDataAndDimensions(in, 1, L))
		if err != nil {
			t.Fatal(err)
		}
		lg := tensors.MustCopyFlatData[float32](logits)
		for p := range L {
			if w[p] == 0 {
				continue
			}
			var z float64
			for v := range V {
				z += math.Exp(float64(lg[p*V+v] + mask[p*V+v]))
			}
			nll := math.Log(z) - float64(lg[p*V+int(tg[p])]+mask[p*V+int(tg[p])])
			kind := map[bool]string{true: "coord", false: "class"}[det.codec.IsCoord(tg[p])]
			if tg[p] == codec.EOS {
				kind = "eos"
			}
			sum[kind], count[kind] = sum[kind]+nll, count[kind]+1
			sum["all"], count["all"] = sum["all"]+nll, count["all"]+1
		}
	}
	for kind, name := range map[string]string{"coord": "nll_coord", "class": "nll_class", "eos": "nll_eos", "all": "nll"} {
		if want := sum[kind] / count[kind]; math.Abs(metrics[name]-want) > 1e-4 {
			t.Errorf("%s = %.6f, recomputed %.6f", name, metrics[name], want)
		}
	}
	t.Logf("%v", metrics)
}
