package coco

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// BBox is a COCO box [x, y, width, height] in pixels, origin at the top-left
// corner of the image (x, y = left, top edge; not pixel centres).
type BBox [4]float64

// UnmarshalJSON accepts exactly four finite numbers; encoding/json alone
// would silently pad or truncate an array of the wrong length.
func (b *BBox) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return fmt.Errorf("bbox: null, want [x, y, w, h]")
	}
	var v []float64
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("bbox: %w", err)
	}
	if len(v) != 4 {
		return fmt.Errorf("bbox: want 4 numbers [x, y, w, h], got %d", len(v))
	}
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("bbox: non-finite value %v", x)
		}
	}
	copy(b[:], v)
	return nil
}

// X1 returns the right edge x + w.
func (b BBox) X1() float64 { return b[0] + b[2] }

// Y1 returns the bottom edge y + h.
func (b BBox) Y1() float64 { return b[1] + b[3] }

// Area returns w·h.
func (b BBox) Area() float64 { return b[2] * b[3] }
