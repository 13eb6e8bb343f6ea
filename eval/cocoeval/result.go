package cocoeval

import (
	"fmt"
	"strings"
)

// Stats are pycocotools' 12 summary numbers (E.stats), fractions in 0..1;
// -1 where undefined (no category had a ground truth in that setting).
type Stats struct {
	AP    float64 `json:"AP"`    // IoU .50:.95, area all, MaxDets[2]
	AP50  float64 `json:"AP50"`  // IoU .50
	AP75  float64 `json:"AP75"`  // IoU .75
	APs   float64 `json:"APs"`   // small ground truths (area <= 32²)
	APm   float64 `json:"APm"`   // medium (32²..96²)
	APl   float64 `json:"APl"`   // large (>= 96²)
	AR1   float64 `json:"AR1"`   // recall with MaxDets[0] per image and category
	AR10  float64 `json:"AR10"`  // MaxDets[1]
	AR100 float64 `json:"AR100"` // MaxDets[2]
	ARs   float64 `json:"ARs"`
	ARm   float64 `json:"ARm"`
	ARl   float64 `json:"ARl"`
}

// Slice returns the stats in pycocotools' order.
func (s Stats) Slice() []float64 {
	return []float64{s.AP, s.AP50, s.AP75, s.APs, s.APm, s.APl, s.AR1, s.AR10, s.AR100, s.ARs, s.ARm, s.ARl}
}

// StatNames are the names of Stats fields in pycocotools' order.
var StatNames = []string{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}

// Counts describe the evaluated inputs.
type Counts struct {
	Images        int `json:"images"`
	Categories    int `json:"categories"`
	GTAnnotations int `json:"gt_annotations"`
	GTCrowd       int `json:"gt_crowd"`
	Detections    int `json:"detections"`
}

// Result is one evaluation's outcome.
type Result struct {
	IoUType string
	MaxDets []int
	Stats   Stats
	// PerCategoryAP is AP at IoU .50:.95, area all, MaxDets[2], per
	// category id; -1 for a category without non-crowd ground truth.
	PerCategoryAP map[int]float64
	CategoryIDs   []int // ascending, as pycocotools' params.catIds
	Counts        Counts
	Timing        Timing

	// precision[t][r][k][a][m] and recall[t][k][a][m], pycocotools'
	// eval['precision'] and eval['recall'] flattened.
	precision, recall []float64
	numCats           int
	summaryLines      []string
}

// Precision returns pycocotools' eval['precision'][t, r, k, a, m] (IoU
// threshold, recall threshold, category rank, area range, maxDets index).
func (r *Result) Precision(t, rec, k, a, m int) float64 {
	return r.precision[(((t*numRec+rec)*r.numCats+k)*numArea+a)*len(r.MaxDets)+m]
}

// Recall returns pycocotools' eval['recall'][t, k, a, m].
func (r *Result) Recall(t, k, a, m int) float64 {
	return r.recall[((t*r.numCats+k)*numArea+a)*len(r.MaxDets)+m]
}

// summarize computes Stats, per-category AP and the summary lines.
func (r *Result) summarize() {
	last := len(r.MaxDets) - 1
	type line struct {
		ap      bool
		iou     int // threshold index, -1 = all
		area    int
		maxDets int // index into MaxDets
		dst     *float64
	}
	s := &r.Stats
	lines := []line{
		{true, -1, 0, last, &s.AP},
		{true, 0, 0, last, &s.AP50},
		{true, 5, 0, last, &s.AP75},
		{true, -1, 1, last, &s.APs},
		{true, -1, 2, last, &s.APm},
		{true, -1, 3, last, &s.APl},
		{false, -1, 0, 0, &s.AR1},
		{false, -1, 0, 1, &s.AR10},
		{false, -1, 0, last, &s.AR100},
		{false, -1, 1, last, &s.ARs},
		{false, -1, 2, last, &s.ARm},
		{false, -1, 3, last, &s.ARl},
	}
	r.summaryLines = r.summaryLines[:0]
	var vals []float64
	for _, l := range lines {
		vals = vals[:0]
		t0, t1 := 0, numIoU
		if l.iou >= 0 {
			t0, t1 = l.iou, l.iou+1
		}
		// Values in numpy's C order of the sliced array, so the pairwise
		// mean below adds them up in numpy's order.
		for t := t0; t < t1; t++ {
			if l.ap {
				for rec := range numRec {
					for k := range r.numCats {
						vals = appendValid(vals, r.Precision(t, rec, k, l.area, l.maxDets))
					}
				}
			} else {
				for k := range r.numCats {
					vals = appendValid(vals, r.Recall(t, k, l.area, l.maxDets))
				}
			}
		}
		*l.dst = meanOrMinus1(vals)
		r.summaryLines = append(r.summaryLines, summaryLine(l.ap, l.iou, l.area, r.MaxDets[l.maxDets], *l.dst))
	}
	r.PerCategoryAP = make(map[int]float64, r.numCats)
	for k, id := range r.CategoryIDs {
		vals = vals[:0]
		for t := range numIoU {
			for rec := range numRec {
				vals = appendValid(vals, r.Precision(t, rec, k, 0, last))
			}
		}
		r.PerCategoryAP[id] = meanOrMinus1(vals)
	}
}

func appendValid(vals []float64, v float64) []float64 {
	if v > -1 {
		return append(vals, v)
	}
	return vals
}

func meanOrMinus1(vals []float64) float64 {
	if len(vals) == 0 {
		return -1
	}
	return pairwiseSum(vals) / float64(len(vals))
}

// pairwiseSum adds like numpy's pairwise summation (8 accumulators in
// blocks of up to 128, halves above), so means match numpy to the bit.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range 8 {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// summaryLine formats one line as pycocotools' summarize() prints it.
func summaryLine(ap bool, iou, area, maxDets int, v float64) string {
	title, kind := "Average Recall", "(AR)"
	if ap {
		title, kind = "Average Precision", "(AP)"
	}
	iouStr := fmt.Sprintf("%0.2f:%0.2f", IoUThresholds[0], IoUThresholds[numIoU-1])
	if iou >= 0 {
		iouStr = fmt.Sprintf("%0.2f", IoUThresholds[iou])
	}
	return fmt.Sprintf(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f",
		title, kind, iouStr, AreaRanges[area].Label, maxDets, v)
}

// SummaryLines returns the 12 lines of pycocotools' summarize().
func (r *Result) SummaryLines() []string { return append([]string(nil), r.summaryLines...) }

// Summary is the pycocotools summarize() table, one line per stat.
func (r *Result) Summary() string {
	var b strings.Builder
	for _, l := range r.summaryLines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
