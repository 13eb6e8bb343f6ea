package coco

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"rewardvision/internal/atomicfile"
)

// Detection is one entry of a detection results file. BBox is nil for
// segmentation-only results: pycocotools treats the two cases differently
// (with a bbox, a result's area is w·h even in segm mode), so its presence
// is kept.
type Detection struct {
	ImageID      int64         `json:"image_id"`
	CategoryID   int64         `json:"category_id"`
	BBox         *BBox         `json:"bbox,omitempty"`
	Score        float64       `json:"score"`
	Segmentation *Segmentation `json:"segmentation,omitempty"`
}

// CaptionResult is one entry of a caption results file.
type CaptionResult struct {
	ImageID int64  `json:"image_id"`
	Caption string `json:"caption"`
}

// ReadDetections decodes a results list (a top-level JSON list).
func ReadDetections(r io.Reader) ([]Detection, error) {
	return readResults[Detection](r)
}

// LoadDetections reads a detection results file (plain or gzipped).
func LoadDetections(path string) ([]Detection, error) {
	var out []Detection
	err := loadFile(path, func(r io.Reader) (err error) {
		out, err = ReadDetections(r)
		return err
	})
	return out, err
}

// WriteDetections writes a results list, one detection per line.
func WriteDetections(w io.Writer, dets []Detection) error { return writeResults(w, dets) }

// SaveDetections writes a results list to path atomically.
func SaveDetections(path string, dets []Detection) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteDetections(w, dets) })
}

// ReadCaptionResults decodes a caption results list.
func ReadCaptionResults(r io.Reader) ([]CaptionResult, error) {
	return readResults[CaptionResult](r)
}

// LoadCaptionResults reads a caption results file (plain or gzipped).
func LoadCaptionResults(path string) ([]CaptionResult, error) {
	var out []CaptionResult
	err := loadFile(path, func(r io.Reader) (err error) {
		out, err = ReadCaptionResults(r)
		return err
	})
	return out, err
}

// WriteCaptionResults writes a caption results list.
func WriteCaptionResults(w io.Writer, res []CaptionResult) error { return writeResults(w, res) }

// SaveCaptionResults writes a caption results list to path atomically.
func SaveCaptionResults(path string, res []CaptionResult) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteCaptionResults(w, res) })
}

func readResults[T any](r io.Reader) ([]T, error) {
	dec := json.NewDecoder(r)
	out := []T{}
	if err := decodeList(dec, &out); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("results: trailing data after the list at byte %d", dec.InputOffset())
	}
	return out, nil
}

func writeResults[T any](w io.Writer, items []T) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteByte('[')
	for i := range items {
		b, err := marshal(items[i])
		if err != nil {
			return fmt.Errorf("results[%d]: %w", i, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(b)
	}
	if len(items) > 0 {
		bw.WriteByte('\n')
	}
	bw.WriteString("]\n")
	return bw.Flush()
}
