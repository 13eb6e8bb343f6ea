package rle

import (
	"errors"
	"fmt"
	"math"
)

// RLE is a run-length encoded binary mask of Height×Width pixels in
// column-major order (see the package comment).
type RLE struct {
	Height, Width int
	Counts        []uint32
}

// MaxPixels is the largest Height*Width an RLE may have: counts are uint32,
// as in the C API.
const MaxPixels = math.MaxUint32

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("invalid RLE")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// checkSize validates an image size.
func checkSize(h, w int) error {
	if h < 0 || w < 0 {
		return invalidf("negative size %dx%d", h, w)
	}
	if h != 0 && w > MaxPixels/h {
		return invalidf("size %dx%d exceeds %d pixels", h, w, uint64(MaxPixels))
	}
	return nil
}

// New returns the RLE with the given uncompressed counts (as in COCO's
// {"size": [h, w], "counts": [...]}) after checking that they cover h*w
// pixels. counts is used, not copied.
func New(h, w int, counts []uint32) (RLE, error) {
	r := RLE{Height: h, Width: w, Counts: counts}
	return r, r.Validate()
}

// Validate reports whether the size is sane and the counts add up to
// Height*Width. An RLE with no counts is accepted only for an empty image.
func (r RLE) Validate() error {
	if err := checkSize(r.Height, r.Width); err != nil {
		return err
	}
	var sum uint64
	for _, c := range r.Counts {
		sum += uint64(c)
	}
	if want := uint64(r.Height) * uint64(r.Width); sum != want {
		return invalidf("counts add up to %d pixels, want %dx%d = %d", sum, r.Height, r.Width, want)
	}
	return nil
}

// Area is the number of foreground pixels (pycocotools' area).
func (r RLE) Area() int {
	var a uint64
	for j := 1; j < len(r.Counts); j += 2 {
		a += uint64(r.Counts[j])
	}
	return int(a)
}

// ToBBox returns the tight box [x, y, w, h] around the foreground, as
// pycocotools' toBbox computes it (an empty mask gives [0 0 0 0]). The
// arithmetic is the C code's 32-bit unsigned one, so odd counts (interior
// zero runs) give the same box as there.
func (r RLE) ToBBox() [4]float64 {
	m := len(r.Counts) / 2 * 2
	if m == 0 || r.Height <= 0 || r.Width <= 0 {
		return [4]float64{}
	}
	h, w := uint32(r.Height), uint32(r.Width)
	xs, ys, xe, ye := w, h, uint32(0), uint32(0)
	var cc, xp uint32
	for j := 0; j < m; j++ {
		cc += r.Counts[j]
		// The last pixel of a foreground run is cc-1; a background run's
		// end cc is the first pixel of the next foreground run.
		t := cc - uint32(j%2)
		y := t % h
		x := (t - y) / h
		if j%2 == 0 {
			xp = x
		} else if xp < x {
			// A run that wraps to a later column touches every row.
			ys, ye = 0, h-1
		}
		xs, xe = min(xs, x), max(xe, x)
		ys, ye = min(ys, y), max(ye, y)
	}
	return [4]float64{float64(xs), float64(ys), float64(xe - xs + 1), float64(ye - ys + 1)}
}

// FromMask encodes a row-major mask of h*w bytes (non-zero = foreground),
// as pycocotools' encode does for an (h, w) array.
func FromMask(mask []byte, h, w int) (RLE, error) {
	if err := checkSize(h, w); err != nil {
		return RLE{}, err
	}
	if len(mask) != h*w {
		return RLE{}, invalidf("mask has %d bytes, want %dx%d = %d", len(mask), h, w, h*w)
	}
	var counts []uint32
	var run uint32
	prev := false
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			on := mask[y*w+x] != 0
			if on != prev {
				counts = append(counts, run)
				run, prev = 0, on
			}
			run++
		}
	}
	counts = append(counts, run)
	return RLE{Height: h, Width: w, Counts: counts}, nil
}

// Mask decodes r into a row-major mask of Height*Width bytes (1 = foreground).
// r must be valid (see Validate).
func (r RLE) Mask() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	h := r.Height
	out := make([]byte, r.Height*r.Width)
	p := 0 // column-major pixel index
	for j, c := range r.Counts {
		if j%2 == 1 {
			for k := p; k < p+int(c); k++ {
				out[(k%h)*r.Width+k/h] = 1
			}
		}
		p += int(c)
	}
	return out, nil
}

// Equal reports whether a and b have the same size and counts.
func (r RLE) Equal(o RLE) bool {
	if r.Height != o.Height || r.Width != o.Width || len(r.Counts) != len(o.Counts) {
		return false
	}
	for i, c := range r.Counts {
		if o.Counts[i] != c {
			return false
		}
	}
	return true
}
