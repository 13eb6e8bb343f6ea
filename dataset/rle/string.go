package rle

import (
	"math"
	"strings"
)

// The compressed COCO counts string stores each count as a little-endian
// sequence of 5-bit groups, one character per group (value + 48); bit 0x20
// marks "more groups follow" and bit 0x10 of the last group is the sign.
// From the fourth count on, the stored value is the difference to the count
// two places earlier (runs of the same kind tend to be alike).

// maxGroups bounds the characters of one value: 7 groups hold 35 bits,
// enough for any count or difference of counts of a uint32 mask.
const maxGroups = 7

// FromString decodes a compressed COCO counts string for an h×w image and
// validates the result. Errors name the byte offset of the bad value.
func FromString(s string, h, w int) (RLE, error) {
	counts, err := decodeCounts(s)
	if err != nil {
		return RLE{}, err
	}
	return New(h, w, counts)
}

// decodeCounts parses s without checking the pixel total.
func decodeCounts(s string) ([]uint32, error) {
	counts := make([]uint32, 0, len(s)/2+1)
	for p := 0; p < len(s); {
		start := p
		var x int64
		for k := 0; ; k++ {
			if p >= len(s) {
				return nil, invalidf("counts string ends inside the value at offset %d", start)
			}
			c := int64(s[p]) - 48
			if c < 0 || c > 63 {
				return nil, invalidf("counts string has byte %q at offset %d (want '0'..'o')", s[p], p)
			}
			if k == maxGroups {
				return nil, invalidf("counts string value at offset %d is longer than %d characters", start, maxGroups)
			}
			p++
			x |= (c & 0x1f) << (5 * k)
			if c&0x20 == 0 {
				if c&0x10 != 0 {
					x |= -1 << (5 * (k + 1)) // sign-extend
				}
				break
			}
		}
		if m := len(counts); m > 2 {
			x += int64(counts[m-2])
		}
		if x < 0 || x > math.MaxUint32 {
			return nil, invalidf("counts string value at offset %d decodes to count %d", start, x)
		}
		counts = append(counts, uint32(x))
	}
	return counts, nil
}

// String returns the compressed COCO counts string of r (pycocotools'
// rle["counts"] after encode, as text).
func (r RLE) String() string {
	var b strings.Builder
	b.Grow(len(r.Counts) * 2)
	for i, c := range r.Counts {
		x := int64(c)
		if i > 2 {
			x -= int64(r.Counts[i-2])
		}
		for {
			g := byte(x & 0x1f)
			x >>= 5 // arithmetic shift keeps the sign
			var more bool
			if g&0x10 != 0 {
				more = x != -1
			} else {
				more = x != 0
			}
			if more {
				g |= 0x20
			}
			b.WriteByte(g + 48)
			if !more {
				break
			}
		}
	}
	return b.String()
}
