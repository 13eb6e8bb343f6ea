package coco

import (
	"fmt"

	"rewardvision/dataset/rle"
)

// Mask decodes a segmentation into an RLE of an h×w image, as pycocotools'
// annToRLE does: polygons are rasterised and merged, RLE objects must have
// size [h, w].
func (s *Segmentation) Mask(h, w int) (rle.RLE, error) {
	switch s.Kind() {
	case SegPolygons:
		return rle.FromPolygons(s.Polygons, h, w)
	case SegRLE, SegCompressedRLE:
		if s.RLE.Size != [2]int{h, w} {
			return rle.RLE{}, fmt.Errorf("RLE size %v, image is [%d %d] (height, width)", s.RLE.Size, h, w)
		}
		if s.RLE.Compressed {
			return rle.FromString(s.RLE.CountsString, h, w)
		}
		return rle.New(h, w, s.RLE.Counts)
	}
	return rle.RLE{}, fmt.Errorf("unknown segmentation kind")
}

// FromMask wraps an RLE as a segmentation, compressed (the form of results
// files) or as a counts list (the form COCO uses for crowd regions).
func FromMask(r rle.RLE, compressed bool) *Segmentation {
	out := &RLE{Size: [2]int{r.Height, r.Width}, Compressed: compressed}
	if compressed {
		out.CountsString = r.String()
	} else {
		out.Counts = append([]uint32{}, r.Counts...)
	}
	return &Segmentation{RLE: out}
}
