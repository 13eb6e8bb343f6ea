package runner_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"rewardvision/dataset/loader"
	"rewardvision/models/runner"
)

// The shipped panoptic entry; the test asserts none of its values.
const panopticEntry = "../../assets/models/panoptic-mle/1"

// TestDecodeLabels: the code decoder's inputs are checked (each a bad
// input naming what is wrong), and a map upsampled to the source keeps
// one label per source pixel, its segments covering the image.
func TestDecodeLabels(t *testing.T) {
	r := openRunner(t, panopticEntry)
	p := r.Panoptic()
	if p == nil || r.Chroma() != nil {
		t.Fatal("the panoptic entry has no panoptic code")
	}
	n := p.Grid() * p.Grid()
	good := make([]int32, n)
	pix := make([]uint8, p.Size*p.Size*3)
	for _, tc := range []struct {
		name  string
		codes [][]int32
		rgb   [][]uint8
		want  string
	}{
		{"short grid", [][]int32{good[:n-1]}, [][]uint8{pix}, "image 0 has 63 codes, want 64"},
		{"code out of range", [][]int32{append(slices.Clone(good[:n-1]), int32(p.K()))}, [][]uint8{pix}, "image 0: code 512 at position 63, want 0..511"},
		{"negative code", [][]int32{good, append([]int32{-1}, good[1:]...)}, [][]uint8{pix, pix}, "image 1: code -1 at position 0"},
		{"images and grids", [][]int32{good}, nil, "0 images for 1 code grids"},
		{"short image", [][]int32{good}, [][]uint8{pix[:10]}, "image 0 has 10 bytes, want 64²·3"},
	} {
		_, err := r.DecodeLabels(tc.codes, tc.rgb)
		if !errors.Is(err, runner.ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a bad input containing %q", tc.name, err, tc.want)
		}
	}
	labels, err := r.DecodeLabels([][]int32{good, good}, [][]uint8{pix, pix})
	if err != nil || len(labels) != 2 || len(labels[0]) != p.Size*p.Size {
		t.Fatalf("DecodeLabels: %d maps, %v", len(labels), err)
	}
	// A 100×50 source letterboxed into 64²: content 64×32, upsampled back.
	m, err := r.PanopticMap(labels[0], loader.NewLetterbox(100, 50, p.Size))
	if err != nil {
		t.Fatal(err)
	}
	area := 0
	for _, s := range m.Segments {
		area += s.Area
	}
	if m.Width != 100 || m.Height != 50 || len(m.IDs) != 100*50 || area != 100*50 {
		t.Errorf("map %dx%d, %d ids, segments cover %d pixels", m.Width, m.Height, len(m.IDs), area)
	}
	if _, err := r.DecodeCodes([][]int32{good}); err == nil {
		t.Error("DecodeCodes on a panoptic model: no error")
	}
}
