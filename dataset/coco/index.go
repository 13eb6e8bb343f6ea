package coco

import (
	"errors"
	"fmt"
	"log/slog"
)

// MaxImageSide bounds image width and height; larger values are treated
// as corrupt records rather than allocated.
const MaxImageSide = 1 << 15

// IndexOptions says how NewIndex treats bad records.
type IndexOptions struct {
	// SkipBad drops a bad image or annotation with a warning instead of
	// failing: duplicate ids, an annotation of an unknown image or
	// category, a negative box, a mask whose size disagrees with its image.
	SkipBad bool
	// Source names the file in messages.
	Source string
	Logger *slog.Logger // slog.Default() when nil
}

// Index looks up the records of an Instances by id. Annotations keep their
// file order within an image.
type Index struct {
	DS                 *Instances
	imageByID          map[int64]int
	catByID            map[int64]int
	annsByImage        map[int64][]int
	SkippedImages      int // records dropped under SkipBad
	SkippedAnnotations int
}

// NewIndex checks the cross references of ds and indexes it. Without
// SkipBad the first bad record is an error naming it.
func NewIndex(ds *Instances, opt IndexOptions) (*Index, error) {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	ix := &Index{
		DS:          ds,
		imageByID:   make(map[int64]int, len(ds.Images)),
		catByID:     make(map[int64]int, len(ds.Categories)),
		annsByImage: make(map[int64][]int, len(ds.Images)),
	}
	bad := func(what string, i int, id int64, err error) error {
		err = fmt.Errorf("%s[%d] (id %d): %w", what, i, id, err)
		if opt.Source != "" {
			err = fmt.Errorf("%s: %w", opt.Source, err)
		}
		if !opt.SkipBad {
			return err
		}
		log.Warn("skipping bad record", "err", err)
		return nil
	}
	for i, c := range ds.Categories {
		if _, dup := ix.catByID[c.ID]; dup {
			// A category cannot be skipped without changing what every
			// other record means, so this is an error even with SkipBad.
			return nil, fmt.Errorf("%scategories[%d]: duplicate category id %d", prefix(opt.Source), i, c.ID)
		}
		ix.catByID[c.ID] = i
	}
	for i, im := range ds.Images {
		err := checkImage(im)
		if err == nil {
			if _, dup := ix.imageByID[im.ID]; dup {
				err = errors.New("duplicate image id")
			}
		}
		if err != nil {
			if e := bad("images", i, im.ID, err); e != nil {
				return nil, e
			}
			ix.SkippedImages++
			continue
		}
		ix.imageByID[im.ID] = i
	}
	annIDs := make(map[int64]bool, len(ds.Annotations))
	for i := range ds.Annotations {
		a := &ds.Annotations[i]
		err := ix.checkAnnotation(a)
		if err == nil && annIDs[a.ID] {
			err = errors.New("duplicate annotation id")
		}
		if err != nil {
			if e := bad("annotations", i, a.ID, err); e != nil {
				return nil, e
			}
			ix.SkippedAnnotations++
			continue
		}
		annIDs[a.ID] = true
		ix.annsByImage[a.ImageID] = append(ix.annsByImage[a.ImageID], i)
	}
	if n := ix.SkippedImages + ix.SkippedAnnotations; n > 0 {
		log.Warn("skipped bad records", "source", opt.Source, "images", ix.SkippedImages, "annotations", ix.SkippedAnnotations)
	}
	return ix, nil
}

func prefix(s string) string {
	if s == "" {
		return ""
	}
	return s + ": "
}

func checkImage(im Image) error {
	if im.Width < 0 || im.Height < 0 || im.Width > MaxImageSide || im.Height > MaxImageSide {
		return fmt.Errorf("bad size %dx%d", im.Width, im.Height)
	}
	return nil
}

func (ix *Index) checkAnnotation(a *Annotation) error {
	im, ok := ix.imageByID[a.ImageID]
	if !ok {
		return fmt.Errorf("image_id %d is not in images", a.ImageID)
	}
	if _, ok := ix.catByID[a.CategoryID]; !ok {
		return fmt.Errorf("category_id %d is not in categories", a.CategoryID)
	}
	if a.BBox[2] < 0 || a.BBox[3] < 0 {
		return fmt.Errorf("bbox %v has a negative size", a.BBox)
	}
	if a.Area < 0 {
		return fmt.Errorf("negative area %v", a.Area)
	}
	if a.Segmentation != nil {
		return checkSegmentation(a.Segmentation, ix.DS.Images[im])
	}
	return nil
}

func checkSegmentation(s *Segmentation, im Image) error {
	r := s.RLE
	if r == nil {
		return nil
	}
	if im.Width > 0 && im.Height > 0 && (r.Size[0] != im.Height || r.Size[1] != im.Width) {
		return fmt.Errorf("RLE size [%d %d] differs from image size [%d %d] (height, width)", r.Size[0], r.Size[1], im.Height, im.Width)
	}
	if !r.Compressed {
		var sum uint64
		for _, c := range r.Counts {
			sum += uint64(c)
		}
		if sum != uint64(r.Size[0])*uint64(r.Size[1]) {
			return fmt.Errorf("RLE counts sum to %d, want height·width = %d", sum, r.Size[0]*r.Size[1])
		}
	}
	return nil
}

// Image returns the image with the given id.
func (ix *Index) Image(id int64) (Image, bool) {
	i, ok := ix.imageByID[id]
	if !ok {
		return Image{}, false
	}
	return ix.DS.Images[i], true
}

// Category returns the category with the given id.
func (ix *Index) Category(id int64) (Category, bool) {
	i, ok := ix.catByID[id]
	if !ok {
		return Category{}, false
	}
	return ix.DS.Categories[i], true
}

// Annotations returns the (valid) annotations of an image in file order.
func (ix *Index) Annotations(imageID int64) []Annotation {
	idx := ix.annsByImage[imageID]
	out := make([]Annotation, len(idx))
	for k, i := range idx {
		out[k] = ix.DS.Annotations[i]
	}
	return out
}

// ImageIDs returns the ids of the valid images in file order.
func (ix *Index) ImageIDs() []int64 {
	out := make([]int64, 0, len(ix.imageByID))
	for k, im := range ix.DS.Images {
		// a skipped duplicate shares its id with the kept record
		if i, ok := ix.imageByID[im.ID]; ok && i == k {
			out = append(out, im.ID)
		}
	}
	return out
}
