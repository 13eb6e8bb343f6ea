package cocoeval

import "fmt"

// IoU types.
const (
	IoUBBox = "bbox"
	IoUSegm = "segm"
)

// Params configures an evaluation. The zero value is pycocotools' default
// bbox evaluation.
type Params struct {
	// IoUType is "bbox" (default) or "segm".
	IoUType string
	// MaxDets are the three per-image-and-category detection limits
	// (default 1, 10, 100), strictly increasing. Detections beyond the
	// last are dropped, highest scores kept. AR1/AR10/AR100 report
	// MaxDets[0]/[1]/[2]; AP and per-category AP use MaxDets[2] (see the
	// package comment).
	MaxDets []int
	// PycocotoolsID0Quirk reproduces pycocotools' treatment of a
	// ground truth whose annotation id is 0: a detection matched to it
	// counts as a false positive (see the package comment). Off by
	// default: ids carry no meaning here.
	PycocotoolsID0Quirk bool
	// PycocotoolsMaskSizeIoU gives a detection whose mask size differs
	// from its image IoU −1 with every ground truth in segm evaluation, as
	// pycocotools' rleIou does: it is never matched and counts as a false
	// positive. Off, such a detection is an error.
	PycocotoolsMaskSizeIoU bool
	// Workers bounds the goroutines (0 = GOMAXPROCS).
	Workers int
}

// DefaultMaxDets are pycocotools' maxDets.
var DefaultMaxDets = []int{1, 10, 100}

// withDefaults fills the zero fields and validates.
func (p Params) withDefaults() (Params, error) {
	if p.IoUType == "" {
		p.IoUType = IoUBBox
	}
	if p.IoUType != IoUBBox && p.IoUType != IoUSegm {
		return p, fmt.Errorf("iou type %q: want bbox or segm", p.IoUType)
	}
	if len(p.MaxDets) == 0 {
		p.MaxDets = DefaultMaxDets
	}
	if len(p.MaxDets) != 3 {
		return p, fmt.Errorf("max dets %v: want three limits", p.MaxDets)
	}
	for i, m := range p.MaxDets {
		if m < 1 || (i > 0 && m <= p.MaxDets[i-1]) {
			return p, fmt.Errorf("max dets %v: want positive, strictly increasing limits", p.MaxDets)
		}
	}
	p.MaxDets = append([]int(nil), p.MaxDets...)
	if p.Workers < 0 {
		return p, fmt.Errorf("workers %d: want >= 0", p.Workers)
	}
	return p, nil
}

// Evaluation grid sizes: IoU thresholds, recall points, area ranges.
const (
	numIoU  = 10
	numRec  = 101
	numArea = 4
)

// IoUThresholds and RecallThresholds are numpy's linspace(.5, .95, 10) and
// linspace(0, 1, 101) bit for bit (start + i*step, last = stop), e.g.
// IoUThresholds[8] = 0.8999999999999999: matching compares IoU >= t, so
// the last bit matters.
var (
	IoUThresholds    = linspace(.5, .95, numIoU)
	RecallThresholds = linspace(0, 1, numRec)
)

func linspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	step := (stop - start) / float64(n-1)
	for i := range out {
		out[i] = float64(float64(i)*step) + start
	}
	out[n-1] = stop
	return out
}

// AreaRange is a [Lo, Hi] area interval, both ends inclusive.
type AreaRange struct {
	Label  string
	Lo, Hi float64
}

// AreaRanges are pycocotools' all / small / medium / large.
var AreaRanges = [numArea]AreaRange{
	{"all", 0, 1e10},
	{"small", 0, 32 * 32},
	{"medium", 32 * 32, 96 * 96},
	{"large", 96 * 96, 1e10},
}

// outside reports whether area falls outside range a.
func outside(area float64, a int) bool {
	return area < AreaRanges[a].Lo || area > AreaRanges[a].Hi
}
