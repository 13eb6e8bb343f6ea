package shapes

import (
	"fmt"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/rle"
)

// Annotations of one scene in the three COCO formats, ids still relative
// (annotation ids are assigned in image order by the writer).
type annotations struct {
	instances []coco.Annotation
	segments  []coco.Segment
	idMap     *coco.IDMap
}

// thingSegmentID and stuffSegmentID give panoptic ids that are unique in
// an image and readable: G holds the category, R the object number (0 for
// stuff). Config.MaxObjects ≤ 200 keeps R below 256.
func thingSegmentID(cat int64, k int) uint32 { return uint32(256*cat) + uint32(k+1) }

func stuffSegmentID(cat int64) uint32 { return uint32(256 * cat) }

// annotate builds the instance masks (RLE of the visible pixels) and the
// panoptic id map and segments of a scene.
func annotate(sc *Scene, imageID int64) (annotations, error) {
	S := sc.Size
	var out annotations
	mask := make([]byte, S*S)
	for k, o := range sc.Objects {
		for i, l := range sc.label {
			mask[i] = 0
			if int(l) == k {
				mask[i] = 1
			}
		}
		r, err := rle.FromMask(mask, S, S)
		if err != nil {
			return out, fmt.Errorf("image %d object %d: %w", imageID, k, err)
		}
		seg := &coco.Segmentation{RLE: &coco.RLE{Size: [2]int{S, S}}}
		crowd := 0
		if o.Crowd {
			// COCO stores crowd regions as uncompressed RLE
			crowd = 1
			seg.RLE.Counts = append([]uint32{}, r.Counts...)
		} else {
			seg.RLE.Compressed = true
			seg.RLE.CountsString = r.String()
		}
		out.instances = append(out.instances, coco.Annotation{
			ImageID: imageID, CategoryID: o.CategoryID, BBox: coco.BBox(r.ToBBox()),
			Area: float64(r.Area()), IsCrowd: crowd, Segmentation: seg,
		})
		out.segments = append(out.segments, coco.Segment{
			ID: int64(thingSegmentID(o.CategoryID, k)), CategoryID: o.CategoryID, Area: float64(o.Area),
			BBox: intBox(o.BBox), IsCrowd: crowd,
		})
	}
	for _, s := range sc.Stuff {
		out.segments = append(out.segments, coco.Segment{
			ID: int64(stuffSegmentID(s.CategoryID)), CategoryID: s.CategoryID, Area: float64(s.Area), BBox: intBox(s.BBox),
		})
	}
	m := coco.NewIDMap(S, S)
	for i := range m.IDs {
		if l := sc.label[i]; l >= 0 {
			m.IDs[i] = thingSegmentID(sc.Objects[l].CategoryID, int(l))
		} else if reg := sc.stuffAt[i]; reg != voidStuff {
			m.IDs[i] = stuffSegmentID(stuffCategoryID(sc.regions[reg]))
		}
	}
	out.idMap = m
	return out, nil
}

func intBox(b [4]int) coco.BBox {
	return coco.BBox{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}
}

// Gray returns the luma of the image as PIL's convert("L") computes it
// (ITU-R 601-2, fixed point), so colorization inputs match Python tools.
func (sc *Scene) Gray() []uint8 {
	out := make([]uint8, sc.Size*sc.Size)
	for i := range out {
		r, g, b := uint32(sc.Pix[3*i]), uint32(sc.Pix[3*i+1]), uint32(sc.Pix[3*i+2])
		out[i] = uint8((r*19595 + g*38470 + b*7471 + 0x8000) >> 16)
	}
	return out
}
