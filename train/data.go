package train

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/loader"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// Input normalisation: x = (pixel/255 − mean)/std, recorded in meta.json.
var (
	inputMean = [3]float32{0.5, 0.5, 0.5}
	inputStd  = [3]float32{0.25, 0.25, 0.25}
)

// padLevel is the letterbox padding (mid-gray: 0 after normalisation).
const padLevel = 128

// split is a dataset held in memory: decoded, letterboxed images (uint8,
// ~12 KB each at 64²) and their targets.
type split struct {
	dir      string
	size     int
	ids      []int64
	pixels   [][]uint8
	lbs      []loader.Letterbox
	boxes    [][]codec.Box // letterboxed, non-crowd, thing class index
	captions [][]string
	anns     [][]coco.Annotation // original annotations (for the COCO ground truth)
	widths   []int
	heights  []int
	cats     []coco.Category // thing categories, class index k ↔ cats[k]
	// gray: the model sees each image's luminance (colorization); pixels
	// keep the colour image, the target.
	gray bool
	// Panoptic: each image's letterboxed id map and segments, and every
	// category (things and stuff) of panoptic.json.
	panoptic [][]uint32
	segments [][]coco.Segment
	allCats  []coco.Category
}

// loadSplit reads dir (the `data gen` layout) for the given task:
// detection needs instance annotations of thing categories, captioning
// needs captions.json, panoptic panoptic.json and its PNGs. The first bad record or image is an error, or with
// skipBad a warning, and the count skipped is logged.
func loadSplit(ctx context.Context, dir, taskName string, size, workers int, skipBad bool, log *slog.Logger) (*split, error) {
	instPath := filepath.Join(dir, "instances.json")
	if _, err := os.Stat(instPath); err != nil {
		return nil, fmt.Errorf("%s: not a split folder (want instances.json and images/ from `rewardvision data gen`): %w", dir, err)
	}
	capPath := filepath.Join(dir, "captions.json")
	if taskName == task.Captioning {
		if _, err := os.Stat(capPath); err != nil {
			return nil, fmt.Errorf("%s: captioning needs reference captions: %w", dir, err)
		}
	}
	inst, err := coco.LoadInstances(instPath)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", instPath, err)
	}
	var cats []coco.Category
	for _, c := range inst.Categories {
		if c.Thing() {
			cats = append(cats, c)
		}
	}
	sort.Slice(cats, func(i, j int) bool { return cats[i].ID < cats[j].ID })
	classOf := make(map[int64]int, len(cats))
	for k, c := range cats {
		classOf[c.ID] = k
	}
	if taskName == task.Detection && (len(cats) == 0 || len(inst.Annotations) == 0) {
		return nil, fmt.Errorf("%s: no detection annotations (%d thing categories, %d annotations)", instPath, len(cats), len(inst.Annotations))
	}
	recs, counts, err := loader.LoadSplitCounts(dir, skipBad, log)
	if err != nil {
		return nil, fmt.Errorf("load split %s: %w", dir, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no images", dir)
	}
	if taskName == task.Panoptic {
		for _, r := range recs {
			if r.PanopticPath == "" {
				return nil, fmt.Errorf("%s: image id %d has no panoptic annotation (want panoptic.json and panoptic/ from `rewardvision data gen`)", dir, r.ImageID)
			}
		}
	} else {
		for i := range recs {
			recs[i].PanopticPath = "" // not needed: skip decoding the id maps
		}
	}
	it, err := loader.New(ctx, recs, loader.Config{Size: size, Workers: workers, SkipBad: skipBad, Pad: [3]uint8{padLevel, padLevel, padLevel}, Logger: log})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	samples, err := loader.All(it)
	if err != nil {
		return nil, fmt.Errorf("load images of %s: %w", dir, err)
	}
	if skipBad {
		if log == nil {
			log = slog.Default()
		}
		log.Info("skipped bad data", "dir", dir, "images", len(samples), "skipped", counts.Skipped()+it.Skipped(),
			"skipped_records", counts.Skipped(), "skipped_image_files", it.Skipped())
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: no readable images", dir)
	}
	s := &split{dir: dir, size: size, cats: cats, gray: taskName == task.Colorization}
	if taskName == task.Panoptic {
		// panoptic.json lists the stuff categories too; a COCO
		// instances.json has the things only.
		path := filepath.Join(dir, "panoptic.json")
		pan, err := coco.LoadPanoptic(path)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		s.allCats = pan.Categories
	}
	for i, smp := range samples {
		r := smp.Record
		var boxes []codec.Box
		for j, a := range r.Annotations {
			k, ok := classOf[a.CategoryID]
			if a.IsCrowd != 0 || !ok {
				continue
			}
			b := smp.Boxes[j]
			boxes = append(boxes, codec.BoxFromXYWH(b[0], b[1], b[2], b[3], k))
		}
		if taskName == task.Captioning && len(r.Captions) == 0 {
			return nil, fmt.Errorf("%s: image id %d (record %d) has no reference caption", dir, r.ImageID, i)
		}
		s.ids = append(s.ids, r.ImageID)
		s.pixels = append(s.pixels, smp.Pixels)
		s.lbs = append(s.lbs, smp.Letterbox)
		s.boxes = append(s.boxes, boxes)
		s.captions = append(s.captions, r.Captions)
		s.anns = append(s.anns, r.Annotations)
		s.widths = append(s.widths, smp.Letterbox.SrcW)
		s.heights = append(s.heights, smp.Letterbox.SrcH)
		if taskName == task.Panoptic {
			s.panoptic = append(s.panoptic, smp.Panoptic)
			s.segments = append(s.segments, r.Segments)
		}
	}
	return s, nil
}

func (s *split) len() int { return len(s.ids) }

// normalize writes image i as float32 model input into dst (size²·3).
func (s *split) normalize(i int, dst []float32) {
	checkpoint.Input{Mean: inputMean, Std: inputStd, Gray: s.gray}.Normalize(dst[:0], s.pixels[i])
}

// maxBoxes is the most non-crowd thing boxes in one image.
func (s *split) maxBoxes() int {
	m := 0
	for _, b := range s.boxes {
		m = max(m, len(b))
	}
	return m
}
