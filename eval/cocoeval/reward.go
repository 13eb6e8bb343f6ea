package cocoeval

import (
	"fmt"
	"math"
	"slices"
)

// Box is a class-labelled box [x, y, w, h] for the detection reward.
type Box struct {
	BBox  [4]float64
	Class int
}

// DefaultDuplicatePenalty is the cost of a duplicate, as a fraction of
// the class weight (the paper's released detection reward uses 0.3).
const DefaultDuplicatePenalty = 0.3

// DetectionReward is the per-image detection reward of "Tuning Computer
// Vision Models With Task Rewards" (Susano Pinto et al., ICML 2023), as
// implemented here:
//
// For each IoU threshold t in 0.50:0.05:0.95 (IoUThresholds), every
// prediction is attributed to the ground-truth box of its class with which
// its IoU is highest, if that IoU is > t (strictly; ties go to the earlier
// ground truth). A ground truth of class c with at least one attributed
// prediction earns w[c] (its best match); each further attributed
// prediction is a duplicate and costs DuplicatePenalty·w[c]. Predictions
// attributed to no ground truth (misses, wrong class) cost nothing.
//
//	R_t = (Σ earned − Σ duplicate costs) / Σ_g w[c(g)]
//	R   = mean over the 10 thresholds of R_t
//
// So a perfect prediction (one exact box per ground truth) scores 1, an
// empty one 0, and duplicates can make R negative. An image without ground
// truth scores 0. Attributing each prediction to one ground truth keeps a
// correct box on one object from counting as a duplicate of an overlapping
// neighbour.
type DetectionReward struct {
	// Weights are the class weights (see ClassWeights); nil means 1 for
	// every class, and a class missing from the map also weighs 1 (the
	// mean of rescaled weights).
	Weights map[int]float64
	// DuplicatePenalty is the cost of a duplicate per unit class weight.
	DuplicatePenalty float64
}

// NewDetectionReward returns the paper's reward with the given class
// weights and the 0.3 duplicate penalty.
func NewDetectionReward(weights map[int]float64) DetectionReward {
	return DetectionReward{Weights: weights, DuplicatePenalty: DefaultDuplicatePenalty}
}

func (r DetectionReward) weight(c int) float64 {
	if w, ok := r.Weights[c]; ok {
		return w
	}
	return 1
}

// Score returns the reward R of preds against gts for one image.
func (r DetectionReward) Score(preds, gts []Box) float64 {
	per := r.PerThreshold(preds, gts)
	s := 0.0
	for _, v := range per {
		s += v
	}
	return s / float64(len(per))
}

// PerThreshold returns R_t for every IoU threshold.
func (r DetectionReward) PerThreshold(preds, gts []Box) []float64 {
	out := make([]float64, numIoU)
	total := 0.0
	for _, g := range gts {
		total += r.weight(g.Class)
	}
	if len(gts) == 0 || total == 0 {
		return out
	}
	// Each prediction's best same-class ground truth and that IoU.
	bestGT := make([]int, len(preds))
	bestIoU := make([]float64, len(preds))
	for p, pb := range preds {
		bestGT[p], bestIoU[p] = -1, 0
		for g, gb := range gts {
			if gb.Class != pb.Class {
				continue
			}
			if v := boxIoU(&pb.BBox, &gb.BBox, false); v > bestIoU[p] {
				bestGT[p], bestIoU[p] = g, v
			}
		}
	}
	hits := make([]int, len(gts))
	for t, thr := range IoUThresholds {
		clear(hits)
		for p := range preds {
			if bestGT[p] >= 0 && bestIoU[p] > thr {
				hits[bestGT[p]]++
			}
		}
		v := 0.0
		for g, n := range hits {
			if n > 0 {
				w := r.weight(gts[g].Class)
				v += w - float64(n-1)*r.DuplicatePenalty*w
			}
		}
		out[t] = v / total
	}
	return out
}

// ClassWeights returns the paper's class weights from training counts
// n[c]: w_c = 1/(n_c + 0.05·Σn), rescaled so the weights of the listed
// classes sum to their number (mean 1). Rare classes weigh more; the
// 0.05·Σn term bounds the ratio. Counts must be finite and >= 0 with a
// positive sum.
func ClassWeights(counts map[int]float64) (map[int]float64, error) {
	// Sums run in ascending class order: map order would change the last
	// bits of the weights, and so the rewards, from run to run.
	classes := make([]int, 0, len(counts))
	for c := range counts {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	sum := 0.0
	for _, c := range classes {
		n := counts[c]
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
			return nil, fmt.Errorf("class %d: count %v: want a finite value >= 0", c, n)
		}
		sum += n
	}
	if sum <= 0 || math.IsInf(sum, 0) {
		return nil, fmt.Errorf("class counts sum to %v: want a positive finite total", sum)
	}
	raw := make(map[int]float64, len(counts))
	rawSum := 0.0
	for _, c := range classes {
		raw[c] = 1 / (counts[c] + 0.05*sum)
		rawSum += raw[c]
	}
	scale := float64(len(counts)) / rawSum
	for c := range raw {
		raw[c] *= scale
	}
	return raw, nil
}

// Boxes returns the non-crowd ground-truth boxes of an image, labelled
// with their category id, in file order: the reward's ground truth.
func (gt *GroundTruth) Boxes(imageID int) []Box {
	gt.boxesOnce.Do(func() {
		gt.boxesByImage = make(map[int][]Box)
		for _, a := range gt.Annotations {
			if !a.IsCrowd {
				gt.boxesByImage[a.ImageID] = append(gt.boxesByImage[a.ImageID], Box{BBox: a.BBox, Class: a.CategoryID})
			}
		}
	})
	return gt.boxesByImage[imageID]
}
