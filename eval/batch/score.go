package batch

import (
	"fmt"
	"math"
	"slices"

	"rewardvision/eval/captions"
	"rewardvision/eval/cocoeval"
	"rewardvision/eval/colorize"
	"rewardvision/eval/panoptic"
	"rewardvision/models/task"
)

// Metric names per task, in report order; "reward" is the mean per-image
// paper reward.
var metricNames = map[string][]string{
	task.Detection:  append(slices.Clone(cocoeval.StatNames), "reward"),
	task.Captioning: {"CIDEr-D", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "reward"},
	task.Colorization: {MetricPSNR, MetricSSIM, MetricColorfulness, MetricColorfulnessGT, MetricSimilarity,
		MetricColorFD, MetricReward},
	task.Panoptic: panopticMetrics,
}

// MetricNames returns the metrics eval run reports for a task, in order.
func MetricNames(taskName string) []string { return metricNames[taskName] }

// MetricDefinitions describes a task's metrics where their names do not
// say enough (colorization, panoptic), for metrics.json; nil otherwise.
func MetricDefinitions(taskName string) map[string]string {
	switch taskName {
	case task.Colorization:
		return colorDefinitions
	case task.Panoptic:
		return panopticDefinitions
	}
	return nil
}

// Undefined reports whether v is the value a metric takes where the data
// leave it undefined: -1 for COCO's stats (e.g. APl without large objects)
// and for colorization's Fréchet distance of fewer than two images.
// Such a metric has no A/B.
func Undefined(taskName, name string, v float64) bool {
	switch taskName {
	case task.Detection:
		return v < 0 && name != "reward"
	case task.Colorization:
		return v < 0 && name == MetricColorFD
	}
	return false
}

// Reference reports whether a metric scores the ground truth alone (the
// same for every model, so no A/B): colorization's colorfulness_gt.
func Reference(taskName, name string) bool {
	return taskName == task.Colorization && name == MetricColorfulnessGT
}

// LowerIsBetter reports whether a smaller value of the metric is better.
func LowerIsBetter(taskName, name string) bool {
	return taskName == task.Colorization && name == MetricColorFD
}

// RewardDefinition says which reward a run used, for metrics.json.
func RewardDefinition(taskName string, src *TrainRewardSource) string {
	switch taskName {
	case task.Detection:
		w := "class weights from the training counts of " + src.Path
		if src.Path == "" {
			w = "uniform class weights (no training annotations found)"
		}
		return "cocoeval.DetectionReward: per image, mean over IoU 0.50:0.95 of (Σ w[c] over matched ground truths − 0.3·Σ w[c] over duplicates) / Σ w[c] over the image's ground truths; " + w
	case task.Captioning:
		df := "document frequencies from the training references " + src.Path
		if src.Path == "" {
			df = "document frequencies from the evaluated references (no training captions found)"
		}
		return "per-image CIDEr-D against the image's references, " + df
	case task.Colorization:
		return fmt.Sprintf("colorize.ColorizationReward: per image, the M3 colourfulness of the output + %g × its luminance similarity to the ground-truth colour image (−mean|ΔY|, BT.601 on 0..255)", colorize.DefaultSimilarityWeight)
	case task.Panoptic:
		return "panoptic.ImagePQ: per image, PQ over the categories in its ground truth or prediction (1 when there are none), panopticapi's matching"
	}
	return ""
}

// VariantResult is one model's scores.
type VariantResult struct {
	Info    ModelInfo
	Metrics map[string]float64
	// Per evaluated image (Evaluation.ImageIDs order): reward and output.
	Rewards []float64
	Outputs []Output
	// PerImage holds, per metric name, every image's score where the
	// metric is a mean of per-image scores (colorization).
	PerImage map[string][]float64
	// DroppedUnknownCategory counts detections or panoptic segments of
	// categories the dataset does not have (a model trained on other
	// labels), left out of scoring.
	DroppedUnknownCategory int

	matched *cocoeval.Matched
	scored  *captions.Scored
	// Colorization: each image's colour statistics, output and ground
	// truth (the Fréchet distance's features).
	colorFeats, gtFeats [][]float64
	// Panoptic: each image's match, the categories, and the image
	// positions in the ground truth file's order (panopticapi's).
	panStats []*panoptic.ImageStats
	panCats  *panoptic.Categories
	panOrder []int
}

