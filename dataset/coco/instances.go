package coco

import (
	"encoding/json"
	"io"

	"rewardvision/internal/atomicfile"
)

// ReadInstances decodes an instances file from r. It checks the shape of
// every record (see BBox, Segmentation) but not cross references; use
// NewIndex for those.
func ReadInstances(r io.Reader) (*Instances, error) {
	ds := &Instances{Images: []Image{}, Annotations: []Annotation{}, Categories: []Category{}}
	dec := json.NewDecoder(r)
	err := walkObject(dec, map[string]fieldFunc{
		"info":        rawField(&ds.Info),
		"licenses":    listField(&ds.Licenses),
		"images":      listField(&ds.Images),
		"annotations": listField(&ds.Annotations),
		"categories":  listField(&ds.Categories),
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// LoadInstances reads an instances file (plain or gzipped JSON).
func LoadInstances(path string) (*Instances, error) {
	var ds *Instances
	err := loadFile(path, func(r io.Reader) (err error) {
		ds, err = ReadInstances(r)
		return err
	})
	return ds, err
}

// InstancesWriter streams an instances file: the images and categories are
// known up front, the annotations are added one at a time.
type InstancesWriter struct{ s *objectStream }

// NewInstancesWriter writes the head of the file (info, licenses, images)
// and opens the annotations list. head.Annotations is ignored; the
// categories are written by Close.
func NewInstancesWriter(w io.Writer, head *Instances) (*InstancesWriter, error) {
	s, err := newObjectStream(w, []field{
		{"info", head.Info},
		{"licenses", head.Licenses},
		{"images", listOf(head.Images)},
	}, "annotations", []field{{"categories", listOf(head.Categories)}})
	return &InstancesWriter{s}, err
}

// Add appends one annotation.
func (iw *InstancesWriter) Add(a Annotation) error { return iw.s.add(a) }

// Close finishes the file; it does not close the underlying writer.
func (iw *InstancesWriter) Close() error { return iw.s.close() }

// WriteInstances writes ds as one JSON document.
func WriteInstances(w io.Writer, ds *Instances) error {
	iw, err := NewInstancesWriter(w, ds)
	if err != nil {
		return err
	}
	for _, a := range ds.Annotations {
		if err := iw.Add(a); err != nil {
			return err
		}
	}
	return iw.Close()
}

// SaveInstances writes ds to path atomically.
func SaveInstances(path string, ds *Instances) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteInstances(w, ds) })
}
