package coco

import (
	"encoding/json"
	"io"

	"rewardvision/internal/atomicfile"
)

// Segment is one entry of a panoptic annotation's segments_info. ID is the
// segment's value in the PNG id map (R + 256·G + 256²·B); 0 is void.
type Segment struct {
	ID         int64   `json:"id"`
	CategoryID int64   `json:"category_id"`
	Area       float64 `json:"area"`
	BBox       BBox    `json:"bbox"`
	IsCrowd    int     `json:"iscrowd"`
}

// PanopticAnnotation ties an image to its PNG id map and its segments.
type PanopticAnnotation struct {
	ImageID      int64     `json:"image_id"`
	FileName     string    `json:"file_name"`
	SegmentsInfo []Segment `json:"segments_info"`
}

// Panoptic is a COCO panoptic JSON file; the id maps are PNG files named by
// each annotation's FileName (see ReadIDMap).
type Panoptic struct {
	Info        json.RawMessage      `json:"info,omitempty"`
	Licenses    []License            `json:"licenses,omitempty"`
	Images      []Image              `json:"images"`
	Annotations []PanopticAnnotation `json:"annotations"`
	Categories  []Category           `json:"categories"`
}

// ReadPanoptic decodes a panoptic JSON file.
func ReadPanoptic(r io.Reader) (*Panoptic, error) {
	p := &Panoptic{Images: []Image{}, Annotations: []PanopticAnnotation{}, Categories: []Category{}}
	dec := json.NewDecoder(r)
	err := walkObject(dec, map[string]fieldFunc{
		"info":        rawField(&p.Info),
		"licenses":    listField(&p.Licenses),
		"images":      listField(&p.Images),
		"annotations": listField(&p.Annotations),
		"categories":  listField(&p.Categories),
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// LoadPanoptic reads a panoptic JSON file (plain or gzipped).
func LoadPanoptic(path string) (*Panoptic, error) {
	var p *Panoptic
	err := loadFile(path, func(r io.Reader) (err error) {
		p, err = ReadPanoptic(r)
		return err
	})
	return p, err
}

// LoadCategories reads a bare JSON list of categories, like panopticapi's
// panoptic_coco_categories.json.
func LoadCategories(path string) ([]Category, error) {
	var cats []Category
	err := loadFile(path, func(r io.Reader) error {
		dec := json.NewDecoder(r)
		return decodeList(dec, &cats)
	})
	return cats, err
}

// PanopticWriter streams a panoptic JSON file, one annotation at a time.
type PanopticWriter struct{ s *objectStream }

// NewPanopticWriter writes the head (info, licenses, images) and opens the
// annotations list; Close writes the categories.
func NewPanopticWriter(w io.Writer, head *Panoptic) (*PanopticWriter, error) {
	s, err := newObjectStream(w, []field{
		{"info", head.Info},
		{"licenses", head.Licenses},
		{"images", listOf(head.Images)},
	}, "annotations", []field{{"categories", listOf(head.Categories)}})
	return &PanopticWriter{s}, err
}

// Add appends one image's annotation.
func (pw *PanopticWriter) Add(a PanopticAnnotation) error {
	if a.SegmentsInfo == nil {
		a.SegmentsInfo = []Segment{}
	}
	return pw.s.add(a)
}

// Close finishes the file; it does not close the underlying writer.
func (pw *PanopticWriter) Close() error { return pw.s.close() }

// WritePanoptic writes p as one JSON document.
func WritePanoptic(w io.Writer, p *Panoptic) error {
	pw, err := NewPanopticWriter(w, p)
	if err != nil {
		return err
	}
	for _, a := range p.Annotations {
		if err := pw.Add(a); err != nil {
			return err
		}
	}
	return pw.Close()
}

// SavePanoptic writes p to path atomically.
func SavePanoptic(path string, p *Panoptic) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WritePanoptic(w, p) })
}
