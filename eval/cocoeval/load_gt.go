package cocoeval

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// LoadGroundTruthFile reads a COCO instances annotation file (plain or
// gzipped JSON).
func LoadGroundTruthFile(path string) (*GroundTruth, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseGroundTruth(data, path)
}

// LoadGroundTruth reads a COCO instances annotation file from r (plain or
// gzipped JSON). Segmentations are checked for JSON syntax only and decoded
// on the first segm evaluation.
func LoadGroundTruth(r io.Reader) (*GroundTruth, error) {
	data, err := readAll(r, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read ground truth: %w", err)
	}
	return parseGroundTruth(data, "ground truth")
}

// withPos turns a scanner error into "name: line L col C: msg (where)".
func withPos(name string, data []byte, err error, where string) error {
	var se *syntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.off)
		if where != "" {
			return fmt.Errorf("%s: line %d col %d: %s (in %s)", name, line, col, se.msg, where)
		}
		return fmt.Errorf("%s: line %d col %d: %s", name, line, col, se.msg)
	}
	if where != "" {
		return fmt.Errorf("%s: %s: %w", name, where, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func parseGroundTruth(data []byte, name string) (*GroundTruth, error) {
	s := &scanner{data: data}
	gt := &GroundTruth{Name: name}
	if err := s.expect('{'); err != nil {
		return nil, withPos(name, data, err, "top level: want a COCO instances object")
	}
	seen := map[string]bool{}
	for first := true; ; first = false {
		key, ok, err := s.objectKey(first)
		if err != nil {
			return nil, withPos(name, data, err, "top level")
		}
		if !ok {
			break
		}
		switch k := string(key); k {
		case "images", "annotations", "categories":
			if seen[k] {
				return nil, withPos(name, data, s.errorf("duplicate key %q", k), "top level")
			}
			seen[k] = true
			var err error
			switch k {
			case "images":
				err = parseImages(s, gt, name)
			case "annotations":
				err = parseAnnotations(s, gt, name)
			default:
				err = parseCategories(s, gt, name)
			}
			if err != nil {
				return nil, err
			}
		default:
			if err := s.skipValue(); err != nil {
				return nil, withPos(name, data, err, fmt.Sprintf("key %q", k))
			}
		}
	}
	if err := s.end(); err != nil {
		return nil, withPos(name, data, err, "")
	}
	for _, k := range []string{"images", "annotations", "categories"} {
		if !seen[k] {
			return nil, fmt.Errorf("%s: no %q list: not a COCO instances file", name, k)
		}
	}
	if err := gt.index(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return gt, nil
}

// eachObject calls fn for every object of the array that comes next.
func eachObject(s *scanner, fn func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	for i := 0; ; i++ {
		ok, err := s.arrayNext(i == 0)
		if err != nil || !ok {
			return err
		}
		if err := s.expect('{'); err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
}

func parseImages(s *scanner, gt *GroundTruth, name string) error {
	err := eachObject(s, func(i int) error {
		var im Image
		hasID := false
		for first := true; ; first = false {
			key, ok, err := s.objectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				if !hasID {
					return errors.New("no id")
				}
				gt.Images = append(gt.Images, im)
				return nil
			}
			switch string(key) {
			case "id":
				im.ID, err = s.integer()
				hasID = true
			case "width":
				im.Width, err = s.integer()
			case "height":
				im.Height, err = s.integer()
			default:
				err = s.skipValue()
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return withPos(name, s.data, err, fmt.Sprintf("images[%d]", len(gt.Images)))
	}
	return nil
}

func parseCategories(s *scanner, gt *GroundTruth, name string) error {
	err := eachObject(s, func(i int) error {
		var c Category
		hasID := false
		for first := true; ; first = false {
			key, ok, err := s.objectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				if !hasID {
					return errors.New("no id")
				}
				gt.Categories = append(gt.Categories, c)
				return nil
			}
			var b []byte
			switch string(key) {
			case "id":
				c.ID, err = s.integer()
				hasID = true
			case "name":
				b, err = s.str()
				c.Name = string(b)
			case "supercategory":
				b, err = s.str()
				c.Supercategory = string(b)
			default:
				err = s.skipValue()
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return withPos(name, s.data, err, fmt.Sprintf("categories[%d]", len(gt.Categories)))
	}
	return nil
}

func parseAnnotations(s *scanner, gt *GroundTruth, name string) error {
	var nums []float64
	// Size the slice once: only annotations have "image_id" keys.
	if gt.Annotations == nil {
		gt.Annotations = make([]Annotation, 0, bytes.Count(s.data[s.pos:], []byte(`"image_id"`)))
	}
	var a Annotation
	err := eachObject(s, func(i int) error {
		a = Annotation{}
		var has struct{ id, img, cat, bbox, area bool }
		for first := true; ; first = false {
			key, ok, err := s.objectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch string(key) {
			case "id":
				a.ID, err = s.integer()
				has.id = true
			case "image_id":
				a.ImageID, err = s.integer()
				has.img = true
			case "category_id":
				a.CategoryID, err = s.integer()
				has.cat = true
			case "bbox":
				nums, err = s.numbers(nums[:0])
				if err == nil {
					a.BBox, err = checkBox(nums)
				}
				has.bbox = true
			case "area":
				a.Area, err = s.number()
				has.area = true
				if err == nil && a.Area < 0 {
					err = fmt.Errorf("area %v is negative", a.Area)
				}
			case "iscrowd":
				a.IsCrowd, err = s.boolish()
			case "segmentation":
				switch s.peek() {
				case '[', '{':
					p := s.pos
					if err = s.skipNested(); err == nil {
						a.segRaw = s.data[p:s.pos]
					}
				default:
					// null or junk: no mask (an error if segm needs one)
					err = s.skipValue()
				}
			default:
				err = s.skipValue()
			}
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		switch {
		case !has.id:
			return errors.New("no id")
		case !has.img:
			return errors.New("no image_id")
		case !has.cat:
			return errors.New("no category_id")
		case !has.bbox:
			return errors.New("no bbox")
		case !has.area:
			return errors.New("no area")
		}
		gt.Annotations = append(gt.Annotations, a)
		return nil
	})
	if err != nil {
		// Records are appended when complete: the failing one is next.
		idx := len(gt.Annotations)
		where := fmt.Sprintf("annotations[%d]", idx)
		if a.ID != 0 {
			where = fmt.Sprintf("annotations[%d] (id %d)", idx, a.ID)
		}
		return withPos(name, s.data, unwrapSyntax(err), where)
	}
	return nil
}

// unwrapSyntax keeps a syntax error's offset reachable through wrapping.
func unwrapSyntax(err error) error {
	var se *syntaxError
	if errors.As(err, &se) {
		return &syntaxError{off: se.off, msg: err.Error()}
	}
	return err
}

// checkBox validates an [x, y, w, h] box: four finite numbers, w and h not
// negative, and w*h, x+w, y+h finite (IoU arithmetic stays finite).
func checkBox(v []float64) ([4]float64, error) {
	if len(v) != 4 {
		return [4]float64{}, fmt.Errorf("want [x, y, w, h], got %d numbers", len(v))
	}
	b := [4]float64(v)
	if b[2] < 0 || b[3] < 0 {
		return b, fmt.Errorf("negative size %v x %v", b[2], b[3])
	}
	for _, x := range []float64{b[0], b[1], b[2], b[3], b[0] + b[2], b[1] + b[3], b[2] * b[3]} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("%v is not finite", b)
		}
	}
	return b, nil
}

// NewGroundTruth builds an indexed ground truth from in-memory records
// (segmentations, if any, set on the annotations).
func NewGroundTruth(images []Image, categories []Category, annotations []Annotation) (*GroundTruth, error) {
	gt := &GroundTruth{Images: images, Categories: categories, Annotations: annotations, Name: "ground truth"}
	for i, a := range annotations {
		if _, err := checkBox(a.BBox[:]); err != nil {
			return nil, fmt.Errorf("annotation %d (id %d): bbox: %w", i, a.ID, err)
		}
		if math.IsNaN(a.Area) || a.Area < 0 || math.IsInf(a.Area, 0) {
			return nil, fmt.Errorf("annotation %d (id %d): area %v: want a finite value >= 0", i, a.ID, a.Area)
		}
	}
	if err := gt.index(); err != nil {
		return nil, err
	}
	return gt, nil
}

// index builds the id maps and checks references.
func (gt *GroundTruth) index() error {
	ids := make([]int, len(gt.Images))
	for i, im := range gt.Images {
		ids[i] = im.ID
	}
	var dup int
	var bad bool
	if gt.imgIndex, dup, bad = newIDIndex(ids); bad {
		return fmt.Errorf("duplicate image id %d", dup)
	}
	gt.imgRank = ranks(ids)
	gt.imgByRank = make([]int32, len(ids))
	for i, r := range gt.imgRank {
		gt.imgByRank[r] = int32(i)
	}
	ids = ids[:0]
	for _, c := range gt.Categories {
		ids = append(ids, c.ID)
	}
	if gt.catIndex, dup, bad = newIDIndex(ids); bad {
		return fmt.Errorf("duplicate category id %d", dup)
	}
	gt.catRank = ranks(ids)
	gt.catByRank = make([]int32, len(ids))
	for i, r := range gt.catRank {
		gt.catByRank[r] = int32(i)
	}
	annIDs := make([]int, len(gt.Annotations))
	gt.numCrowd = 0
	for i, a := range gt.Annotations {
		annIDs[i] = a.ID
		if _, ok := gt.imgIndex.get(a.ImageID); !ok {
			return fmt.Errorf("annotation %d (id %d): image_id %d is not in the images list", i, a.ID, a.ImageID)
		}
		if _, ok := gt.catIndex.get(a.CategoryID); !ok {
			return fmt.Errorf("annotation %d (id %d): category_id %d is not in the categories list", i, a.ID, a.CategoryID)
		}
		if a.IsCrowd {
			gt.numCrowd++
		}
	}
	if _, dup, bad = newIDIndex(annIDs); bad {
		return fmt.Errorf("duplicate annotation id %d", dup)
	}
	return nil
}

// ranks returns each id's position in ascending order.
func ranks(ids []int) []int32 {
	order := make([]int32, len(ids))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(ids[a], ids[b]) })
	r := make([]int32, len(ids))
	for pos, i := range order {
		r[i] = int32(pos)
	}
	return r
}

// CategoryIDs returns the category ids in ascending order (pycocotools'
// params.catIds).
func (gt *GroundTruth) CategoryIDs() []int {
	out := make([]int, len(gt.catByRank))
	for r, i := range gt.catByRank {
		out[r] = gt.Categories[i].ID
	}
	return out
}

// Category returns the category with the given id.
func (gt *GroundTruth) Category(id int) (Category, bool) {
	i, ok := gt.catIndex.get(id)
	if !ok {
		return Category{}, false
	}
	return gt.Categories[i], true
}
