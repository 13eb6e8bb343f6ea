package batch

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"rewardvision/dataset/coco"
	"rewardvision/eval/panoptic"
)

// Panoptic's metrics: panopticapi's All, Things and Stuff rows (the names
// training's validation uses) and the mean per-image PQ.
var panopticMetrics = []string{"PQ", "SQ", "RQ", "PQ_things", "SQ_things", "RQ_things", "PQ_stuff", "SQ_stuff", "RQ_stuff", MetricReward}

// PanopticDir is the folder, inside a model's folder of the run, that
// holds its panoptic PNGs (one per image, named by image id); beside it,
// PanopticFile lists their segments: the pair is a COCO panoptic
// prediction, by panopticapi's convention (the PNG folder is the JSON
// file's name without .json).
const (
	PanopticDir  = "panoptic"
	PanopticFile = "panoptic.json"
)

var panopticDefinitions = map[string]string{
	"PQ":         "panoptic quality of the whole set (panopticapi pq_compute, the All row): segments of one category match at IoU > 0.5; the mean over the categories with TP + FP + FN > 0 of ΣIoU / (TP + FP/2 + FN/2)",
	"SQ":         "segmentation quality (All row): the mean over those categories of ΣIoU / TP, the matched segments' IoU",
	"RQ":         "recognition quality (All row): the mean over those categories of TP / (TP + FP/2 + FN/2)",
	"PQ_things":  "PQ over the thing categories (the Things row; 0 when none counts)",
	"SQ_things":  "SQ over the thing categories",
	"RQ_things":  "RQ over the thing categories",
	"PQ_stuff":   "PQ over the stuff categories (the Stuff row; 0 when none counts)",
	"SQ_stuff":   "SQ over the stuff categories",
	"RQ_stuff":   "RQ over the stuff categories",
	MetricReward: "mean per-image PQ (see reward_definition)",
}

// PanopticGT is the panoptic ground truth of a dataset: the segments of
// each image (as eval/panoptic parses them), their PNG folder, and the
// categories.
type PanopticGT struct {
	Dir string // the ground-truth PNGs
	// Categories as the file lists them (written to each prediction file).
	Categories []coco.Category
	cats       *panoptic.Categories
	ann        map[int]panoptic.Annotation // by image id
	pos        map[int]int                 // the annotation's position in the file
}

// loadPanoptic reads a COCO panoptic file: its images and the ground truth,
// whose PNGs are in the folder named like the file without .json
// (panopticapi's convention, and data gen's panoptic/ beside
// panoptic.json).
func loadPanoptic(annPath string) (*PanopticGT, []coco.Image, error) {
	p, err := coco.LoadPanoptic(annPath)
	if err != nil {
		return nil, nil, err // it names annPath
	}
	f, err := panoptic.LoadFile(annPath)
	if err != nil {
		return nil, nil, err
	}
	if len(f.Categories) == 0 {
		return nil, nil, fmt.Errorf("%s: no categories", annPath)
	}
	gt := &PanopticGT{Dir: strings.TrimSuffix(annPath, ".json"), Categories: p.Categories,
		ann: map[int]panoptic.Annotation{}, pos: map[int]int{}}
	if gt.cats, err = panoptic.NewCategories(f.Categories); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", annPath, err)
	}
	known := map[int]bool{}
	for _, im := range p.Images {
		known[int(im.ID)] = true
	}
	for i, a := range f.Annotations {
		id, err := strconv.Atoi(string(a.ImageID))
		if err != nil || !known[id] {
			return nil, nil, fmt.Errorf("%s: annotations[%d]: image_id %s is not in images", annPath, i, a.ImageID)
		}
		gt.ann[id], gt.pos[id] = a, i
	}
	for _, im := range p.Images {
		if _, ok := gt.ann[int(im.ID)]; !ok {
			return nil, nil, fmt.Errorf("%s: image %d has no panoptic annotation", annPath, im.ID)
		}
	}
	return gt, p.Images, nil
}

// cocoSegment is one predicted segment in the COCO panoptic layout.
func cocoSegment(id int64, cat, crowd, area int, bbox [4]float64) coco.Segment {
	return coco.Segment{ID: id, CategoryID: int64(cat), IsCrowd: crowd, Area: float64(area), BBox: coco.BBox(bbox)}
}

