package panoptic

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"rewardvision/internal/readlimit"
)

// MaxSegmentID is the largest id an RGB PNG can hold (R + 256·G + 256²·B).
const MaxSegmentID = 1<<24 - 1

// File is a COCO panoptic JSON file, ground truth or prediction. Fields other
// than annotations and categories ("images", "info", bbox, …) are ignored.
type File struct {
	Annotations []Annotation
	Categories  []Category
}

// ImageID is the canonical text of a JSON image_id: digits for an integer,
// a Go-quoted string for a string id, so 5 and "5" stay different (as in
// panopticapi's dict).
type ImageID string

// Annotation is the panoptic annotation of one image.
type Annotation struct {
	ImageID  ImageID
	FileName string
	Segments []Segment
}

// Segment is one entry of segments_info.
type Segment struct {
	ID         uint32
	CategoryID int
	IsCrowd    bool
	// Area is the JSON area. For ground truth panopticapi uses it in the IoU
	// union; Area <= 0 (absent) means "count the pixels". Predicted areas are
	// always recounted from the map.
	Area int
}

// LoadFile reads and parses a COCO panoptic JSON file.
func LoadFile(path string) (*File, error) {
	data, err := readlimit.ReadFile(path, readlimit.JSON(), "JSON")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return f, nil
}

// LoadPredictionFile is LoadFile for a prediction file read as pq_compute
// reads it: of several annotations for one image_id the last is kept (a
// dict keyed by image_id there). It returns the positions of the
// annotations dropped. Strict evaluation uses LoadFile, which refuses them.
func LoadPredictionFile(path string) (*File, []int, error) {
	data, err := readlimit.ReadFile(path, readlimit.JSON(), "JSON")
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	f, dropped, err := parseFile(data, false)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	return f, dropped, nil
}

type rawFile struct {
	Annotations *[]rawAnnotation `json:"annotations"`
	Categories  []rawCategory    `json:"categories"`
}

type rawAnnotation struct {
	ImageID      json.RawMessage `json:"image_id"`
	FileName     json.RawMessage `json:"file_name"`
	SegmentsInfo []rawSegment    `json:"segments_info"`
}

type rawSegment struct {
	ID         json.RawMessage `json:"id"`
	CategoryID json.RawMessage `json:"category_id"`
	IsCrowd    json.RawMessage `json:"iscrowd"`
	Area       json.RawMessage `json:"area"`
}

type rawCategory struct {
	ID      json.RawMessage `json:"id"`
	Name    json.RawMessage `json:"name"`
	IsThing json.RawMessage `json:"isthing"`
}

// ParseFile parses and validates a COCO panoptic JSON document: required
// fields present and typed, segment ids in 1..MaxSegmentID and unique per
// image, image ids and category ids unique, file names local paths.
func ParseFile(data []byte) (*File, error) {
	f, _, err := parseFile(data, true)
	return f, err
}

// parseFile is ParseFile; unless uniqueImages, an annotation for an image
// seen again later is dropped (its position returned) instead of refused.
func parseFile(data []byte, uniqueImages bool) (*File, []int, error) {
	var raw rawFile
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if raw.Annotations == nil {
		return nil, nil, fmt.Errorf("not a COCO panoptic file: no \"annotations\" list")
	}
	f := &File{Annotations: make([]Annotation, 0, len(*raw.Annotations))}
	seenImage := make(map[ImageID]int, len(*raw.Annotations))
	for i, ra := range *raw.Annotations {
		a, err := parseAnnotation(ra)
		if err != nil {
			return nil, nil, fmt.Errorf("annotations[%d]: %w", i, err)
		}
		if j, dup := seenImage[a.ImageID]; dup && uniqueImages {
			return nil, nil, fmt.Errorf("annotations[%d]: duplicate image_id %s (also annotations[%d])", i, a.ImageID, j)
		}
		seenImage[a.ImageID] = i
		f.Annotations = append(f.Annotations, a)
	}
	var dropped []int
	if !uniqueImages && len(seenImage) < len(f.Annotations) {
		kept := f.Annotations[:0]
		for i, a := range f.Annotations {
			if seenImage[a.ImageID] == i {
				kept = append(kept, a)
			} else {
				dropped = append(dropped, i)
			}
		}
		f.Annotations = kept
	}
	for i, rc := range raw.Categories {
		c, err := parseCategory(rc)
		if err != nil {
			return nil, nil, fmt.Errorf("categories[%d]: %w", i, err)
		}
		f.Categories = append(f.Categories, c)
	}
	if _, err := NewCategories(f.Categories); err != nil {
		return nil, nil, err
	}
	return f, dropped, nil
}

