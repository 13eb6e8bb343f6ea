package coco

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Segmentation is an annotation's mask in one of COCO's three encodings:
// polygons, uncompressed RLE (counts as a list, used by COCO for crowds),
// or compressed RLE (counts as a string, used in results files and
// panoptic "detection format" files).
type Segmentation struct {
	Polygons [][]float64 // set when the JSON value is a list of polygons
	RLE      *RLE        // set when the JSON value is an object
}

// SegKind names the encoding of a Segmentation.
type SegKind int

// The encodings.
const (
	SegPolygons SegKind = iota
	SegRLE
	SegCompressedRLE
)

func (k SegKind) String() string {
	switch k {
	case SegPolygons:
		return "polygons"
	case SegRLE:
		return "uncompressed RLE"
	default:
		return "compressed RLE"
	}
}

// Kind says which encoding s holds.
func (s *Segmentation) Kind() SegKind {
	switch {
	case s.RLE == nil:
		return SegPolygons
	case s.RLE.Compressed:
		return SegCompressedRLE
	default:
		return SegRLE
	}
}

// RLE is a run-length mask as written in COCO JSON: Size is [height, width],
// runs go down columns (Fortran order) starting with a run of zeros. With
// Compressed the counts are in CountsString (pycocotools' LEB128-style
// ASCII), otherwise in Counts.
type RLE struct {
	Size         [2]int
	Counts       []uint32
	CountsString string
	Compressed   bool
}

// Height and Width unpack Size.
func (r *RLE) Height() int { return r.Size[0] }

// Width returns Size[1].
func (r *RLE) Width() int { return r.Size[1] }

type rleJSON struct {
	Size   []int           `json:"size"`
	Counts json.RawMessage `json:"counts"`
}

// MarshalJSON writes the polygon list or the RLE object ("size" first, as
// pycocotools writes it).
func (s Segmentation) MarshalJSON() ([]byte, error) {
	if s.RLE == nil {
		if s.Polygons == nil {
			return []byte("[]"), nil
		}
		return marshal(s.Polygons)
	}
	out := struct {
		Size   [2]int `json:"size"`
		Counts any    `json:"counts"`
	}{Size: s.RLE.Size}
	switch {
	case s.RLE.Compressed:
		out.Counts = s.RLE.CountsString
	case s.RLE.Counts == nil:
		out.Counts = []uint32{}
	default:
		out.Counts = s.RLE.Counts
	}
	return marshal(out)
}

// UnmarshalJSON accepts a polygon list or an RLE object whose counts are a
// list (uncompressed) or a string (compressed).
func (s *Segmentation) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("segmentation: empty value")
	}
	switch data[0] {
	case '[':
		var p [][]float64
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("segmentation: polygons: %w", err)
		}
		for i, poly := range p {
			if len(poly)%2 != 0 {
				return fmt.Errorf("segmentation: polygon %d has an odd number of coordinates (%d)", i, len(poly))
			}
		}
		*s = Segmentation{Polygons: p}
		return nil
	case '{':
		var rj rleJSON
		if err := json.Unmarshal(data, &rj); err != nil {
			return fmt.Errorf("segmentation: RLE: %w", err)
		}
		if len(rj.Size) != 2 {
			return fmt.Errorf("segmentation: RLE size: want [height, width], got %d numbers", len(rj.Size))
		}
		if rj.Size[0] < 0 || rj.Size[1] < 0 {
			return fmt.Errorf("segmentation: RLE size %v is negative", rj.Size)
		}
		r := &RLE{Size: [2]int{rj.Size[0], rj.Size[1]}}
		c := bytes.TrimSpace(rj.Counts)
		switch {
		case len(c) == 0:
			return errors.New("segmentation: RLE without counts")
		case c[0] == '"':
			r.Compressed = true
			if err := json.Unmarshal(c, &r.CountsString); err != nil {
				return fmt.Errorf("segmentation: RLE counts: %w", err)
			}
		case c[0] == '[':
			if err := json.Unmarshal(c, &r.Counts); err != nil {
				return fmt.Errorf("segmentation: RLE counts: %w", err)
			}
			if r.Counts == nil {
				r.Counts = []uint32{}
			}
		default:
			return fmt.Errorf("segmentation: RLE counts: want a list or a string, got %.20s", c)
		}
		*s = Segmentation{RLE: r}
		return nil
	case 'n':
		return errors.New("segmentation: null")
	default:
		return fmt.Errorf("segmentation: want a polygon list or an RLE object, got %.20s", data)
	}
}