// Evaluation is every model scored on the same images.
type Evaluation struct {
	Task     string
	ImageIDs []int      // evaluated images, ascending
	Images   []ImageRec // the same, with paths
	Skipped  []int      // images some model's run skipped (--skip-bad)
	Variants []*VariantResult
	Reward   string // RewardDefinition
	Dir      string // the run folder scored (colorization and panoptic read its PNGs)

	panoptic *PanopticGT // the panoptic ground truth
}

// Score reads each model's outputs under dir for the images imgs and
// scores them. Every image must have an output line for every model.
func Score(ds *Dataset, imgs []ImageRec, infos []ModelInfo, dir string, src *TrainRewardSource) (*Evaluation, error) {
	ev := &Evaluation{Task: ds.Task, Reward: RewardDefinition(ds.Task, src), Dir: dir, panoptic: ds.Panoptic}
	all := make([]map[int]Record, len(infos))
	bad := map[int]bool{}
	for i, in := range infos {
		path := OutputsFile(dir, in.Key)
		recs, _, err := ReadRecords(path)
		if err != nil {
			return nil, err
		}
		missing := 0
		for _, im := range imgs {
			r, ok := recs[im.ID]
			if !ok {
				missing++
			} else if r.Skipped != "" {
				bad[im.ID] = true
			}
		}
		if missing > 0 {
			return nil, fmt.Errorf("%s: %d of %d images have no output yet (run eval run again to finish)", path, missing, len(imgs))
		}
		all[i] = recs
	}
	for _, im := range imgs {
		if bad[im.ID] {
			ev.Skipped = append(ev.Skipped, im.ID)
			continue
		}
		ev.ImageIDs = append(ev.ImageIDs, im.ID)
		ev.Images = append(ev.Images, im)
	}
	if len(ev.ImageIDs) == 0 {
		return nil, fmt.Errorf("no image left to score (%d skipped)", len(ev.Skipped))
	}
	var gt *cocoeval.GroundTruth
	if ds.Task == task.Detection {
		var err error
		if gt, err = subsetGT(ds.GT, ev.ImageIDs); err != nil {
			return nil, err
		}
	}
	for i, in := range infos {
		v := &VariantResult{Info: in, Metrics: map[string]float64{}}
		for _, id := range ev.ImageIDs {
			v.Outputs = append(v.Outputs, all[i][id].Output)
		}
		var err error
		switch ds.Task {
		case task.Detection:
			err = v.scoreDetection(gt, ev.ImageIDs, src)
		case task.Captioning:
			err = v.scoreCaptions(ds, ev.ImageIDs, src)
		case task.Colorization, task.Panoptic:
			// Below, every variant at once: the ground truth is
			// decoded once per image.
		default:
			err = unsupportedTask(ds.Task)
		}
		if err != nil {
			return nil, fmt.Errorf("score %s: %w", in.Key, err)
		}
		ev.Variants = append(ev.Variants, v)
	}
	var err error
	switch ds.Task {
	case task.Colorization:
		err = scoreColorization(ev)
	case task.Panoptic:
		err = scorePanoptic(ev, ds.Panoptic)
	}
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return ev, nil
}

