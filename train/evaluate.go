package train

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"rewardvision/eval/captions"
	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// EvalOptions are the inputs of Evaluate.
type EvalOptions struct {
	Checkpoint string // training or shipped folder with meta.json
	Val        string // validation split folder
	N          int    // first N images (0: all)
	Workers    int    // image decoding goroutines (0: 1)
	Results    string // optional results file of the outputs scored
	Logger     *slog.Logger
}

// Evaluate scores the latest checkpoint of o.Checkpoint on the first o.N
// images of the validation split o.Val (all when N is 0), with the metric
// training reports: detection AP, AP50, AP75, AR100; captioning CIDEr-D,
// BLEU-4, ROUGE-L; colorization PSNR, SSIM, colourfulness, reward. The
// "step" entry is the checkpoint's global step. A non-empty o.Results receives
// the greedy outputs it scored as a COCO results list (detections for
// `eval coco`, captions for `eval captions`); since those score every
// image of the split, it needs all of them evaluated.
func Evaluate(ctx context.Context, o EvalOptions) (map[string]float64, error) {
	dir, valDir, n, resultsPath := o.Checkpoint, o.Val, o.N, o.Results
	workers := max(o.Workers, 1)
	if resultsPath != "" {
		// Fail before the evaluation, not after it.
		if st, err := os.Stat(filepath.Dir(resultsPath)); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("results %s: its folder does not exist", resultsPath)
		}
	}
	meta, err := checkpoint.Load(dir)
	if err != nil {
		return nil, err
	}
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	m, err := seq.Load(be, dir, &meta.Model)
	if err != nil {
		return nil, err
	}
	val, err := loadSplit(ctx, valDir, meta.Task, meta.Model.ImageSize, workers, false, o.Logger)
	if err != nil {
		return nil, err
	}
	if resultsPath != "" && n > 0 && n < val.len() {
		return nil, fmt.Errorf("results %s: only %d of the %d images of %s would be decoded, and a results file of part of the split misleads whatever scores it against the whole (`eval coco` counts the rest as missed); evaluate them all", resultsPath, n, val.len(), valDir)
	}
	spec, err := specFromMeta(dir, meta)
	if err != nil {
		return nil, err
	}
	batch := 64
	if n > 0 {
		batch = min(batch, n)
	}
	metrics, res, err := spec.evaluate(m, val, n, batch)
	if err != nil {
		return nil, err
	}
	if resultsPath != "" {
		if err := res.save(resultsPath); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
	}
	metrics["step"] = float64(m.GlobalStep())
	return metrics, nil
}

// specFromMeta rebuilds the task's codec from a checkpoint's metadata.
func specFromMeta(dir string, meta *checkpoint.Meta) (taskSpec, error) {
	switch meta.Task {
	case task.Detection:
		d := meta.Detection
		c, err := codec.NewDetection(d.Bins, d.NumClasses, d.MaxBoxes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, checkpoint.MetaFile), err)
		}
		c.ClassFirst = d.ClassFirst
		t := &detectionTask{codec: c}
		for _, l := range meta.Labels {
			t.cats = append(t.cats, l.Name)
			t.ids = append(t.ids, int64(l.CategoryID))
		}
		return t, nil
	case task.Colorization:
		cb, err := codec.LoadChroma(filepath.Join(dir, meta.Colorization.CodebookFile))
		if err != nil {
			return nil, err
		}
		return &colorizationTask{cb: cb}, nil
	case task.Panoptic:
		p, err := codec.LoadPanoptic(filepath.Join(dir, meta.Panoptic.CodebookFile))
		if err != nil {
			return nil, err
		}
		names := map[int]string{}
		for _, l := range meta.Labels {
			names[l.CategoryID] = l.Name
		}
		return newPanopticSpec(p, names)
	default: // task.Captioning: checkpoint.Load accepts no other
		v, err := codec.LoadVocab(filepath.Join(dir, meta.VocabFile), captions.Tokenize)
		if err != nil {
			return nil, err
		}
		return &captionTask{vocab: v, maxLen: meta.Model.SeqLen}, nil
	}
}
