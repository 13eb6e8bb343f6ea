package coco

import (
	"encoding/json"
	"io"

	"rewardvision/internal/atomicfile"
)

// Caption is one reference caption of a captions file.
type Caption struct {
	ImageID int64  `json:"image_id"`
	ID      int64  `json:"id"`
	Caption string `json:"caption"`
}

// Captions is a COCO captions annotation file. Categories is not part of
// COCO's captions format; the shapes world writes it so every file names
// its classes, and readers elsewhere ignore it.
type Captions struct {
	Info        json.RawMessage `json:"info,omitempty"`
	Licenses    []License       `json:"licenses,omitempty"`
	Images      []Image         `json:"images"`
	Annotations []Caption       `json:"annotations"`
	Categories  []Category      `json:"categories,omitempty"`
}

// ReadCaptions decodes a captions annotation file.
func ReadCaptions(r io.Reader) (*Captions, error) {
	c := &Captions{Images: []Image{}, Annotations: []Caption{}}
	dec := json.NewDecoder(r)
	err := walkObject(dec, map[string]fieldFunc{
		"info":        rawField(&c.Info),
		"licenses":    listField(&c.Licenses),
		"images":      listField(&c.Images),
		"annotations": listField(&c.Annotations),
		"categories":  listField(&c.Categories),
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// LoadCaptions reads a captions file (plain or gzipped).
func LoadCaptions(path string) (*Captions, error) {
	var c *Captions
	err := loadFile(path, func(r io.Reader) (err error) {
		c, err = ReadCaptions(r)
		return err
	})
	return c, err
}

// CaptionsWriter streams a captions file.
type CaptionsWriter struct{ s *objectStream }

// NewCaptionsWriter writes the head (info, licenses, images) and opens the
// annotations list; Close writes the categories when there are any.
func NewCaptionsWriter(w io.Writer, head *Captions) (*CaptionsWriter, error) {
	var tail []field
	if head.Categories != nil {
		tail = []field{{"categories", listOf(head.Categories)}}
	}
	s, err := newObjectStream(w, []field{
		{"info", head.Info},
		{"licenses", head.Licenses},
		{"images", listOf(head.Images)},
	}, "annotations", tail)
	return &CaptionsWriter{s}, err
}

// Add appends one caption.
func (cw *CaptionsWriter) Add(c Caption) error { return cw.s.add(c) }

// Close finishes the file; it does not close the underlying writer.
func (cw *CaptionsWriter) Close() error { return cw.s.close() }

// WriteCaptions writes c as one JSON document.
func WriteCaptions(w io.Writer, c *Captions) error {
	cw, err := NewCaptionsWriter(w, c)
	if err != nil {
		return err
	}
	for _, a := range c.Annotations {
		if err := cw.Add(a); err != nil {
			return err
		}
	}
	return cw.Close()
}

// SaveCaptions writes c to path atomically.
func SaveCaptions(path string, c *Captions) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteCaptions(w, c) })
}
