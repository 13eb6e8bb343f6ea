package captions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"

	"rewardvision/internal/readlimit"
)

// LoadRefs reads a COCO captions annotation file
// {"images": [{"id"}, ...], "annotations": [{"image_id", "caption"}, ...]}
// and returns the reference captions per image id, in file order.
func LoadRefs(path string) (map[int][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load refs: %w", err)
	}
	defer f.Close()
	return ReadRefs(f, path)
}

// LoadPreds reads a COCO captions results file [{"image_id", "caption"}, ...]
// and returns the predicted caption per image id.
func LoadPreds(path string) (map[int]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load preds: %w", err)
	}
	defer f.Close()
	return ReadPreds(f, path)
}

// rawCaption is one annotation or result record, fields kept raw so that a
// wrong type can be reported with the record it is in.
type rawCaption struct {
	ImageID json.RawMessage `json:"image_id"`
	Caption json.RawMessage `json:"caption"`
}

// RefsFile is a COCO captions annotation file as pycocoevalcap reads it.
type RefsFile struct {
	// Refs are the reference captions per image id, in file order.
	Refs map[int][]string
	// Order is the image ids of "images" in file order: the order
	// pycocoevalcap tokenizes the images in (see EvaluateOrdered).
	Order []int
	// Unlisted are the image ids (ascending) of annotations left out
	// because a non-empty "images" list lacks them (strict: an error).
	Unlisted []int
}

// LoadRefsFile reads a COCO captions annotation file. Unless strict, it
// reads it as pycocotools' COCO does: an annotation of an image missing from
// a non-empty "images" list is left out (listed in Unlisted) instead of
// refused; pycocoevalcap never scores those, and refuses a prediction for
// them, as Evaluate does.
func LoadRefsFile(path string, strict bool) (*RefsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load refs: %w", err)
	}
	defer f.Close()
	return readRefs(f, path, strict)
}

// ReadRefs is LoadRefs on a reader; name is used in error messages. When the
// file lists any "images", every annotation must refer to one of them. Images
// listed without any annotation are left out of the result (Evaluate then
// rejects a prediction for them).
func ReadRefs(r io.Reader, name string) (map[int][]string, error) {
	rf, err := readRefs(r, name, true)
	if err != nil {
		return nil, err
	}
	return rf.Refs, nil
}

// readRefs is LoadRefsFile on a reader.
func readRefs(r io.Reader, name string, strict bool) (*RefsFile, error) {
	refs, order, unlisted, err := parseRefs(r, name, strict)
	if err != nil {
		return nil, err
	}
	return &RefsFile{Refs: refs, Order: order, Unlisted: slices.Sorted(maps.Keys(unlisted))}, nil
}

func parseRefs(r io.Reader, name string, strict bool) (map[int][]string, []int, map[int]bool, error) {
	data, err := readlimit.ReadAll(r, readlimit.JSON(), "JSON")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if kind := jsonKind(data); kind != "object" {
		return nil, nil, nil, fmt.Errorf("%s: want a COCO captions annotation object {\"images\", \"annotations\"}, got %s", name, kind)
	}
	var file struct {
		Images      *[]json.RawMessage `json:"images"`
		Annotations *[]json.RawMessage `json:"annotations"`
	}
	if err := decodeStrict(data, &file); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if file.Annotations == nil {
		return nil, nil, nil, fmt.Errorf("%s: no \"annotations\" list (want a COCO captions annotation file)", name)
	}
	var known map[int]bool
	var order []int
	if file.Images != nil && len(*file.Images) > 0 {
		known = make(map[int]bool, len(*file.Images))
		for i, raw := range *file.Images {
			if kind := jsonKind(raw); kind != "object" {
				return nil, nil, nil, fmt.Errorf("%s: images[%d]: want an object with an \"id\", got %s", name, i, kind)
			}
			var img struct {
				ID json.RawMessage `json:"id"`
			}
			if err := json.Unmarshal(raw, &img); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: images[%d]: %w", name, i, err)
			}
			id, err := parseID(img.ID)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: images[%d]: id: %w", name, i, err)
			}
			if !known[id] {
				order = append(order, id)
			}
			known[id] = true
		}
	}
	refs := make(map[int][]string)
	var unlisted map[int]bool
	for i, raw := range *file.Annotations {
		id, caption, err := parseRecord(raw)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: annotations[%d]: %w", name, i, err)
		}
		if known != nil && !known[id] {
			if strict {
				return nil, nil, nil, fmt.Errorf("%s: annotations[%d]: image_id %d is not in \"images\"", name, i, id)
			}
			if unlisted == nil {
				unlisted = map[int]bool{}
			}
			unlisted[id] = true
			continue
		}
		refs[id] = append(refs[id], caption)
	}
	return refs, order, unlisted, nil
}

