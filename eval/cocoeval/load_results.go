package cocoeval

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"rewardvision/dataset/rle"
)

// LoadResultsFile reads a COCO results file (plain or gzipped JSON) and
// checks it against gt. See LoadResults.
func LoadResultsFile(path string, gt *GroundTruth) ([]Detection, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	rf, err := parseResults(data, path)
	if err != nil {
		return nil, err
	}
	return rf.resolve(gt)
}

// LoadResults reads a COCO results list [{"image_id", "category_id",
// "bbox", "score", "segmentation"}, ...] from r (plain or gzipped JSON)
// with pycocotools' loadRes rules: if the first record has a non-empty
// "bbox", every record needs one and its area is w*h (also in segm mode);
// otherwise every record needs a "segmentation", its area is the mask area
// and a missing box is the mask's tight box. Every image and category must
// be in gt. Errors name the record by index.
func LoadResults(r io.Reader, gt *GroundTruth) ([]Detection, error) {
	data, err := readAll(r, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	rf, err := parseResults(data, "results")
	if err != nil {
		return nil, err
	}
	return rf.resolve(gt)
}

// LoadFiles loads a ground-truth file and a results file concurrently (the
// two reads, gunzips and parses overlap) and checks the results strictly:
// every result's category must be in the ground truth and every
// segmentation must fit its image. See LoadFilesOptions for pycocotools'
// leniency.
func LoadFiles(gtPath, resultsPath string) (*GroundTruth, []Detection, error) {
	gt, dets, _, err := LoadFilesOptions(gtPath, resultsPath, LoadOptions{Strict: true})
	return gt, dets, err
}

// LoadOptions says how LoadFilesOptions treats results that pycocotools
// accepts but leaves out or does not read.
type LoadOptions struct {
	// IoUType is the evaluation the results are loaded for. With "bbox" a
	// segmentation is read only where pycocotools' loadRes takes the area
	// and box from it (results without a "bbox"), at the RLE's own size.
	// With "segm" an RLE of another size than its image is kept at its own
	// size and counted (evaluate with Params.PycocotoolsMaskSizeIoU). Strict
	// ignores this.
	IoUType string
	// Strict refuses results whose category is not in the ground truth
	// and segmentations that do not fit their image, whatever IoUType.
	Strict bool
}

// LoadReport says what a lenient load left out.
type LoadReport struct {
	// UnknownCategories counts the results left out per category id that
	// the ground truth lacks: pycocotools evaluates only the ground
	// truth's categories.
	UnknownCategories map[int]int
	// MaskSizeMismatches counts the results (IoUType "segm") whose RLE
	// size differs from their image's.
	MaskSizeMismatches int
}

// LoadFilesOptions is LoadFiles with pycocotools' leniency unless
// opt.Strict: results of categories the ground truth lacks are left out
// (counted in the report), and with opt.IoUType "bbox" masks are not
// checked against their images.
func LoadFilesOptions(gtPath, resultsPath string, opt LoadOptions) (*GroundTruth, []Detection, *LoadReport, error) {
	var (
		wg    sync.WaitGroup
		rf    *resultsFile
		rfErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		data, err := readFile(resultsPath)
		if err != nil {
			rfErr = err
			return
		}
		rf, rfErr = parseResults(data, resultsPath)
	}()
	gt, gtErr := LoadGroundTruthFile(gtPath)
	wg.Wait()
	if gtErr != nil {
		return nil, nil, nil, gtErr
	}
	if rfErr != nil {
		return nil, nil, nil, rfErr
	}
	dets, rep, err := rf.resolveOptions(gt, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	return gt, dets, rep, nil
}

// resultsFile is a parsed results list before it is checked against the
// ground truth (which the parse does not need, so both load at once).
type resultsFile struct {
	name    string
	dets    []Detection
	segRaw  [][]byte // per record; nil when absent
	hasBox  []bool
	boxMode bool // pycocotools' loadRes took the "bbox" branch
}

// recordError names a record and its image.
func recordError(name string, i int, d *Detection, err error) error {
	return fmt.Errorf("%s: detection %d (image_id %d, category_id %d): %w", name, i, d.ImageID, d.CategoryID, err)
}

func parseResults(data []byte, name string) (*resultsFile, error) {
	s := &scanner{data: data}
	rf := &resultsFile{name: name}
	if c := s.peek(); c != '[' {
		return nil, withPos(name, data, s.errorf("want a list of results, found %s", describe(c)), "")
	}
	// A detection record takes ~80 bytes of JSON: size the slices once.
	est := len(data)/80 + 1
	rf.dets = make([]Detection, 0, est)
	rf.hasBox = make([]bool, 0, est)
	var nums [8]float64
	err := eachObject(s, func(idx int) error {
		var d Detection
		var seg []byte
		var has struct{ img, cat, score, box bool }
		for first := true; ; first = false {
			key, ok, err := s.objectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch string(key) {
			case "image_id":
				d.ImageID, err = s.integer()
				has.img = true
			case "category_id":
				d.CategoryID, err = s.integer()
				has.cat = true
			case "score":
				d.Score, err = s.number()
				has.score = true
			case "bbox":
				var v []float64
				if v, err = s.numbers(nums[:0]); err == nil && len(v) > 0 {
					d.BBox, err = checkBox(v)
					has.box = true
				}
			case "segmentation":
				p := s.pos
				if s.isNull() {
					break
				}
				if err = s.skipValue(); err == nil {
					seg = data[p:s.pos]
				}
			default:
				err = s.skipValue()
			}
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		switch {
		case !has.img:
			return errors.New("no image_id")
		case !has.cat:
			return errors.New("no category_id")
		case !has.score:
			return errors.New("no score")
		}
		if idx == 0 {
			rf.boxMode = has.box
		}
		if rf.boxMode && !has.box {
			return errors.New("no bbox: the first result has one, so every result needs one (pycocotools loadRes)")
		}
		if !rf.boxMode && seg == nil {
			return errors.New("no segmentation: the first result has no bbox, so every result needs a segmentation (pycocotools loadRes)")
		}
		if rf.boxMode {
			d.Area, d.areaSet = d.BBox[2]*d.BBox[3], true
		}
		rf.dets = append(rf.dets, d)
		rf.hasBox = append(rf.hasBox, has.box)
		if seg != nil {
			if rf.segRaw == nil {
				rf.segRaw = make([][]byte, len(rf.dets)-1, cap(rf.dets))
			}
		}
		if rf.segRaw != nil {
			rf.segRaw = append(rf.segRaw, seg)
		}
		return nil
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		// Records are appended when complete: the failing one is next.
		return nil, withPos(name, data, unwrapSyntax(err), fmt.Sprintf("detection %d", len(rf.dets)))
	}
	return rf, nil
}

// resolve checks the records against gt strictly and decodes their masks.
func (rf *resultsFile) resolve(gt *GroundTruth) ([]Detection, error) {
	dets, _, err := rf.resolveOptions(gt, LoadOptions{Strict: true})
	return dets, err
}

// resolveOptions checks the records against gt, leaves out (unless strict)
// those of unknown categories and decodes the masks opt needs.
func (rf *resultsFile) resolveOptions(gt *GroundTruth, opt LoadOptions) ([]Detection, *LoadReport, error) {
	rep := &LoadReport{}
	boxOnly := opt.IoUType == IoUBBox && !opt.Strict
	anySize := opt.IoUType != "" && !opt.Strict
	kept := rf.dets[:0]
	for i := range rf.dets {
		d := &rf.dets[i]
		ii, ok := gt.imgIndex.get(d.ImageID)
		if !ok {
			return nil, nil, recordError(rf.name, i, d, fmt.Errorf("image_id %d is not in the ground truth", d.ImageID))
		}
		if _, ok := gt.catIndex.get(d.CategoryID); !ok {
			if opt.Strict {
				return nil, nil, recordError(rf.name, i, d, fmt.Errorf("category_id %d is not in the ground truth", d.CategoryID))
			}
			if rep.UnknownCategories == nil {
				rep.UnknownCategories = map[int]int{}
			}
			rep.UnknownCategories[d.CategoryID]++
			continue
		}
		if math.IsNaN(d.Score) || math.IsInf(d.Score, 0) {
			return nil, nil, recordError(rf.name, i, d, fmt.Errorf("score %v is not finite", d.Score))
		}
		if rf.segRaw == nil || rf.segRaw[i] == nil || (boxOnly && rf.boxMode) {
			// pycocotools' bbox branch of loadRes never reads the mask.
			kept = append(kept, *d)
			continue
		}
		h, w, err := gt.imageSize(ii)
		if err != nil {
			return nil, nil, recordError(rf.name, i, d, err)
		}
		m, err := parseSegmentationSize(rf.segRaw[i], h, w, !anySize)
		if err != nil {
			return nil, nil, recordError(rf.name, i, d, fmt.Errorf("segmentation: %w", err))
		}
		if !boxOnly && (m.Height != h || m.Width != w) {
			rep.MaskSizeMismatches++
		}
		d.Segmentation = &m
		if !rf.boxMode {
			d.Area, d.areaSet = float64(m.Area()), true
			if !rf.hasBox[i] {
				d.BBox = m.ToBBox()
			}
		}
		kept = append(kept, *d)
	}
	return kept, rep, nil
}

// checkDetections validates detections (LoadResults output passes; in-memory
// ones may not).
func checkDetections(gt *GroundTruth, dets []Detection) error {
	for i := range dets {
		d := &dets[i]
		if _, ok := gt.imgIndex.get(d.ImageID); !ok {
			return recordError("results", i, d, fmt.Errorf("image_id %d is not in the ground truth", d.ImageID))
		}
		if _, ok := gt.catIndex.get(d.CategoryID); !ok {
			return recordError("results", i, d, fmt.Errorf("category_id %d is not in the ground truth", d.CategoryID))
		}
		if math.IsNaN(d.Score) || math.IsInf(d.Score, 0) {
			return recordError("results", i, d, fmt.Errorf("score %v is not finite", d.Score))
		}
		if _, err := checkBox(d.BBox[:]); err != nil {
			return recordError("results", i, d, fmt.Errorf("bbox: %w", err))
		}
		if math.IsNaN(d.Area) || math.IsInf(d.Area, 0) {
			return recordError("results", i, d, fmt.Errorf("area %v is not finite", d.Area))
		}
		if d.Segmentation != nil {
			if err := d.Segmentation.Validate(); err != nil {
				return recordError("results", i, d, fmt.Errorf("segmentation: %w", err))
			}
		}
	}
	return nil
}

// detArea is the area used by the area-range rule (see Detection.Area).
func detArea(d *Detection) float64 {
	if d.areaSet || d.Area != 0 {
		return d.Area
	}
	if d.Segmentation == nil {
		return d.BBox[2] * d.BBox[3]
	}
	return float64(d.Segmentation.Area())
}

// detBox is the box used by bbox IoU: BBox, or the mask's box when BBox is
// all zero and a mask is given.
func detBox(d *Detection) [4]float64 {
	if d.BBox == ([4]float64{}) && d.Segmentation != nil {
		return d.Segmentation.ToBBox()
	}
	return d.BBox
}

// detMask is the mask used by segm IoU: the segmentation, or the box
// rasterised at the image size.
func detMask(d *Detection, h, w int) (rle.RLE, error) {
	if d.Segmentation != nil {
		if d.Segmentation.Height != h || d.Segmentation.Width != w {
			return rle.RLE{}, fmt.Errorf("segmentation is %dx%d, image is %dx%d", d.Segmentation.Height, d.Segmentation.Width, h, w)
		}
		return *d.Segmentation, nil
	}
	return rle.FromBBox(d.BBox, h, w)
}
