package panoptic

import (
	"fmt"
	"slices"
)

// Image is one decoded panoptic annotation: a row-major id map (0 = void)
// and the segments it holds. This is the in-memory form used by the server,
// the batch runner and the training reward.
type Image struct {
	Width, Height int
	IDs           []uint32
	Segments      []Segment
}

// Match is one true positive: a ground-truth and a predicted segment of the
// same category with IoU > 0.5.
type Match struct {
	GTID, PredID uint32
	CategoryID   int
	IoU          float64
}

// ClassStats are the counts of one category.
type ClassStats struct {
	CategoryID int
	IsThing    bool
	TP, FP, FN int
	IoU        float64 // sum of the IoUs of the TPs
}

// ImageStats is the outcome of matching one image.
type ImageStats struct {
	// Matches are the TPs in panopticapi's order (ascending gt id, then
	// pred id); the reference sums IoUs in this order.
	Matches []Match
	// Classes holds the categories with TP+FP+FN > 0, in category order.
	Classes []ClassStats
}

// Summary returns the image's All / Things / Stuff metrics: per-class
// formulas averaged over Classes. With no class counted, PQ, SQ and RQ are 1
// and N is 0 (nothing to find, nothing predicted wrongly).
func (s *ImageStats) Summary() (all, things, stuff Metrics) {
	return meanMetrics(s.Classes, nil, true), meanMetrics(s.Classes, ptr(true), true), meanMetrics(s.Classes, ptr(false), true)
}

// PQ is the image's PQ over all categories (the panoptic reward).
func (s *ImageStats) PQ() float64 {
	all, _, _ := s.Summary()
	return all.PQ
}

func ptr[T any](v T) *T { return &v }

// ImagePQ matches one image and returns its PQ (see ImageStats.Summary).
func ImagePQ(gt, pred Image, cats *Categories) (float64, error) {
	s, err := MatchImage(gt, pred, cats)
	if err != nil {
		return 0, err
	}
	return s.PQ(), nil
}

// segInfo is a segment with its category index and counted area.
type segInfo struct {
	Segment
	cat     int // index in Categories
	counted int // pixels in the map
}

func indexSegments(which string, img Image, cats *Categories) (map[uint32]*segInfo, error) {
	if img.Width <= 0 || img.Height <= 0 || int64(img.Width)*int64(img.Height) > MaxPixels {
		return nil, fmt.Errorf("%s: size %dx%d outside 1..%d pixels", which, img.Width, img.Height, int64(MaxPixels))
	}
	if len(img.IDs) != img.Width*img.Height {
		return nil, fmt.Errorf("%s: %d ids for a %dx%d map", which, len(img.IDs), img.Width, img.Height)
	}
	segs := make(map[uint32]*segInfo, len(img.Segments))
	for j, s := range img.Segments {
		if s.ID == 0 || s.ID > MaxSegmentID {
			return nil, fmt.Errorf("%s: segments_info[%d]: id %d outside 1..%d", which, j, s.ID, MaxSegmentID)
		}
		if _, dup := segs[s.ID]; dup {
			return nil, fmt.Errorf("%s: segments_info[%d]: duplicate segment id %d", which, j, s.ID)
		}
		c, ok := cats.Index(s.CategoryID)
		if !ok {
			return nil, fmt.Errorf("%s: segment id %d has unknown category_id %d", which, s.ID, s.CategoryID)
		}
		segs[s.ID] = &segInfo{Segment: s, cat: c}
	}
	return segs, nil
}

// pairKey packs (gt id, pred id); ascending keys are numpy.unique's order of
// gt·2²⁴ + pred in panopticapi.
func pairKey(g, p uint32) uint64 { return uint64(g)<<32 | uint64(p) }

