package train

import (
	"fmt"
	"sort"
	"strings"

	"rewardvision/eval/captions"
	"rewardvision/eval/cocoeval"
	"rewardvision/models/codec"
)

// rewarder is a task's reward: the score of one output (a token sequence
// up to EOS) for one image of a split. It must be safe for concurrent use.
type rewarder interface {
	score(s *split, i int, tokens []int32) float64
	// size is the output's size for the logs: boxes, words, distinct
	// codes or labels.
	size(tokens []int32) int
	// describe names the reward for meta.json's provenance.
	describe() string
}

// detectionRewarder is the paper's detection reward (cocoeval.DetectionReward:
// class-weighted matching at IoU 0.50:0.05:0.95, 0.3 per duplicate,
// normalised by the image's total ground-truth weight) on the letterboxed
// boxes; IoU does not change under the letterbox's uniform scale.
type detectionRewarder struct {
	codec  *codec.Detection
	reward cocoeval.DetectionReward
}

// newDetectionRewarder weights the classes that occur in the training
// split by their box counts (cocoeval.ClassWeights); a class that never
// occurs gets no weight: the world draws some of its classes only.
func newDetectionRewarder(c *codec.Detection, train *split) (*detectionRewarder, error) {
	counts := map[int]float64{}
	for _, boxes := range train.boxes {
		for _, b := range boxes {
			counts[b.Class]++
		}
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("%s: no boxes to weight the reward's classes with", train.dir)
	}
	w, err := cocoeval.ClassWeights(counts)
	if err != nil {
		return nil, fmt.Errorf("reward class weights from %s: %w", train.dir, err)
	}
	return &detectionRewarder{codec: c, reward: cocoeval.NewDetectionReward(w)}, nil
}

func (d *detectionRewarder) boxes(s *split, tokens []int32) []cocoeval.Box {
	size := float64(s.size)
	bs, err := d.codec.Decode(tokens, nil, size, size)
	if err != nil { // only for a bad image size, which loadSplit rules out
		return nil
	}
	out := make([]cocoeval.Box, len(bs))
	for k, b := range bs {
		out[k] = cocoeval.Box{BBox: b.XYWH(), Class: b.Class}
	}
	return out
}

func (d *detectionRewarder) score(s *split, i int, tokens []int32) float64 {
	gts := make([]cocoeval.Box, len(s.boxes[i]))
	for k, b := range s.boxes[i] {
		gts[k] = cocoeval.Box{BBox: b.XYWH(), Class: b.Class}
	}
	return d.reward.Score(d.boxes(s, tokens), gts)
}

func (d *detectionRewarder) size(tokens []int32) int {
	n := 0
	for _, t := range tokens {
		if d.codec.IsClass(t) {
			n++
		}
	}
	return n
}

func (d *detectionRewarder) describe() string {
	classes := make([]int, 0, len(d.reward.Weights))
	for c := range d.reward.Weights {
		classes = append(classes, c)
	}
	sort.Ints(classes)
	ws := make([]string, len(classes))
	for k, c := range classes {
		ws[k] = fmt.Sprintf("%d:%.3f", c, d.reward.Weights[c])
	}
	return fmt.Sprintf("detection reward: class-weighted matches at IoU 0.50:0.05:0.95, duplicate penalty %.1f, normalised by the image's ground-truth weight; class weights (index:weight) %s",
		d.reward.DuplicatePenalty, strings.Join(ws, " "))
}

// captionRewarder is per-image CIDEr-D with document frequencies from the
// training references.
type captionRewarder struct {
	vocab *codec.Vocab
	cider *captions.CIDErD
	train *split
}

func newCaptionRewarder(v *codec.Vocab, train *split) *captionRewarder {
	return &captionRewarder{vocab: v, cider: captions.NewCIDErD(train.captions), train: train}
}

func (c *captionRewarder) score(s *split, i int, tokens []int32) float64 {
	text := c.vocab.Decode(tokens)
	if s == c.train { // the references are already tokenized in the scorer
		v, err := c.cider.ScoreImage(i, text)
		if err == nil {
			return v
		}
	}
	return c.cider.Score(text, s.captions[i])
}

func (c *captionRewarder) size(tokens []int32) int {
	return len(codec.UpToEOS(tokens)) - 1
}

func (c *captionRewarder) describe() string {
	return fmt.Sprintf("CIDEr-D per image, document frequencies from the %d training images' references", c.cider.Images())
}

// leaveOneOut returns the advantages of rewards laid out as groups of n
// samples of the same image: sample k's baseline is the mean reward of the
// other n−1 samples of its image (n ≥ 2), so it does not depend on the
// sample itself and the gradient estimate stays unbiased.
func leaveOneOut(rewards []float64, n int) (adv, baseline []float64) {
	adv = make([]float64, len(rewards))
	baseline = make([]float64, len(rewards))
	for lo := 0; lo+n <= len(rewards); lo += n {
		sum := 0.0
		for _, r := range rewards[lo : lo+n] {
			sum += r
		}
		for k := lo; k < lo+n; k++ {
			baseline[k] = (sum - rewards[k]) / float64(n-1)
			adv[k] = rewards[k] - baseline[k]
		}
	}
	return adv, baseline
}