// ReadPreds is LoadPreds on a reader; name is used in error messages. Two
// predictions for one image are an error (pycocoevalcap asserts one).
func ReadPreds(r io.Reader, name string) (map[int]string, error) {
	data, err := readlimit.ReadAll(r, readlimit.JSON(), "JSON")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if kind := jsonKind(data); kind != "array" {
		return nil, fmt.Errorf("%s: want a COCO results array [{\"image_id\", \"caption\"}], got %s", name, kind)
	}
	var recs []json.RawMessage
	if err := decodeStrict(data, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	preds := make(map[int]string, len(recs))
	first := make(map[int]int, len(recs))
	for i, rec := range recs {
		id, caption, err := parseRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: [%d]: %w", name, i, err)
		}
		if j, dup := first[id]; dup {
			return nil, fmt.Errorf("%s: [%d]: second prediction for image %d (the first is [%d]); want one per image", name, i, id, j)
		}
		first[id] = i
		preds[id] = caption
	}
	return preds, nil
}

// parseRecord validates one {"image_id", "caption"} record.
func parseRecord(raw json.RawMessage) (int, string, error) {
	if kind := jsonKind(raw); kind != "object" {
		return 0, "", fmt.Errorf("want an object {\"image_id\", \"caption\"}, got %s", kind)
	}
	var rec rawCaption
	if err := json.Unmarshal(raw, &rec); err != nil {
		return 0, "", err
	}
	id, err := parseID(rec.ImageID)
	if err != nil {
		return 0, "", fmt.Errorf("image_id: %w", err)
	}
	if kind := jsonKind(rec.Caption); kind != "string" {
		return 0, "", fmt.Errorf("image %d: caption: want a string, got %s", id, kind)
	}
	var caption string
	if err := json.Unmarshal(rec.Caption, &caption); err != nil {
		return 0, "", fmt.Errorf("image %d: caption: %w", id, err)
	}
	return id, caption, nil
}

// parseID accepts a JSON number with an integral value that fits an int
// (COCO ids are integers; 7.0 is accepted as Python would, 7.5 is not).
func parseID(raw json.RawMessage) (int, error) {
	if kind := jsonKind(raw); kind != "number" {
		return 0, fmt.Errorf("want an integer, got %s", kind)
	}
	s := string(bytes.TrimSpace(raw))
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id >= math.MinInt && id <= math.MaxInt {
		return int(id), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// 2^53 bounds the floats that still name one integer exactly.
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("want an integer, got %s", s)
	}
	return int(f), nil
}

// jsonKind names the type of a JSON value for error messages: "missing" when
// absent, else null, object, array, string, number, true/false as "boolean",
// or "invalid JSON".
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "missing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 'n':
		return "null"
	case c == 't' || c == 'f':
		return "boolean"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	}
	return "invalid JSON"
}

// decodeStrict unmarshals one JSON value and rejects trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return fmt.Errorf("%q: want a list, got %s", ute.Field, ute.Value)
		}
		return fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("bad JSON: trailing data after the top-level value")
	}
	return nil
}