// predSegments converts an output's segments_info for eval/panoptic.
func predSegments(segs []coco.Segment) ([]panoptic.Segment, error) {
	out := make([]panoptic.Segment, len(segs))
	for j, s := range segs {
		if s.ID < 1 || s.ID > panoptic.MaxSegmentID {
			return nil, fmt.Errorf("segments_info[%d]: id %d outside 1..%d", j, s.ID, panoptic.MaxSegmentID)
		}
		out[j] = panoptic.Segment{ID: uint32(s.ID), CategoryID: int(s.CategoryID), IsCrowd: s.IsCrowd != 0}
	}
	return out, nil
}

// dropUnknown removes the segments whose category cats lacks, setting
// their pixels in ids to void (0), and returns the rest and how many went.
func dropUnknown(segs []panoptic.Segment, ids []uint32, cats *panoptic.Categories) ([]panoptic.Segment, int) {
	gone := map[uint32]bool{}
	kept := segs[:0:0]
	for _, s := range segs {
		if _, ok := cats.Index(s.CategoryID); ok {
			kept = append(kept, s)
		} else {
			gone[s.ID] = true
		}
	}
	if len(gone) > 0 {
		for j, id := range ids {
			if gone[id] {
				ids[j] = 0
			}
		}
	}
	return kept, len(gone)
}

// scorePanoptic matches every variant's panoptic maps with the ground
// truth (each ground-truth PNG decoded once for all variants), a few
// images at a time, as eval/panoptic does: per image the stats and PQ
// (the reward), over the set panopticapi's PQ, SQ, RQ.
func scorePanoptic(ev *Evaluation, gt *PanopticGT) error {
	n := len(ev.ImageIDs)
	dropped := make([][]int, len(ev.Variants)) // per variant, per image
	for k, v := range ev.Variants {
		v.panStats = make([]*panoptic.ImageStats, n)
		dropped[k] = make([]int, n)
	}
	if err := forEachImage(n, func(i int) error { return scorePanopticImage(ev, gt, i, dropped) }); err != nil {
		return err
	}
	for k, v := range ev.Variants {
		for _, d := range dropped[k] {
			v.DroppedUnknownCategory += d
		}
	}
	// panopticapi sums the IoUs in the ground truth's annotation order.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(gt.pos[ev.ImageIDs[a]], gt.pos[ev.ImageIDs[b]]) })
	for _, v := range ev.Variants {
		v.panCats, v.panOrder = gt.cats, order
		v.Rewards = make([]float64, n)
		for i, s := range v.panStats {
			v.Rewards[i] = s.PQ()
		}
		out := make([]float64, len(panopticMetrics))
		v.resampledPanoptic(nil, out)
		for k, name := range panopticMetrics {
			v.Metrics[name] = out[k]
		}
	}
	return nil
}