// subsetGT is gt restricted to the images ids (all categories kept, so
// every variant and shard sees the same category list).
func subsetGT(gt *cocoeval.GroundTruth, ids []int) (*cocoeval.GroundTruth, error) {
	keep := make(map[int]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	var imgs []cocoeval.Image
	for _, im := range gt.Images {
		if keep[im.ID] {
			imgs = append(imgs, im)
		}
	}
	var anns []cocoeval.Annotation
	for _, a := range gt.Annotations {
		if keep[a.ImageID] {
			anns = append(anns, a)
		}
	}
	return cocoeval.NewGroundTruth(imgs, gt.Categories, anns)
}

func (v *VariantResult) scoreDetection(gt *cocoeval.GroundTruth, ids []int, src *TrainRewardSource) error {
	known := map[int]bool{}
	for _, c := range gt.CategoryIDs() {
		known[c] = true
	}
	reward := cocoeval.NewDetectionReward(src.ClassWeights)
	var dets []cocoeval.Detection
	v.Rewards = make([]float64, len(ids))
	for i, id := range ids {
		var boxes []cocoeval.Box
		for _, d := range v.Outputs[i].Detections {
			if !known[d.CategoryID] {
				v.DroppedUnknownCategory++
				continue
			}
			dets = append(dets, cocoeval.Detection{ImageID: id, CategoryID: d.CategoryID, BBox: d.BBox, Score: d.Score})
			boxes = append(boxes, cocoeval.Box{BBox: d.BBox, Class: d.CategoryID})
		}
		v.Rewards[i] = reward.Score(boxes, gt.Boxes(id))
	}
	m, err := cocoeval.Match(gt, dets, cocoeval.Params{})
	if err != nil {
		return err
	}
	v.matched = m
	stats := m.Result().Stats.Slice()
	for k, name := range cocoeval.StatNames {
		v.Metrics[name] = stats[k]
	}
	v.Metrics["reward"] = mean(v.Rewards, nil)
	return nil
}

func (v *VariantResult) scoreCaptions(ds *Dataset, ids []int, src *TrainRewardSource) error {
	refs := make(map[int][]string, len(ids))
	preds := make(map[int]string, len(ids))
	v.Rewards = make([]float64, len(ids))
	for i, id := range ids {
		c := ""
		if v.Outputs[i].Caption != nil {
			c = *v.Outputs[i].Caption
		}
		refs[id], preds[id] = ds.Refs[id], c
		v.Rewards[i] = src.CIDEr.Score(c, ds.Refs[id])
	}
	s, err := captions.Score(refs, preds)
	if err != nil {
		return err
	}
	v.scored = s
	v.setCaptionMetrics(s.Result())
	v.Metrics["reward"] = mean(v.Rewards, nil)
	return nil
}

func (v *VariantResult) setCaptionMetrics(r *captions.Result) {
	v.Metrics["CIDEr-D"] = r.CIDErD
	for k, b := range r.BLEU {
		v.Metrics[fmt.Sprintf("BLEU-%d", k+1)] = b
	}
	v.Metrics["ROUGE-L"] = r.ROUGEL
}

// resampled returns the variant's metrics (MetricNames order) over counts
// copies of each evaluated image.
func (v *VariantResult) resampled(taskName string, counts []int) ([]float64, error) {
	names := MetricNames(taskName)
	out := make([]float64, len(names))
	switch taskName {
	case task.Detection:
		r, err := v.matched.Resample(counts, 1)
		if err != nil {
			return nil, err
		}
		copy(out, r.Stats.Slice())
	case task.Captioning:
		r, err := v.scored.Resample(counts)
		if err != nil {
			return nil, err
		}
		out[0] = r.CIDErD
		copy(out[1:5], r.BLEU[:])
		out[5] = r.ROUGEL
	case task.Colorization:
		if err := v.resampledColor(names, counts, out); err != nil {
			return nil, err
		}
	case task.Panoptic:
		v.resampledPanoptic(counts, out)
	}
	out[len(out)-1] = mean(v.Rewards, counts)
	return out, nil
}

// mean is the mean of xs with counts[i] copies of xs[i] (nil: one each),
// summed copy by copy in order.
func mean(xs []float64, counts []int) float64 {
	s, n := 0.0, 0
	for i, x := range xs {
		c := 1
		if counts != nil {
			c = counts[i]
		}
		for range c {
			s += x
		}
		n += c
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
