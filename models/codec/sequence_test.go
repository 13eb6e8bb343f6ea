package codec

import (
	"slices"
	"testing"
)

func TestTeacherForcing(t *testing.T) {
	in, tg, w, err := TeacherForcing([]int32{7, 8, EOS}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{BOS, 7, 8, PAD, PAD}; !slices.Equal(in, want) {
		t.Errorf("input %v, want %v", in, want)
	}
	if want := []int32{7, 8, EOS, PAD, PAD}; !slices.Equal(tg, want) {
		t.Errorf("target %v, want %v", tg, want)
	}
	if want := []float32{1, 1, 1, 0, 0}; !slices.Equal(w, want) {
		t.Errorf("weight %v, want %v", w, want)
	}
	for _, bad := range [][]int32{nil, {1, 2, 3, 4, 5, EOS}} {
		if _, _, _, err := TeacherForcing(bad, 5); err == nil {
			t.Errorf("TeacherForcing(%v, 5) accepted", bad)
		}
	}
}

func TestUpToEOS(t *testing.T) {
	tests := []struct{ in, want []int32 }{
		{in: []int32{5, EOS, 6, EOS}, want: []int32{5, EOS}},
		{in: []int32{5, 6}, want: []int32{5, 6}},
		{in: nil, want: nil},
	}
	for _, tc := range tests {
		if got := UpToEOS(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("UpToEOS(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
