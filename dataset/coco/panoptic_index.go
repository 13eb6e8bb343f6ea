package coco

import (
	"errors"
	"fmt"
	"log/slog"
)

// PanopticIndex looks up panoptic annotations by image id.
type PanopticIndex struct {
	P                  *Panoptic
	imageByID          map[int64]int
	annByImage         map[int64]int
	catByID            map[int64]int
	SkippedImages      int
	SkippedAnnotations int
}

// NewPanopticIndex checks the cross references of p: unique image ids, one
// annotation per known image, known categories, segment ids in 1..2²⁴−1
// and unique within their image. SkipBad drops a bad image or annotation
// with a warning instead of failing.
func NewPanopticIndex(p *Panoptic, opt IndexOptions) (*PanopticIndex, error) {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	px := &PanopticIndex{
		P:          p,
		imageByID:  make(map[int64]int, len(p.Images)),
		annByImage: make(map[int64]int, len(p.Annotations)),
		catByID:    make(map[int64]int, len(p.Categories)),
	}
	bad := func(what string, i int, id int64, err error) error {
		err = fmt.Errorf("%s%s[%d] (image id %d): %w", prefix(opt.Source), what, i, id, err)
		if !opt.SkipBad {
			return err
		}
		log.Warn("skipping bad record", "err", err)
		return nil
	}
	for i, c := range p.Categories {
		if _, dup := px.catByID[c.ID]; dup {
			return nil, fmt.Errorf("%scategories[%d]: duplicate category id %d", prefix(opt.Source), i, c.ID)
		}
		px.catByID[c.ID] = i
	}
	for i, im := range p.Images {
		err := checkImage(im)
		if _, dup := px.imageByID[im.ID]; err == nil && dup {
			err = errors.New("duplicate image id")
		}
		if err != nil {
			if e := bad("images", i, im.ID, err); e != nil {
				return nil, e
			}
			px.SkippedImages++
			continue
		}
		px.imageByID[im.ID] = i
	}
	for i, a := range p.Annotations {
		err := px.checkAnnotation(a)
		if _, dup := px.annByImage[a.ImageID]; err == nil && dup {
			err = errors.New("second annotation for the same image")
		}
		if err != nil {
			if e := bad("annotations", i, a.ImageID, err); e != nil {
				return nil, e
			}
			px.SkippedAnnotations++
			continue
		}
		px.annByImage[a.ImageID] = i
	}
	return px, nil
}

func (px *PanopticIndex) checkAnnotation(a PanopticAnnotation) error {
	if _, ok := px.imageByID[a.ImageID]; !ok {
		return fmt.Errorf("image_id %d is not in images", a.ImageID)
	}
	if a.FileName == "" {
		return errors.New("no file_name")
	}
	seen := make(map[int64]bool, len(a.SegmentsInfo))
	for k, s := range a.SegmentsInfo {
		switch {
		case s.ID <= 0 || s.ID > MaxSegmentID:
			return fmt.Errorf("segments_info[%d]: id %d outside 1..%d", k, s.ID, MaxSegmentID)
		case seen[s.ID]:
			return fmt.Errorf("segments_info[%d]: duplicate segment id %d", k, s.ID)
		case s.Area < 0 || s.BBox[2] < 0 || s.BBox[3] < 0:
			return fmt.Errorf("segments_info[%d] (id %d): negative area or box", k, s.ID)
		}
		if _, ok := px.catByID[s.CategoryID]; !ok {
			return fmt.Errorf("segments_info[%d] (id %d): category_id %d is not in categories", k, s.ID, s.CategoryID)
		}
		seen[s.ID] = true
	}
	return nil
}

// Annotation returns the panoptic annotation of an image.
func (px *PanopticIndex) Annotation(imageID int64) (PanopticAnnotation, bool) {
	i, ok := px.annByImage[imageID]
	if !ok {
		return PanopticAnnotation{}, false
	}
	return px.P.Annotations[i], true
}

// Image returns the image with the given id.
func (px *PanopticIndex) Image(id int64) (Image, bool) {
	i, ok := px.imageByID[id]
	if !ok {
		return Image{}, false
	}
	return px.P.Images[i], true
}

// Category returns the category with the given id.
func (px *PanopticIndex) Category(id int64) (Category, bool) {
	i, ok := px.catByID[id]
	if !ok {
		return Category{}, false
	}
	return px.P.Categories[i], true
}

// CheckIDMap checks that an id map and its annotation agree the way
// panopticapi needs: every non-void id of the PNG is a segment and every
// segment appears in the PNG with the area and bbox its record states.
func CheckIDMap(a PanopticAnnotation, m *IDMap) error {
	stats := m.SegmentStats()
	listed := make(map[uint32]bool, len(a.SegmentsInfo))
	for k, s := range a.SegmentsInfo {
		st, ok := stats[uint32(s.ID)]
		if !ok {
			return fmt.Errorf("%s: segments_info[%d] id %d has no pixels", a.FileName, k, s.ID)
		}
		if float64(st.Area) != s.Area {
			return fmt.Errorf("%s: segment %d: area %v in JSON, %d pixels in PNG", a.FileName, s.ID, s.Area, st.Area)
		}
		if st.BBox() != s.BBox {
			return fmt.Errorf("%s: segment %d: bbox %v in JSON, %v in PNG", a.FileName, s.ID, s.BBox, st.BBox())
		}
		listed[uint32(s.ID)] = true
	}
	for id := range stats {
		if id != 0 && !listed[id] {
			return fmt.Errorf("%s: PNG id %d is not in segments_info", a.FileName, id)
		}
	}
	return nil
}
