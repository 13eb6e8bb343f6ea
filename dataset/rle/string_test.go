package rle

import (
	"errors"
	"testing"
)

func TestStringHandComputed(t *testing.T) {
	tests := []struct {
		counts []uint32
		want   string
	}{
		// Small counts are one character each: value + '0'.
		{[]uint32{3, 2, 1}, "321"},
		// 16 needs a second group: 16&31=16 has the sign bit, so more
		// follows: (16|32)+48='`', then 0+48='0'.
		{[]uint32{16}, "`0"},
		// From the fourth count on, the difference to counts[i-2] is
		// stored: 4-2=2 -> '2', 1-3=-2 -> 30 (-2&31) + 48 = 'N'.
		{[]uint32{1, 2, 3, 4, 1}, "1232N"},
	}
	for _, tc := range tests {
		r := RLE{Height: 1, Width: 0, Counts: tc.counts}
		if got := r.String(); got != tc.want {
			t.Errorf("String(%v) = %q, want %q", tc.counts, got, tc.want)
		}
		got, err := decodeCounts(tc.want)
		if err != nil {
			t.Fatalf("decode %q: %v", tc.want, err)
		}
		if !(RLE{Counts: got}).Equal(RLE{Counts: tc.counts}) {
			t.Errorf("decode %q = %v, want %v", tc.want, got, tc.counts)
		}
	}
}

func TestFromStringErrors(t *testing.T) {
	tests := []struct {
		name string
		s    string
		h, w int
	}{
		{"byte below '0'", "12/", 1, 3},
		{"byte above 'o'", "1p", 1, 1},
		{"unterminated value", "1`", 1, 1},
		{"value too long", "ooooooo0", 1, 1},
		{"negative count", "5O", 1, 5},
		{"negative after delta", "111" + "C", 1, 3},
		{"sum too small", "12", 2, 2},
		{"sum too large", "123", 1, 2},
		{"empty for a non-empty image", "", 2, 2},
		{"negative size", "0", -1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromString(tc.s, tc.h, tc.w)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("FromString(%q, %d, %d) error = %v, want ErrInvalid", tc.s, tc.h, tc.w, err)
			}
		})
	}
	if r, err := FromString("", 0, 5); err != nil || len(r.Counts) != 0 {
		t.Errorf("empty string of an empty image: %v, %v", r, err)
	}
}

// FuzzFromString: decoding never panics, and a decoded mask re-encodes to a
// string that decodes to the same counts.
func FuzzFromString(f *testing.F) {
	for _, s := range []string{"", "0", "321", "`0", "1232N", "l[]11d;4M2N2O001N10000001O0O101N2NjWT4", "ooooooo0", "5O"} {
		f.Add(s, 4, 5)
	}
	f.Fuzz(func(t *testing.T, s string, h, w int) {
		r, err := FromString(s, h, w)
		if err != nil {
			return
		}
		back, err := FromString(r.String(), h, w)
		if err != nil || !back.Equal(r) {
			t.Fatalf("re-encoding %v: %v, %v", r.Counts, back.Counts, err)
		}
		if a := r.Area(); a < 0 || a > h*w {
			t.Fatalf("area %d outside 0..%d", a, h*w)
		}
	})
}
