package codec

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testPanoptic is a small code: stuff categories 11 and 12 (labels 0 and
// 1), thing categories 1 and 2 with 2 ranks (category 1: labels 2 and 3,
// category 2: labels 4 and 5).
func testPanoptic(size, patch int, codes ...[]int) *Panoptic {
	return &Panoptic{Size: size, Patch: patch, Ranks: 2, Stuff: []int{11, 12}, Things: []int{1, 2}, Codes: codes}
}

// labelRows is a label map drawn one string a row: '.' is NoLabel, a
// digit its label, 'a' 10, 'b' 11.
func labelRows(rows ...string) []int16 {
	var out []int16
	for _, r := range rows {
		for _, c := range r {
			switch {
			case c == '.':
				out = append(out, NoLabel)
			case c >= '0' && c <= '9':
				out = append(out, int16(c-'0'))
			default:
				out = append(out, int16(c-'a'+10))
			}
		}
	}
	return out
}

// idRows is a panoptic id map, one slice a row.
func idRows(rows ...[]uint32) []uint32 { return slices.Concat(rows...) }

func TestPanopticLayout(t *testing.T) {
	for _, tc := range []struct {
		p                              *Panoptic
		grid, k, labels, vocab, seqLen int
	}{
		{&Panoptic{Size: 64, Patch: 8, Ranks: 4, Stuff: []int{11, 12, 13, 14, 15, 16}, Things: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			Codes: make([][]int, 512)}, 8, 512, 46, 515, 65},
		{testPanoptic(8, 4, []int{0}, []int{1}, []int{0, 1}), 2, 3, 6, 6, 5},
		{&Panoptic{Size: 6, Patch: 6, Ranks: 3, Things: []int{4}, Codes: [][]int{{2}}}, 1, 1, 3, 4, 2},
	} {
		p := tc.p
		if p.Grid() != tc.grid || p.K() != tc.k || p.Labels() != tc.labels || p.VocabSize() != tc.vocab || p.SeqLen() != tc.seqLen {
			t.Errorf("size %d patch %d: grid %d k %d labels %d vocab %d seq %d, want %d %d %d %d %d", p.Size, p.Patch,
				p.Grid(), p.K(), p.Labels(), p.VocabSize(), p.SeqLen(), tc.grid, tc.k, tc.labels, tc.vocab, tc.seqLen)
		}
	}
}

// TestPanopticLabelMap: stuff class s is label s; thing instances are
// ranked by their first pixel in a row-major scan (whatever their ids or
// the order of segments_info), label 2 + class·2 + rank; void and crowd
// pixels have no label.
func TestPanopticLabelMap(t *testing.T) {
	p := testPanoptic(4, 2, []int{0})
	// Thing 9 (category 2) starts at (2, 0), thing 5 (category 1) at
	// (1, 1): 9 is first in raster order though 5 is first in column
	// order and has the lower id. 8 is a crowd; 10 is listed but not in
	// the map, so two instances fill the two ranks exactly.
	ids := idRows(
		[]uint32{7, 7, 9, 9},
		[]uint32{7, 5, 5, 9},
		[]uint32{3, 3, 0, 8},
		[]uint32{3, 3, 8, 8})
	segs := []Segment{{9, 2, false}, {5, 1, false}, {7, 11, false}, {3, 12, false}, {8, 1, true}, {10, 2, false}}
	want := labelRows("0044", "0334", "11..", "11..")
	reversed := slices.Clone(segs)
	slices.Reverse(reversed)
	// The same map with ids 5 and 9 swapped.
	swapped := slices.Clone(ids)
	for i, id := range swapped {
		switch id {
		case 5:
			swapped[i] = 9
		case 9:
			swapped[i] = 5
		}
	}
	for _, tc := range []struct {
		name string
		ids  []uint32
		segs []Segment
		want []int16
	}{
		{"by hand", ids, segs, want},
		{"segments reversed", ids, reversed, want},
		{"ids swapped", swapped, []Segment{{5, 2, false}, {9, 1, false}, {7, 11, false}, {3, 12, false}, {8, 1, true}}, want},
		// Two instances of category 1: 6 (first pixel (3, 0)) before 4
		// (first pixel (1, 1)), though 4 is lower and left of it.
		{"one class twice", idRows(
			[]uint32{1, 1, 1, 6},
			[]uint32{1, 4, 1, 6},
			[]uint32{1, 1, 1, 6},
			[]uint32{2, 2, 2, 2}),
			[]Segment{{4, 1, false}, {6, 1, false}, {1, 11, false}, {2, 12, false}},
			labelRows("0002", "0302", "0002", "1111")},
		{"crowd stuff after its segment", idRows(
			[]uint32{1, 1, 9, 9},
			[]uint32{1, 1, 9, 9},
			[]uint32{1, 1, 1, 1},
			[]uint32{0, 0, 0, 0}),
			[]Segment{{1, 12, false}, {9, 12, true}},
			labelRows("11..", "11..", "1111", "....")},
		{"crowd stuff before its segment", idRows(
			[]uint32{1, 1, 9, 9},
			[]uint32{1, 1, 9, 9},
			[]uint32{1, 1, 1, 1},
			[]uint32{0, 0, 0, 0}),
			[]Segment{{9, 12, true}, {1, 12, false}},
			labelRows("11..", "11..", "1111", "....")},
		{"all void", make([]uint32, 16), nil, labelRows("....", "....", "....", "....")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.LabelMap(tc.ids, tc.segs)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("LabelMap = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestPanopticLabelMapErrors(t *testing.T) {
	p := testPanoptic(4, 2, []int{0})
	ids := idRows(
		[]uint32{7, 7, 9, 9},
		[]uint32{7, 5, 5, 9},
		[]uint32{3, 3, 0, 8},
		[]uint32{3, 3, 8, 8})
	segs := []Segment{{9, 2, false}, {5, 1, false}, {7, 11, false}, {3, 12, false}, {8, 1, true}}
	with := func(extra ...Segment) []Segment { return append(slices.Clone(segs), extra...) }
	for _, tc := range []struct {
		name string
		ids  []uint32
		segs []Segment
		want string
	}{
		{"id not listed", ids, slices.Delete(slices.Clone(segs), 3, 4), "segment id 3: in the map at (0, 2) but not in segments_info"},
		{"unknown category", ids, with(Segment{10, 99, false}), "segment id 10: unknown category_id 99"},
		{"unknown category of a crowd", ids, with(Segment{10, 13, true}), "segment id 10: unknown category_id 13"},
		{"id listed twice", ids, with(Segment{7, 12, false}), "segment id 7: listed twice"},
		{"stuff in two segments", ids, with(Segment{4, 11, false}), "segment id 4: stuff category 11 is also segment 7"},
		{"stuff in two segments, a crowd between", ids, with(Segment{14, 11, true}, Segment{4, 11, false}), "segment id 4: stuff category 11 is also segment 7"},
		{"more instances than ranks", ids, []Segment{{9, 2, false}, {5, 1, false}, {7, 11, false}, {3, 12, false}, {8, 1, false}},
			"segment id 8: thing instance 3, the code holds 2"},
		{"short map", ids[:15], segs, "panoptic map: 15 ids, want 4²"},
		{"long map", append(slices.Clone(ids), 7), segs, "panoptic map: 17 ids, want 4²"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.LabelMap(tc.ids, tc.segs)
			if err == nil || got != nil || err.Error() != tc.want {
				t.Errorf("LabelMap = %v, %v; want the error %q", got, err, tc.want)
			}
		})
	}
}

func TestPanopticPatchSets(t *testing.T) {
	p := testPanoptic(4, 2, []int{0})
	sets, counts := p.PatchSets(labelRows("0055", "0045", "2201", "2..."))
	wantSets := [][]int{{0}, {4, 5}, {2}, {0, 1}}
	wantCounts := [][]int{{4}, {1, 3}, {3}, {1, 1}}
	if !reflect.DeepEqual(sets, wantSets) || !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("PatchSets = %v, %v; want %v, %v", sets, counts, wantSets, wantCounts)
	}
	sets, counts = p.PatchSets(labelRows("....", "....", "....", "...."))
	if len(sets) != 4 || len(counts) != 4 || slices.ContainsFunc(sets, func(s []int) bool { return len(s) > 0 }) {
		t.Errorf("PatchSets of a void map = %v, %v; want 4 empty sets", sets, counts)
	}
}

// TestPanopticBuildCodes: the sets by frequency, ties to the smaller set
// and then the lower key, a string: "10" before "2".
func TestPanopticBuildCodes(t *testing.T) {
	maps := [][]int16{
		labelRows("00aa", "00aa", "2201", "22.."), // {0} {10} {2} {0,1}
		labelRows("0001", "0001", "00..", "00.."), // {0} {0,1} {0} void
		labelRows("0033", "0033", "12..", "12.."), // {0} {3} {1,2} void
	}
	all := [][]int{{0}, {0, 1}, {10}, {2}, {3}, {1, 2}} // {0} 4 times, {0,1} twice, the others once
	for _, tc := range []struct {
		k        int
		want     [][]int
		coverage float64
	}{
		{1, all[:1], 4.0 / 10},
		{2, all[:2], 6.0 / 10},
		{3, all[:3], 7.0 / 10},
		{4, all[:4], 8.0 / 10},
		{6, all, 1},
		{100, all, 1},
	} {
		p := &Panoptic{Size: 4, Patch: 2, Ranks: 5, Stuff: []int{11, 12}, Things: []int{1, 2}, Codes: [][]int{{5}, {6}, {7}}}
		cov := p.BuildCodes(maps, tc.k)
		if !reflect.DeepEqual(p.Codes, tc.want) || cov != tc.coverage {
			t.Errorf("k %d: codes %v, coverage %g; want %v, %g", tc.k, p.Codes, cov, tc.want, tc.coverage)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("k %d: %v", tc.k, err)
		}
	}
	// A copy of a code builds its own list, leaving the original's.
	orig := &Panoptic{Size: 4, Patch: 2, Ranks: 5, Stuff: []int{11, 12}, Things: []int{1, 2}, Codes: [][]int{{1}, {2}, {3}}}
	cp := *orig
	cp.BuildCodes(maps, 2)
	if want := [][]int{{1}, {2}, {3}}; !reflect.DeepEqual(orig.Codes, want) || !reflect.DeepEqual(cp.Codes, all[:2]) {
		t.Errorf("BuildCodes on a copy: original's codes %v (want %v), the copy's %v", orig.Codes, want, cp.Codes)
	}
	p := testPanoptic(4, 2, []int{1})
	if cov := p.BuildCodes([][]int16{labelRows("....", "....", "....", "....")}, 4); cov != 0 || len(p.Codes) != 0 {
		t.Errorf("void maps: codes %v, coverage %g; want none, 0", p.Codes, cov)
	}
	if cov := p.BuildCodes(nil, 4); cov != 0 || len(p.Codes) != 0 {
		t.Errorf("no maps: codes %v, coverage %g; want none, 0", p.Codes, cov)
	}
}

func TestPanopticEncode(t *testing.T) {
	codes := [][]int{{0}, {0, 1}, {1, 2}, {0, 1, 2}, {3}, {2}}
	one := testPanoptic(2, 2, codes...)
	for _, tc := range []struct {
		name   string
		p      *Panoptic
		labels []int16
		want   []int32
	}{
		{"exact {0}", one, labelRows("00", "00"), []int32{0}},
		{"exact {0,1}", one, labelRows("01", "10"), []int32{1}},
		{"exact {0,1,2}, a void pixel", one, labelRows("01", "2."), []int32{3}},
		{"exact {2}, void pixels", one, labelRows("..", "22"), []int32{5}},
		// {0,3}: codes 0, 1 and 3 cover 3 pixels; code 0 has fewest labels.
		{"most pixels, fewest labels", one, labelRows("00", "03"), []int32{0}},
		// {0,1,3}: codes 1 and 3 cover 3 pixels, code 0 only 1.
		{"covering beats fewer labels", one, labelRows("01", "13"), []int32{1}},
		// {1,2,3}: codes 2 and 3 cover 3; code 2 has fewer labels.
		{"fewer labels among the covering", one, labelRows("12", "23"), []int32{2}},
		// {2,3}: codes 2 to 5 cover 2; 4 and 5 have one label.
		{"then the lower code", one, labelRows("22", "33"), []int32{4}},
		{"all void", one, labelRows("..", ".."), []int32{0}},
		{"all void, code 0 the largest", testPanoptic(2, 2, []int{0, 1}, []int{2}), labelRows("..", ".."), []int32{0}},
		// Four patches in raster order: {0} {1} {2} {3}; {1} is covered
		// by codes 1, 2 and 3, of which 1 and 2 have two labels.
		{"raster order", testPanoptic(4, 2, codes...), labelRows("0011", "0011", "22..", "2233"), []int32{0, 1, 5, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.NewEncoder().Encode(tc.labels)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Encode = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if got, err := one.NewEncoder().Encode(labelRows("00", "0")); err == nil || got != nil || err.Error() != "panoptic code: 3 labels, want 2²" {
		t.Errorf("Encode of 3 labels = %v, %v", got, err)
	}
}

type rgb = [3]uint8

func gray(v uint8) rgb { return rgb{v, v, v} }

// paintedImage is patchImage of p's patches, then single pixels (keyed
// x, y) repainted.
func paintedImage(p *Panoptic, patches []rgb, pixels map[[2]int]rgb) []uint8 {
	pix := patchImage(p.Size, p.Patch, patches)
	for xy, c := range pixels {
		copy(pix[3*(xy[1]*p.Size+xy[0]):], c[:])
	}
	return pix
}

// TestPanopticDecodeByHand: 8² images, 4-pixel patches, codes {0} {1}
// {0,1}.
func TestPanopticDecodeByHand(t *testing.T) {
	for _, tc := range []struct {
		name    string
		codes   []int32
		iters   int
		patches []rgb
		pixels  map[[2]int]rgb
		want    []int16
	}{
		// Means 0 and 100 from the patches they fill alone: 40 and the
		// tie 50 go to label 0, the 60s to label 1.
		{"iters 0", []int32{0, 1, 2, 2}, 0, []rgb{gray(0), gray(100), gray(60), gray(60)},
			map[[2]int]rgb{{0, 4}: gray(40), {1, 4}: gray(50)},
			labelRows("00001111", "00001111", "00001111", "00001111", "00111111", "11111111", "11111111", "11111111")},
		// One refit: label 0's mean is 90/18 = 5, label 1's 3400/46 =
		// 73.9, so 40 and 50 are nearer label 1.
		{"iters 1", []int32{0, 1, 2, 2}, 1, []rgb{gray(0), gray(100), gray(60), gray(60)},
			map[[2]int]rgb{{0, 4}: gray(40), {1, 4}: gray(50)},
			labelRows("00001111", "00001111", "00001111", "00001111", "11111111", "11111111", "11111111", "11111111")},
		{"iters 3", []int32{0, 1, 2, 2}, 3, []rgb{gray(0), gray(100), gray(60), gray(60)},
			map[[2]int]rgb{{0, 4}: gray(40), {1, 4}: gray(50)},
			labelRows("00001111", "00001111", "00001111", "00001111", "11111111", "11111111", "11111111", "11111111")},
		// Label 0 bright: the tie (50) still goes to the lower label.
		{"ties to the lower label", []int32{0, 1, 2, 2}, 0, []rgb{gray(100), gray(0), gray(50), gray(50)},
			map[[2]int]rgb{{0, 4}: gray(49), {7, 7}: gray(51)},
			labelRows("00001111", "00001111", "00001111", "00001111", "10000000", "00000000", "00000000", "00000000")},
		// The means are those of the patches each label fills alone (0
		// and 200), not of every patch it is in (1.9 and 68.5 with the
		// dark mixed patches, which would put 90 nearer label 1).
		{"means from the patches filled alone", []int32{0, 1, 2, 2}, 0, []rgb{gray(0), gray(200), gray(0), gray(0)},
			map[[2]int]rgb{{0, 4}: gray(90)},
			labelRows("00001111", "00001111", "00001111", "00001111", "00000000", "00000000", "00000000", "00000000")},
		// Label 1 fills no patch alone: its mean is that of the one
		// patch it is in (100).
		{"mean of a label never alone", []int32{0, 0, 0, 2}, 0, []rgb{gray(0), gray(0), gray(0), gray(0)},
			map[[2]int]rgb{{6, 4}: gray(200), {7, 4}: gray(200), {6, 5}: gray(200), {7, 5}: gray(200),
				{6, 6}: gray(200), {7, 6}: gray(200), {6, 7}: gray(200), {7, 7}: gray(200)},
			labelRows("00000000", "00000000", "00000000", "00000000", "00000011", "00000011", "00000011", "00000011")},
		// Colour, not brightness: red against blue, the mixed pixels
		// one step from the midway point.
		{"colour", []int32{0, 1, 2, 2}, 0, []rgb{{255, 0, 0}, {0, 0, 255}, {128, 0, 127}, {128, 0, 127}},
			map[[2]int]rgb{{7, 7}: {127, 0, 128}},
			labelRows("00001111", "00001111", "00001111", "00001111", "00000000", "00000000", "00000000", "00000001")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPanoptic(8, 4, []int{0}, []int{1}, []int{0, 1})
			p.Iters = tc.iters
			got, err := p.Decode(tc.codes, paintedImage(p, tc.patches, tc.pixels))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Decode = %v, %v;\nwant %v", got, err, tc.want)
			}
		})
	}
}

func TestPanopticDecodeErrors(t *testing.T) {
	p := testPanoptic(8, 4, []int{0}, []int{1}, []int{0, 1})
	pix := make([]uint8, 3*64)
	for _, tc := range []struct {
		name  string
		codes []int32
		pix   []uint8
		want  string
	}{
		{"three codes", []int32{0, 1, 2}, pix, "panoptic code: 3 codes, want 4"},
		{"five codes", []int32{0, 1, 2, 0, 0}, pix, "panoptic code: 5 codes, want 4"},
		{"short image", []int32{0, 1, 2, 2}, pix[:191], "panoptic code: 191 bytes of RGB, want a 8² image"},
		{"gray image", []int32{0, 1, 2, 2}, pix[:64], "panoptic code: 64 bytes of RGB, want a 8² image"},
		{"code past the list", []int32{0, 3, 2, 2}, pix, "panoptic code: code 3 at 1 outside 0..2"},
		{"negative code", []int32{0, 1, 2, -1}, pix, "panoptic code: code -1 at 3 outside 0..2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Decode(tc.codes, tc.pix)
			if err == nil || got != nil || err.Error() != tc.want {
				t.Errorf("Decode = %v, %v; want the error %q", got, err, tc.want)
			}
		})
	}
}

// TestPanopticTwoInstances: two instances of one class, apart, coded with
// codes built from their own map and decoded on an image whose colours
// separate them, are two segments of that class with their areas and
// boxes.
func TestPanopticTwoInstances(t *testing.T) {
	p := testPanoptic(8, 4, []int{0})
	p.Iters = 2
	ids := make([]uint32, 64)
	pix := make([]uint8, 3*64)
	for i := range ids {
		x, y := i%8, i/8
		id, c := uint32(1), gray(200)
		switch {
		case x < 3 && y < 3:
			id, c = 20, rgb{250, 20, 20}
		case x >= 5 && y >= 5:
			id, c = 10, rgb{20, 20, 250}
		}
		ids[i] = id
		copy(pix[3*i:], c[:])
	}
	labels, err := p.LabelMap(ids, []Segment{{10, 1, false}, {20, 1, false}, {1, 11, false}})
	if err != nil {
		t.Fatal(err)
	}
	want := labelRows("22200000", "22200000", "22200000", "00000000", "00000000", "00000333", "00000333", "00000333")
	if !slices.Equal(labels, want) {
		t.Fatalf("label map %v, want %v", labels, want)
	}
	if cov := p.BuildCodes([][]int16{labels}, 8); cov != 1 || !reflect.DeepEqual(p.Codes, [][]int{{0}, {0, 2}, {0, 3}}) {
		t.Fatalf("codes %v, coverage %g", p.Codes, cov)
	}
	codes, err := p.NewEncoder().Encode(labels)
	if err != nil || !slices.Equal(codes, []int32{1, 0, 0, 2}) {
		t.Fatalf("codes %v, %v; want [1 0 0 2]", codes, err)
	}
	got, err := p.Decode(codes, pix)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Decode = %v, %v; want the label map %v", got, err, want)
	}
	segIDs, segs, err := p.Segments(got, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	wantSegs := []PanopticSegment{
		{ID: 1, CategoryID: 11, Area: 46, BBox: [4]int{0, 0, 8, 8}},
		{ID: 3, CategoryID: 1, Area: 9, BBox: [4]int{0, 0, 3, 3}},
		{ID: 4, CategoryID: 1, Area: 9, BBox: [4]int{5, 5, 3, 3}},
	}
	if !reflect.DeepEqual(segs, wantSegs) {
		t.Errorf("segments %+v, want %+v", segs, wantSegs)
	}
	for i, id := range segIDs {
		if id != uint32(want[i])+1 {
			t.Fatalf("pixel %d: segment id %d, want %d", i, id, want[i]+1)
		}
	}
}

func TestPanopticSegments(t *testing.T) {
	p := testPanoptic(4, 2, []int{0})
	// 4×3: label 0's first pixel is at x 3, its box starts at x 0.
	ids, segs, err := p.Segments(labelRows(".550", "005.", "2000"), 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{0, 6, 6, 1, 1, 1, 6, 0, 3, 1, 1, 1}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	want := []PanopticSegment{
		{ID: 1, CategoryID: 11, Area: 6, BBox: [4]int{0, 0, 4, 3}},
		{ID: 3, CategoryID: 1, Area: 1, BBox: [4]int{0, 2, 1, 1}},
		{ID: 6, CategoryID: 2, Area: 3, BBox: [4]int{1, 0, 2, 2}},
	}
	if !reflect.DeepEqual(segs, want) {
		t.Errorf("segments %+v, want %+v", segs, want)
	}
	ids, segs, err = p.Segments(labelRows("..", ".."), 2, 2)
	if err != nil || !slices.Equal(ids, make([]uint32, 4)) || segs != nil {
		t.Errorf("void map: %v, %v, %v; want zero ids, no segments", ids, segs, err)
	}
	for _, tc := range []struct {
		labels []int16
		w, h   int
		want   string
	}{
		{labelRows("0123", "456."), 4, 2, "panoptic code: label 6 at (2, 1) outside 0..5"},
		{labelRows("012", "345"), 2, 2, "panoptic code: 6 labels for a 2x2 map"},
		{labelRows("012", "345"), 3, 3, "panoptic code: 6 labels for a 3x3 map"},
	} {
		ids, segs, err := p.Segments(tc.labels, tc.w, tc.h)
		if err == nil || ids != nil || segs != nil || err.Error() != tc.want {
			t.Errorf("Segments(%v, %d, %d) = %v, %v, %v; want the error %q", tc.labels, tc.w, tc.h, ids, segs, err, tc.want)
		}
	}
}

func TestPanopticCategory(t *testing.T) {
	p := &Panoptic{Ranks: 3, Stuff: []int{20, 21}, Things: []int{5, 7}}
	want := []int{20, 21, 5, 5, 5, 7, 7, 7}
	for l, w := range want {
		if got := p.Category(l); got != w {
			t.Errorf("Category(%d) = %d, want %d", l, got, w)
		}
	}
}

func TestUpsampleLabels(t *testing.T) {
	// A 4² map whose 3×2 content is labels 0..5; 9 is letterbox padding
	// and must never show.
	labels := labelRows("0129", "3459", "9999", "9999")
	for _, tc := range []struct {
		name string
		w, h int
		want []int16
	}{
		{"larger", 6, 4, labelRows("001122", "001122", "334455", "334455")},
		{"larger, not a multiple", 5, 3, labelRows("00122", "33455", "33455")},
		{"same", 3, 2, labelRows("012", "345")},
		// Centres at content x 0.75 and 2.25, y 1.
		{"smaller", 2, 1, labelRows("35")},
		{"one pixel", 1, 1, labelRows("4")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UpsampleLabels(labels, 4, 3, 2, tc.w, tc.h)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("UpsampleLabels to %dx%d = %v, %v; want %v", tc.w, tc.h, got, err, tc.want)
			}
		})
	}
	full := labelRows("0123", "4567", "89ab", "0123")
	if got, err := UpsampleLabels(full, 4, 4, 4, 4, 4); err != nil || !slices.Equal(got, full) {
		t.Errorf("identity: %v, %v", got, err)
	}
	for _, tc := range []struct {
		labels             []int16
		size, cw, ch, w, h int
		want               string
	}{
		{labels[:15], 4, 3, 2, 6, 4, "upsample labels: 15 labels, want 4²"},
		{labels, 4, 0, 2, 6, 4, "upsample labels: content 0x2 of 4², target 6x4"},
		{labels, 4, 3, 0, 6, 4, "upsample labels: content 3x0 of 4², target 6x4"},
		{labels, 4, 5, 2, 6, 4, "upsample labels: content 5x2 of 4², target 6x4"},
		{labels, 4, 3, 5, 6, 4, "upsample labels: content 3x5 of 4², target 6x4"},
		{labels, 4, 3, 2, 0, 4, "upsample labels: content 3x2 of 4², target 0x4"},
		{labels, 4, 3, 2, 6, -1, "upsample labels: content 3x2 of 4², target 6x-1"},
	} {
		got, err := UpsampleLabels(tc.labels, tc.size, tc.cw, tc.ch, tc.w, tc.h)
		if err == nil || got != nil || err.Error() != tc.want {
			t.Errorf("UpsampleLabels(%d labels, %d, %d, %d, %d, %d) = %v, %v; want the error %q",
				len(tc.labels), tc.size, tc.cw, tc.ch, tc.w, tc.h, got, err, tc.want)
		}
	}
}

func TestPanopticValidate(t *testing.T) {
	if err := testPanoptic(8, 4, []int{0}, []int{5}, []int{0, 1, 5}).Validate(); err != nil {
		t.Fatalf("valid code: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(p *Panoptic)
		want string
	}{
		{"patch not dividing", func(p *Panoptic) { p.Patch = 3 }, "panoptic code: patch 3 must divide size 8"},
		{"patch 0", func(p *Panoptic) { p.Patch = 0 }, "panoptic code: size 8, patch 0: want size in 1..256, patch ≥ 1"},
		{"size 0", func(p *Panoptic) { p.Size = 0 }, "panoptic code: size 0, patch 4: want size in 1..256, patch ≥ 1"},
		{"size 512", func(p *Panoptic) { p.Size, p.Patch = 512, 8 }, "panoptic code: size 512, patch 8: want size in 1..256, patch ≥ 1"},
		{"patch larger", func(p *Panoptic) { p.Patch = 16 }, "panoptic code: patch 16 must divide size 8"},
		{"ranks 0", func(p *Panoptic) { p.Ranks = 0 }, "panoptic code: ranks 0, iters 0: want ranks ≥ 1, iters ≥ 0"},
		{"iters negative", func(p *Panoptic) { p.Iters = -1 }, "panoptic code: ranks 2, iters -1: want ranks ≥ 1, iters ≥ 0"},
		{"no categories", func(p *Panoptic) { p.Stuff, p.Things = nil, nil }, "panoptic code: no categories"},
		{"no codes", func(p *Panoptic) { p.Codes = nil }, "panoptic code: no codes"},
		{"category 0", func(p *Panoptic) { p.Things = []int{1, 0} }, "panoptic code: category id 0 repeated or not positive"},
		{"negative category", func(p *Panoptic) { p.Stuff = []int{-3, 12} }, "panoptic code: category id -3 repeated or not positive"},
		{"category stuff and thing", func(p *Panoptic) { p.Things = []int{1, 12} }, "panoptic code: category id 12 repeated or not positive"},
		{"category twice", func(p *Panoptic) { p.Stuff = []int{11, 11} }, "panoptic code: category id 11 repeated or not positive"},
		{"empty code", func(p *Panoptic) { p.Codes[1] = nil }, "panoptic code: code 1 [] is not a non-empty ascending set of labels"},
		{"descending code", func(p *Panoptic) { p.Codes[2] = []int{1, 0} }, "panoptic code: code 2 [1 0] is not a non-empty ascending set of labels"},
		{"repeated label", func(p *Panoptic) { p.Codes[2] = []int{1, 1} }, "panoptic code: code 2 [1 1] is not a non-empty ascending set of labels"},
		{"negative label", func(p *Panoptic) { p.Codes[0] = []int{-1, 0} }, "panoptic code: code 0 [-1 0] names a label outside 0..5"},
		{"label past the last", func(p *Panoptic) { p.Codes[1] = []int{6} }, "panoptic code: code 1 [6] names a label outside 0..5"},
		{"labels past int16", func(p *Panoptic) { p.Ranks = 16384 }, "panoptic code: 2 stuff + 2 thing classes × 16384 ranks is more than 32767 labels"},
		{"ranks past int16", func(p *Panoptic) { p.Ranks = 1 << 40 }, "panoptic code: 2 stuff + 2 thing classes × 1099511627776 ranks is more than 32767 labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPanoptic(8, 4, []int{0}, []int{5}, []int{0, 1, 5})
			tc.edit(p)
			if err := p.Validate(); err == nil || err.Error() != tc.want {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPanopticSaveLoad(t *testing.T) {
	dir := t.TempDir()
	p := testPanoptic(8, 4, []int{0}, []int{1, 3}, []int{0, 1, 5})
	p.Iters = 3
	path := filepath.Join(dir, "codebook.json")
	if err := SavePanoptic(p, path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file format the code decoder export and the server read.
	if want := `{"size":8,"patch":4,"ranks":2,"iters":3,"stuff":[11,12],"things":[1,2],"codes":[[0],[1,3],[0,1,5]]}` + "\n"; string(data) != want {
		t.Errorf("saved %q, want %q", data, want)
	}
	got, err := LoadPanoptic(path)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("LoadPanoptic = %+v, %v; want %+v", got, err, p)
	}
	write := func(name, s string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.json"), "load panoptic code: open"},
		{"not JSON", write("bad.json", `{"size":`), "load panoptic code " + filepath.Join(dir, "bad.json") + ": unexpected end of JSON input"},
		{"invalid", write("invalid.json", `{"size":8,"patch":3,"ranks":2,"stuff":[11],"codes":[[0]]}`),
			"load " + filepath.Join(dir, "invalid.json") + ": panoptic code: patch 3 must divide size 8"},
		{"label outside", write("label.json", `{"size":8,"patch":4,"ranks":2,"stuff":[11],"codes":[[1]]}`),
			"names a label outside 0..0"},
		{"a colorization codebook", write("chroma.json", `{"size":8,"patch":4,"sub":2,"centers":[[0,0,0,0,0,0,0,0]]}`),
			"load panoptic code: " + filepath.Join(dir, "chroma.json") + " is not a panoptic code but a colorization codebook"},
		{"vq.json instead of codebook.json", write("vq.json", `{"task":"panoptic","k":512,"grid":8}`),
			"load panoptic code: " + filepath.Join(dir, "vq.json") + ` is not a panoptic code (it has no "codes")`},
		{"a JSON list", write("list.json", `[[0],[1]]`), "is not a panoptic code (a JSON array, want an object)"},
		{"binary", write("zeros.json", "\x00\x00\x00"), "load panoptic code: read " + filepath.Join(dir, "zeros.json") + ": not JSON: byte 0 is 0x00"},
		{"too many labels", write("ranks.json", `{"size":8,"patch":4,"ranks":4000,"stuff":[11],"things":[1,2,3,4,5,6,7,8,9],"codes":[[0]]}`),
			"panoptic code: 1 stuff + 9 thing classes × 4000 ranks is more than 32767 labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadPanoptic(tc.path)
			if err == nil || got != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadPanoptic = %v, %v; want an error containing %q", got, err, tc.want)
			}
		})
	}
	// A huge file (sparse: no disk) fails on its first byte, unread.
	huge := filepath.Join(dir, "huge.json")
	if f, err := os.Create(huge); err != nil || f.Truncate(200<<20) != nil || f.Close() != nil {
		t.Fatal("cannot make a sparse file")
	}
	if _, err := LoadPanoptic(huge); err == nil || !strings.Contains(err.Error(), "not JSON: byte 0 is 0x00") {
		t.Errorf("LoadPanoptic of 200 MB of zeros: %v", err)
	}
	if err := SavePanoptic(p, filepath.Join(dir, "no", "such", "dir", "c.json")); err == nil || !strings.Contains(err.Error(), "save panoptic code") {
		t.Errorf("save into a missing folder: %v", err)
	}
}

func TestPanopticTokensCodes(t *testing.T) {
	p := testPanoptic(8, 4, []int{0}, []int{1}, []int{0, 1}) // 4 codes a sequence, tokens 3..5
	codes := []int32{2, 0, 1, 2}
	toks := p.Tokens(codes)
	if want := []int32{5, 3, 4, 5, EOS}; !slices.Equal(toks, want) {
		t.Fatalf("Tokens(%v) = %v, want %v", codes, toks, want)
	}
	for _, tc := range []struct {
		name   string
		tokens []int32
		want   []int32
		err    string
	}{
		{"round trip", toks, codes, ""},
		{"tail ignored", []int32{3, 3, 3, 3, EOS, PAD, 99}, []int32{0, 0, 0, 0}, ""},
		{"short", []int32{3, 4, 5}, nil, "panoptic code: 3 tokens, want 4 codes"},
		{"EOS early", []int32{3, 4, EOS, 5, EOS}, nil, "panoptic code: token 2 at position 2 is not a code"},
		{"past the list", []int32{3, 4, 5, 6, EOS}, nil, "panoptic code: token 6 at position 3 is not a code"},
		{"negative", []int32{-1, 4, 5, 5, EOS}, nil, "panoptic code: token -1 at position 0 is not a code"},
		{"huge", []int32{3, math.MaxInt32, 5, 5}, nil, "at position 1 is not a code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.CodesOf(tc.tokens)
			if tc.err == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("CodesOf(%v) = %v, %v; want %v", tc.tokens, got, err, tc.want)
				}
				return
			}
			if err == nil || got != nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CodesOf(%v) = %v, %v; want an error containing %q", tc.tokens, got, err, tc.err)
			}
		})
	}
	// The grammar: codes at the 4 code positions, EOS at the fifth.
	v, m := p.VocabSize(), p.GrammarMask()
	if len(m) != 5*v {
		t.Fatalf("mask of %d values, want %d", len(m), 5*v)
	}
	for pos := range 5 {
		for tok := range v {
			want := float32(MaskValue)
			if (pos < 4 && tok >= CodeOffset) || (pos == 4 && tok == int(EOS)) {
				want = 0
			}
			if m[pos*v+tok] != want {
				t.Errorf("mask[position %d, token %d] = %g, want %g", pos, tok, m[pos*v+tok], want)
			}
		}
	}
}