func parseAnnotation(ra rawAnnotation) (Annotation, error) {
	var a Annotation
	id, err := parseImageID(ra.ImageID)
	if err != nil {
		return a, err
	}
	a.ImageID = id
	if isNull(ra.FileName) {
		return a, fmt.Errorf("image_id %s: missing file_name", id)
	}
	if err := json.Unmarshal(ra.FileName, &a.FileName); err != nil {
		return a, fmt.Errorf("image_id %s: file_name: want a string, got %s", id, clip(ra.FileName))
	}
	if !filepath.IsLocal(a.FileName) {
		return a, fmt.Errorf("image_id %s: file_name %q is not a local relative path", id, a.FileName)
	}
	a.Segments = make([]Segment, 0, len(ra.SegmentsInfo))
	seen := make(map[uint32]int, len(ra.SegmentsInfo))
	for j, rs := range ra.SegmentsInfo {
		s, err := parseSegment(rs)
		if err != nil {
			return a, fmt.Errorf("image_id %s: segments_info[%d]: %w", id, j, err)
		}
		if k, dup := seen[s.ID]; dup {
			return a, fmt.Errorf("image_id %s: segments_info[%d]: duplicate segment id %d (also segments_info[%d])", id, j, s.ID, k)
		}
		seen[s.ID] = j
		a.Segments = append(a.Segments, s)
	}
	return a, nil
}

func parseSegment(rs rawSegment) (Segment, error) {
	var s Segment
	id, ok, err := parseInt(rs.ID)
	switch {
	case err != nil:
		return s, fmt.Errorf("id: %w", err)
	case !ok:
		return s, fmt.Errorf("missing id")
	case id < 1 || id > MaxSegmentID:
		return s, fmt.Errorf("id %d outside 1..%d (0 is void; a PNG holds 24 bits)", id, MaxSegmentID)
	}
	s.ID = uint32(id)
	cat, ok, err := parseInt(rs.CategoryID)
	switch {
	case err != nil:
		return s, fmt.Errorf("segment id %d: category_id: %w", id, err)
	case !ok:
		return s, fmt.Errorf("segment id %d: missing category_id", id)
	case cat < math.MinInt32 || cat > math.MaxInt32:
		return s, fmt.Errorf("segment id %d: category_id %d out of range", id, cat)
	}
	s.CategoryID = int(cat)
	s.IsCrowd, err = parseFlag(rs.IsCrowd)
	if err != nil {
		return s, fmt.Errorf("segment id %d: iscrowd: %w", id, err)
	}
	area, ok, err := parseInt(rs.Area)
	switch {
	case err != nil:
		return s, fmt.Errorf("segment id %d: area: %w", id, err)
	case ok && (area < 0 || area > math.MaxInt32):
		return s, fmt.Errorf("segment id %d: area %d out of range", id, area)
	}
	s.Area = int(area)
	return s, nil
}

func parseCategory(rc rawCategory) (Category, error) {
	var c Category
	id, ok, err := parseInt(rc.ID)
	switch {
	case err != nil:
		return c, fmt.Errorf("id: %w", err)
	case !ok:
		return c, fmt.Errorf("missing id")
	case id < math.MinInt32 || id > math.MaxInt32:
		return c, fmt.Errorf("id %d out of range", id)
	}
	c.ID = int(id)
	if !isNull(rc.Name) {
		if err := json.Unmarshal(rc.Name, &c.Name); err != nil {
			return c, fmt.Errorf("category %d: name: want a string, got %s", id, clip(rc.Name))
		}
	}
	if c.IsThing, err = parseFlag(rc.IsThing); err != nil {
		return c, fmt.Errorf("category %d: isthing: %w", id, err)
	}
	return c, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// parseImageID accepts an integer or a string, as COCO files use both.
func parseImageID(raw json.RawMessage) (ImageID, error) {
	if isNull(raw) {
		return "", fmt.Errorf("missing image_id")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("image_id: %w", err)
		}
		return ImageID(strconv.Quote(s)), nil
	}
	n, _, err := parseInt(raw)
	if err != nil {
		return "", fmt.Errorf("image_id: %w", err)
	}
	return ImageID(strconv.FormatInt(n, 10)), nil
}

// parseInt reads an integer JSON number; integral floats such as 12.0 (as
// numpy-written files have) are accepted. ok is false for null or absent.
func parseInt(raw json.RawMessage) (n int64, ok bool, err error) {
	if isNull(raw) {
		return 0, false, nil
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false, fmt.Errorf("want an integer, got %s", clip(raw))
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true, nil
	}
	x, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, false, fmt.Errorf("want an integer, got %s", clip(raw))
	}
	return int64(x), true, nil
}

// parseFlag reads a 0/1 (or boolean) flag; absent means false.
func parseFlag(raw json.RawMessage) (bool, error) {
	switch string(raw) {
	case "", "null", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("want 0 or 1, got %s", clip(raw))
}

// clip shortens a raw JSON value for an error message.
func clip(raw json.RawMessage) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}