// MatchImage matches the segments of one image as panopticapi does. Errors
// name the offending segment: sizes that differ, an id in a map absent from
// its segments (or the reverse), an unknown category, a duplicate id.
func MatchImage(gt, pred Image, cats *Categories) (*ImageStats, error) {
	if cats == nil {
		return nil, fmt.Errorf("no categories")
	}
	gtSegs, err := indexSegments("gt", gt, cats)
	if err != nil {
		return nil, err
	}
	predSegs, err := indexSegments("pred", pred, cats)
	if err != nil {
		return nil, err
	}
	if gt.Width != pred.Width || gt.Height != pred.Height {
		return nil, fmt.Errorf("size mismatch: gt %dx%d, pred %dx%d", gt.Width, gt.Height, pred.Width, pred.Height)
	}

	// Intersections counted by runs: neighbouring pixels mostly share both ids.
	inter := make(map[uint64]int, 2*(len(gtSegs)+len(predSegs)))
	lastG, lastP, run := gt.IDs[0], pred.IDs[0], 0
	for i, g := range gt.IDs {
		p := pred.IDs[i]
		if g == lastG && p == lastP {
			run++
			continue
		}
		inter[pairKey(lastG, lastP)] += run
		lastG, lastP, run = g, p, 1
	}
	inter[pairKey(lastG, lastP)] += run

	keys := make([]uint64, 0, len(inter))
	for k := range inter {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	voidInter := make(map[uint32]int)
	for _, k := range keys {
		g, p, n := uint32(k>>32), uint32(k), inter[k]
		if g != 0 {
			s, ok := gtSegs[g]
			if !ok {
				return nil, fmt.Errorf("gt: segment id %d %s is in the PNG but not in segments_info", g, rgbOf(g))
			}
			s.counted += n
		} else {
			voidInter[p] += n
		}
		if p != 0 {
			s, ok := predSegs[p]
			if !ok {
				return nil, fmt.Errorf("pred: segment id %d %s is in the PNG but not in segments_info", p, rgbOf(p))
			}
			s.counted += n
		}
	}
	if err := checkPresent("gt", gt.Segments, gtSegs); err != nil {
		return nil, err
	}
	if err := checkPresent("pred", pred.Segments, predSegs); err != nil {
		return nil, err
	}

	counts := make(map[int]*ClassStats)
	stat := func(cat int) *ClassStats {
		c := counts[cat]
		if c == nil {
			info := cats.At(cat)
			c = &ClassStats{CategoryID: info.ID, IsThing: info.IsThing}
			counts[cat] = c
		}
		return c
	}
	st := &ImageStats{}
	gtMatched := make(map[uint32]bool)
	predMatched := make(map[uint32]bool)
	for _, k := range keys {
		g, p, n := uint32(k>>32), uint32(k), inter[k]
		if g == 0 || p == 0 {
			continue
		}
		gs, ps := gtSegs[g], predSegs[p]
		if gs.IsCrowd || gs.CategoryID != ps.CategoryID {
			continue
		}
		gtArea := gs.Area
		if gtArea <= 0 {
			gtArea = gs.counted
		}
		// union >= gtArea >= 1: the prediction's pixels outside this gt
		// segment and outside void, plus the gt area.
		union := ps.counted + gtArea - n - voidInter[p]
		iou := float64(n) / float64(union)
		if iou > 0.5 {
			c := stat(gs.cat)
			c.TP++
			c.IoU += iou
			st.Matches = append(st.Matches, Match{GTID: g, PredID: p, CategoryID: gs.CategoryID, IoU: iou})
			gtMatched[g] = true
			predMatched[p] = true
		}
	}

	// panopticapi keeps one crowd region per category: the last one listed.
	crowdOf := make(map[int]uint32)
	for _, s := range gt.Segments {
		switch {
		case gtMatched[s.ID]:
		case s.IsCrowd:
			crowdOf[s.CategoryID] = s.ID
		default:
			stat(gtSegs[s.ID].cat).FN++
		}
	}
	for _, s := range pred.Segments {
		if predMatched[s.ID] {
			continue
		}
		ignored := voidInter[s.ID]
		if c, ok := crowdOf[s.CategoryID]; ok {
			ignored += inter[pairKey(c, s.ID)]
		}
		ps := predSegs[s.ID]
		if 2*ignored > ps.counted { // ignored/area > 0.5, exactly
			continue
		}
		stat(ps.cat).FP++
	}

	idx := make([]int, 0, len(counts))
	for c := range counts {
		idx = append(idx, c)
	}
	slices.Sort(idx)
	for _, c := range idx {
		st.Classes = append(st.Classes, *counts[c])
	}
	return st, nil
}

func checkPresent(which string, segs []Segment, info map[uint32]*segInfo) error {
	for j, s := range segs {
		if info[s.ID].counted == 0 {
			return fmt.Errorf("%s: segments_info[%d]: segment id %d %s is in segments_info but not in the PNG", which, j, s.ID, rgbOf(s.ID))
		}
	}
	return nil
}

// rgbOf spells an id as the PNG colour that encodes it.
func rgbOf(id uint32) string {
	return fmt.Sprintf("(RGB %d,%d,%d)", id&0xff, id>>8&0xff, id>>16)
}
