package cocoeval

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"rewardvision/dataset/rle"
)

// parseSegmentation decodes a COCO segmentation value (polygon list,
// uncompressed RLE {"size", "counts": [...]}, or compressed RLE {"size",
// "counts": "..."}) for an h×w image. An RLE whose size differs from the
// image is an error (pycocotools would silently give IoU -1).
func parseSegmentation(raw []byte, h, w int) (rle.RLE, error) {
	return parseSegmentationSize(raw, h, w, true)
}

// parseSegmentationSize is parseSegmentation; with checkSize false an RLE
// keeps its own size, as pycocotools' mask functions read it.
func parseSegmentationSize(raw []byte, h, w int, checkSize bool) (rle.RLE, error) {
	s := &scanner{data: raw}
	switch s.peek() {
	case '[':
		return parsePolygons(s, h, w)
	case '{':
	default:
		return rle.RLE{}, errors.New("want a polygon list or an RLE object")
	}
	s.pos++
	var size []float64
	var str []byte
	var counts []uint32
	hasCounts, isString := false, false
	for first := true; ; first = false {
		key, ok, err := s.objectKey(first)
		if err != nil {
			return rle.RLE{}, err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "size":
			size, err = s.numbers(nil)
		case "counts":
			hasCounts = true
			if s.peek() == '"' {
				isString = true
				str, err = s.str()
			} else {
				counts, err = parseCounts(s)
			}
		default:
			err = s.skipValue()
		}
		if err != nil {
			return rle.RLE{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	if len(size) != 2 {
		return rle.RLE{}, errors.New("RLE needs \"size\": [height, width]")
	}
	if !hasCounts {
		return rle.RLE{}, errors.New("RLE has no \"counts\"")
	}
	if !checkSize {
		if size[0] < 0 || size[1] < 0 || size[0] != math.Trunc(size[0]) || size[1] != math.Trunc(size[1]) || size[0]*size[1] > math.MaxInt32 {
			return rle.RLE{}, fmt.Errorf("RLE size %vx%v is not a mask size", size[0], size[1])
		}
		h, w = int(size[0]), int(size[1])
	}
	if float64(h) != size[0] || float64(w) != size[1] {
		return rle.RLE{}, fmt.Errorf("RLE size %vx%v differs from the image's %dx%d", size[0], size[1], h, w)
	}
	if isString {
		return rle.FromString(string(str), h, w)
	}
	return rle.New(h, w, counts)
}

// parseCounts reads an uncompressed counts list.
func parseCounts(s *scanner) ([]uint32, error) {
	if err := s.expect('['); err != nil {
		return nil, err
	}
	var out []uint32
	for first := true; ; first = false {
		ok, err := s.arrayNext(first)
		if err != nil || !ok {
			return out, err
		}
		v, err := s.integer()
		if err != nil {
			return nil, err
		}
		if v < 0 || v > math.MaxUint32 {
			return nil, fmt.Errorf("count %d out of range", v)
		}
		out = append(out, uint32(v))
	}
}

// parsePolygons reads [[x1, y1, ...], ...] and rasterises it.
func parsePolygons(s *scanner, h, w int) (rle.RLE, error) {
	if err := s.expect('['); err != nil {
		return rle.RLE{}, err
	}
	var polys [][]float64
	for first := true; ; first = false {
		ok, err := s.arrayNext(first)
		if err != nil {
			return rle.RLE{}, err
		}
		if !ok {
			break
		}
		p, err := s.numbers(nil)
		if err != nil {
			return rle.RLE{}, fmt.Errorf("polygon %d: %w", len(polys), err)
		}
		polys = append(polys, p)
	}
	return rle.FromPolygons(polys, h, w)
}

// imageSize returns the size of the image with index i, which segm
// evaluation needs.
func (gt *GroundTruth) imageSize(i int32) (h, w int, err error) {
	im := gt.Images[i]
	if im.Height <= 0 || im.Width <= 0 {
		return 0, 0, fmt.Errorf("image %d has no positive width and height (needed for segm)", im.ID)
	}
	return im.Height, im.Width, nil
}

// decodeMasks decodes every annotation's segmentation once (in parallel:
// polygon rasterisation dominates the segm set-up).
func (gt *GroundTruth) decodeMasks(workers int) error {
	gt.masksOnce.Do(func() {
		var next atomic.Int64
		var mu sync.Mutex
		var firstErr error
		firstIdx := len(gt.Annotations)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(gt.Annotations) {
						return
					}
					if err := gt.decodeMask(i); err != nil {
						mu.Lock()
						if i < firstIdx {
							firstIdx, firstErr = i, err
						}
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			gt.masksErr = fmt.Errorf("%s: %w", gt.Name, firstErr)
		}
	})
	return gt.masksErr
}

func (gt *GroundTruth) decodeMask(i int) error {
	a := &gt.Annotations[i]
	if a.Segmentation != nil {
		if err := a.Segmentation.Validate(); err != nil {
			return fmt.Errorf("annotation %d (id %d): segmentation: %w", i, a.ID, err)
		}
		return nil
	}
	if a.segRaw == nil {
		return fmt.Errorf("annotation %d (id %d): no segmentation (needed for segm)", i, a.ID)
	}
	ii, _ := gt.imgIndex.get(a.ImageID)
	h, w, err := gt.imageSize(ii)
	if err != nil {
		return fmt.Errorf("annotation %d (id %d): %w", i, a.ID, err)
	}
	r, err := parseSegmentation(a.segRaw, h, w)
	if err != nil {
		return fmt.Errorf("annotation %d (id %d): segmentation: %w", i, a.ID, err)
	}
	a.Segmentation = &r
	return nil
}

// defaultWorkers is n, or GOMAXPROCS for 0, and never more than GOMAXPROCS:
// the work is CPU-bound, so more goroutines only cost memory (a huge
// --workers would start that many before doing anything).
func defaultWorkers(n int) int {
	if p := runtime.GOMAXPROCS(0); n <= 0 || n > p {
		return p
	}
	return n
}