// scorePanopticImage matches image position i for every variant. A
// predicted segment of a category the ground truth does not list (a model
// trained on other labels, e.g. the shapes models on real COCO) is left
// out, its pixels void, and counted in dropped[variant][i]: panopticapi
// refuses such a file, and no PQ term could count it (PQ averages over the
// dataset's categories), so the rest of the map is scored as it is.
func scorePanopticImage(ev *Evaluation, gt *PanopticGT, i int, dropped [][]int) error {
	id := ev.ImageIDs[i]
	a := gt.ann[id]
	gtPath := filepath.Join(gt.Dir, a.FileName)
	gm, err := coco.ReadIDMap(gtPath)
	if err != nil {
		return fmt.Errorf("ground truth of image id %d: %w", id, err)
	}
	g := panoptic.Image{Width: gm.Width, Height: gm.Height, IDs: gm.IDs, Segments: a.Segments}
	for k, v := range ev.Variants {
		key := v.Info.Key
		out := v.Outputs[i]
		path, err := pngPath(ev.Task, ev.Dir, key, id, out.Panoptic)
		if err != nil {
			return err
		}
		wrap := func(err error) error {
			return fmt.Errorf("model %s, image id %d (pred %s, gt %s): %w", key, id, path, gtPath, err)
		}
		pm, err := coco.ReadIDMap(path)
		if err != nil {
			return wrap(err)
		}
		segs, err := predSegments(out.Segments)
		if err != nil {
			return wrap(err)
		}
		segs, dropped[k][i] = dropUnknown(segs, pm.IDs, gt.cats)
		if v.panStats[i], err = panoptic.MatchImage(g, panoptic.Image{Width: pm.Width, Height: pm.Height, IDs: pm.IDs, Segments: segs}, gt.cats); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// resampledPanoptic fills out (panopticMetrics order) with the metrics
// over counts copies of each image (nil: one each).
func (v *VariantResult) resampledPanoptic(counts []int, out []float64) {
	stats := make([]*panoptic.ImageStats, 0, len(v.panOrder))
	for _, i := range v.panOrder {
		c := 1
		if counts != nil {
			c = counts[i]
		}
		for range c {
			stats = append(stats, v.panStats[i])
		}
	}
	r := panoptic.Aggregate(v.panCats, stats)
	copy(out, []float64{r.All.PQ, r.All.SQ, r.All.RQ, r.Things.PQ, r.Things.SQ, r.Things.RQ, r.Stuff.PQ, r.Stuff.SQ, r.Stuff.RQ,
		mean(v.Rewards, counts)})
}

// PanopticStats is image position pos's match of a variant (panoptic).
func (v *VariantResult) PanopticStats(pos int) *panoptic.ImageStats { return v.panStats[pos] }

// writePanopticFile writes a variant's COCO panoptic prediction file,
// DIR/<key>/panoptic.json: one annotation per image naming its PNG in
// DIR/<key>/panoptic/, and the ground truth's categories; panopticapi's
// pq_compute scores the pair.
func writePanopticFile(path string, ev *Evaluation, v *VariantResult, gt *PanopticGT) error {
	p := &coco.Panoptic{Categories: gt.Categories}
	for i, im := range ev.Images {
		p.Images = append(p.Images, coco.Image{ID: int64(im.ID), Width: im.Width, Height: im.Height, FileName: filepath.Base(im.Path)})
		p.Annotations = append(p.Annotations, coco.PanopticAnnotation{ImageID: int64(im.ID),
			FileName: strings.TrimPrefix(v.Outputs[i].Panoptic, PanopticDir+"/"), SegmentsInfo: v.Outputs[i].Segments})
	}
	return coco.SavePanoptic(path, p)
}

// CheckGroundTruth reads the ground-truth map of each of imgs, before any
// model runs on them, so a missing, corrupt or misplaced PNG fails the run
// at once rather than at scoring, after the inference: each must decode,
// have its image's size, and hold only segments of its own segments_info
// (a PNG of another image, renamed or swapped, does not). Other tasks' ground
// truth is read whole by LoadDataset.
func (ds *Dataset) CheckGroundTruth(imgs []ImageRec) error {
	g := ds.Panoptic
	if g == nil {
		return nil
	}
	return forEachImage(len(imgs), func(i int) error {
		im := imgs[i]
		m, cats, err := g.GroundTruth(im.ID)
		if err != nil {
			return err
		}
		path := filepath.Join(g.Dir, g.ann[im.ID].FileName)
		if im.Width > 0 && im.Height > 0 && (m.Width != im.Width || m.Height != im.Height) {
			return fmt.Errorf("ground truth of image id %d: %s is %dx%d, the image %dx%d", im.ID, path, m.Width, m.Height, im.Width, im.Height)
		}
		for j, id := range m.IDs {
			if _, ok := cats[id]; id != 0 && !ok {
				return fmt.Errorf("ground truth of image id %d: %s has segment id %d at (%d, %d), which its segments_info lacks (another image's PNG?)",
					im.ID, path, id, j%m.Width, j/m.Width)
			}
		}
		return nil
	})
}

// GroundTruth reads image id's ground-truth map and returns it with the
// category of each of its segments (by segment id).
func (g *PanopticGT) GroundTruth(id int) (*coco.IDMap, map[uint32]int, error) {
	a, ok := g.ann[id]
	if !ok {
		return nil, nil, fmt.Errorf("image id %d has no panoptic annotation", id)
	}
	m, err := coco.ReadIDMap(filepath.Join(g.Dir, a.FileName))
	if err != nil {
		return nil, nil, fmt.Errorf("ground truth of image id %d: %w", id, err)
	}
	cats := make(map[uint32]int, len(a.Segments))
	for _, s := range a.Segments {
		cats[s.ID] = s.CategoryID
	}
	return m, cats, nil
}
