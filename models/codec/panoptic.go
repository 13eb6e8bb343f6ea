package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"rewardvision/internal/atomicfile"
)

// Panoptic is stage I of the panoptic model (UViM's discrete code of the
// target), a code the image guides back to pixels.
//
// Labels. A panoptic map becomes a label map first: stuff class s is label
// s; a thing instance is label S + c·Ranks + r, its class c and its rank r
// among the image's thing instances by first appearance in raster order
// (the first pixel met scanning rows top to bottom). Instance identities
// have no order of their own; canonicalising them this way gives every
// map one code sequence, so plain MLE applies, where a permutation-free
// loss would need a matching inside training. Void and crowd pixels are
// no label (-1): they do not count in PQ, so the code may cover them with
// anything.
//
// Codes. The map is cut into Grid×Grid patches of Patch×Patch pixels and a
// patch's code is the set of labels in it, one of the K sets listed in
// Codes (the most frequent in the training maps; a set not listed is
// coded as the listed one covering most of its pixels).
//
// Decoding. Inside a patch the code names the labels, not their pixels:
// the image places them. Each label gets a mean colour (from the patches
// it fills alone, or else every patch it is in), each pixel takes the
// nearest-coloured label of its patch's set, and the means are refitted to
// that assignment Iters times. Objects in the shapes world contrast with
// what is under them, so colour finds the edges a per-patch code cannot
// hold. Decode is exact float32 arithmetic on integer sums, so the ONNX
// code decoder (models/export) reproduces it bit for bit.
type Panoptic struct {
	Size   int   `json:"size"`   // image side in pixels
	Patch  int   `json:"patch"`  // pixels per code, each side
	Ranks  int   `json:"ranks"`  // thing instances an image may hold
	Iters  int   `json:"iters"`  // colour refits of Decode
	Stuff  []int `json:"stuff"`  // category id of stuff label s
	Things []int `json:"things"` // category id of thing class c
	// Codes are the K label sets, each sorted ascending, none empty.
	Codes [][]int `json:"codes"`
}

// MaxSize is the largest image side a code may have: Decode's colour sums
// over at most MaxSize² pixels of 8-bit values stay below 2²⁴, exact in
// float32 in any order, which makes the ONNX decoder's labels Go's.
const MaxSize = 256

// NoLabel marks a pixel with no label (void, crowd).
const NoLabel = -1

// MaxLabels bounds Labels: a label map holds int16 labels.
const MaxLabels = math.MaxInt16

// Grid is the codes per side; K the number of codes; Labels the number of
// labels.
func (p *Panoptic) Grid() int   { return p.Size / p.Patch }
func (p *Panoptic) K() int      { return len(p.Codes) }
func (p *Panoptic) Labels() int { return len(p.Stuff) + len(p.Things)*p.Ranks }

// Validate reports a bad layout (ValidateLayout) or a code list naming
// labels that do not exist.
func (p *Panoptic) Validate() error {
	if err := p.ValidateLayout(); err != nil {
		return err
	}
	if len(p.Codes) < 1 {
		return errors.New("panoptic code: no codes")
	}
	for k, set := range p.Codes {
		if len(set) == 0 || !isStrictlyAscending(set) {
			return fmt.Errorf("panoptic code: code %d %v is not a non-empty ascending set of labels", k, set)
		}
		if set[0] < 0 || set[len(set)-1] >= p.Labels() {
			return fmt.Errorf("panoptic code: code %d %v names a label outside 0..%d", k, set, p.Labels()-1)
		}
	}
	return nil
}

// ValidateLayout reports a layout that does not tile the image, a label
// count past MaxLabels, or categories repeated: everything LabelMap and
// BuildCodes rely on, before any code exists.
func (p *Panoptic) ValidateLayout() error {
	switch {
	case p.Size < 1 || p.Size > MaxSize || p.Patch < 1:
		return fmt.Errorf("panoptic code: size %d, patch %d: want size in 1..%d, patch ≥ 1", p.Size, p.Patch, MaxSize)
	case p.Size%p.Patch != 0:
		return fmt.Errorf("panoptic code: patch %d must divide size %d", p.Patch, p.Size)
	case p.Ranks < 1 || p.Iters < 0:
		return fmt.Errorf("panoptic code: ranks %d, iters %d: want ranks ≥ 1, iters ≥ 0", p.Ranks, p.Iters)
	case len(p.Stuff)+len(p.Things) == 0:
		return errors.New("panoptic code: no categories")
	case p.Ranks > MaxLabels || len(p.Stuff)+len(p.Things)*p.Ranks > MaxLabels:
		return fmt.Errorf("panoptic code: %d stuff + %d thing classes × %d ranks is more than %d labels", len(p.Stuff), len(p.Things), p.Ranks, MaxLabels)
	}
	seen := map[int]bool{}
	for _, id := range append(slices.Clone(p.Stuff), p.Things...) {
		if id <= 0 || seen[id] {
			return fmt.Errorf("panoptic code: category id %d repeated or not positive", id)
		}
		seen[id] = true
	}
	return nil
}

func isStrictlyAscending(s []int) bool {
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			return false
		}
	}
	return true
}

// BuildCodes lists the k most frequent patch label sets of the label
// maps (ties: the smaller set, then the lower key), the Codes of p.
func (p *Panoptic) BuildCodes(maps [][]int16, k int) (coverage float64) {
	freq := map[string]int{}
	sets := map[string][]int{}
	total := 0
	for _, m := range maps {
		ss, _ := p.PatchSets(m)
		for _, s := range ss {
			if len(s) == 0 {
				continue
			}
			key := setKey(s)
			freq[key]++
			sets[key] = s
			total++
		}
	}
	keys := make([]string, 0, len(freq))
	for key := range freq {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if freq[a] != freq[b] {
			return freq[b] - freq[a]
		}
		if len(sets[a]) != len(sets[b]) {
			return len(sets[a]) - len(sets[b])
		}
		return strings.Compare(a, b)
	})
	keys = keys[:min(k, len(keys))]
	p.Codes = make([][]int, 0, len(keys)) // a new list: a copy of p keeps its own
	kept := 0
	for _, key := range keys {
		p.Codes = append(p.Codes, sets[key])
		kept += freq[key]
	}
	if total == 0 {
		return 0
	}
	return float64(kept) / float64(total)
}

func (p *Panoptic) grid() codeGrid {
	return codeGrid{name: "panoptic code", n: p.Grid() * p.Grid(), k: p.K()}
}

// VocabSize, SeqLen, GrammarMask, Tokens and CodesOf: the token layout of
// Chroma (Grid² codes in raster order, then EOS).
func (p *Panoptic) VocabSize() int                          { return p.grid().vocabSize() }
func (p *Panoptic) SeqLen() int                             { return p.grid().seqLen() }
func (p *Panoptic) GrammarMask() []float32                  { return p.grid().mask() }
func (p *Panoptic) Tokens(codes []int32) []int32            { return p.grid().tokens(codes) }
func (p *Panoptic) CodesOf(tokens []int32) ([]int32, error) { return p.grid().codes(tokens) }

// Segment is one entry of a panoptic annotation's segments_info.
type Segment struct {
	ID         uint32
	CategoryID int
	IsCrowd    bool
}

// LabelMap turns a panoptic map (a Size² id map and its segments) into the
// label map (see Panoptic). Errors name the segment: an id in the map but
// not in segments, an unknown category, a stuff class in two segments, or
// more thing instances than Ranks.
func (p *Panoptic) LabelMap(ids []uint32, segs []Segment) ([]int16, error) {
	if len(ids) != p.Size*p.Size {
		return nil, fmt.Errorf("panoptic map: %d ids, want %d²", len(ids), p.Size)
	}
	stuffOf, classOf := indexOf(p.Stuff), indexOf(p.Things)
	type seg struct {
		label int // -2: a thing not ranked yet
		class int // a thing's class index
		crowd bool
	}
	byID := make(map[uint32]*seg, len(segs))
	stuffSeen := map[int]uint32{}
	for _, s := range segs {
		if _, dup := byID[s.ID]; dup {
			return nil, fmt.Errorf("segment id %d: listed twice", s.ID)
		}
		e := &seg{crowd: s.IsCrowd}
		if st, ok := stuffOf[s.CategoryID]; ok {
			if !s.IsCrowd { // crowd segments take no label: any number may share a class
				if other, two := stuffSeen[st]; two {
					return nil, fmt.Errorf("segment id %d: stuff category %d is also segment %d", s.ID, s.CategoryID, other)
				}
				stuffSeen[st] = s.ID
			}
			e.label = st
		} else if c, ok := classOf[s.CategoryID]; ok {
			e.label, e.class = -2, c
		} else {
			return nil, fmt.Errorf("segment id %d: unknown category_id %d", s.ID, s.CategoryID)
		}
		byID[s.ID] = e
	}
	out := make([]int16, len(ids))
	rank := 0
	for i, id := range ids {
		if id == 0 {
			out[i] = NoLabel
			continue
		}
		e, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("segment id %d: in the map at (%d, %d) but not in segments_info", id, i%p.Size, i/p.Size)
		}
		if e.crowd {
			out[i] = NoLabel
			continue
		}
		if e.label == -2 {
			if rank == p.Ranks {
				return nil, fmt.Errorf("segment id %d: thing instance %d, the code holds %d", id, rank+1, p.Ranks)
			}
			e.label = len(p.Stuff) + e.class*p.Ranks + rank
			rank++
		}
		out[i] = int16(e.label)
	}
	return out, nil
}

func indexOf(ids []int) map[int]int {
	m := make(map[int]int, len(ids))
	for i, id := range ids {
		m[id] = i
	}
	return m
}

// setKey is a label set's map key.
func setKey(set []int) string {
	var b strings.Builder
	for i, l := range set {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l))
	}
	return b.String()
}

// PatchSets returns the label set of each patch of a label map, in raster
// order, with the pixel count of each label (same order).
func (p *Panoptic) PatchSets(labels []int16) (sets, counts [][]int) {
	g := p.Grid()
	sets, counts = make([][]int, g*g), make([][]int, g*g)
	n := make([]int, p.Labels())
	for cell := range g * g {
		cy, cx := cell/g, cell%g
		clear(n)
		for y := cy * p.Patch; y < (cy+1)*p.Patch; y++ {
			for x := cx * p.Patch; x < (cx+1)*p.Patch; x++ {
				if l := labels[y*p.Size+x]; l >= 0 {
					n[l]++
				}
			}
		}
		for l, c := range n {
			if c > 0 {
				sets[cell] = append(sets[cell], l)
				counts[cell] = append(counts[cell], c)
			}
		}
	}
	return sets, counts
}

// Encoder codes label maps; build one per codec (it indexes Codes).
type Encoder struct {
	p     *Panoptic
	exact map[string]int32
}

// NewEncoder indexes the code list of p.
func (p *Panoptic) NewEncoder() *Encoder {
	e := &Encoder{p: p, exact: make(map[string]int32, p.K())}
	for k, set := range p.Codes {
		e.exact[setKey(set)] = int32(k)
	}
	return e
}

// Encode codes a label map (from LabelMap). A patch whose set is not a
// code takes the code covering most of its pixels (ties: the fewest
// labels, then the lower code); an all-void patch takes code 0.
func (e *Encoder) Encode(labels []int16) ([]int32, error) {
	if len(labels) != e.p.Size*e.p.Size {
		return nil, fmt.Errorf("panoptic code: %d labels, want %d²", len(labels), e.p.Size)
	}
	sets, counts := e.p.PatchSets(labels)
	codes := make([]int32, len(sets))
	for cell, set := range sets {
		if len(set) == 0 {
			continue // all void: code 0
		}
		if k, ok := e.exact[setKey(set)]; ok {
			codes[cell] = k
			continue
		}
		best, bestCover := int32(0), -1
		for k, cand := range e.p.Codes {
			cover := 0
			for i, l := range set {
				if slices.Contains(cand, l) {
					cover += counts[cell][i]
				}
			}
			if cover > bestCover || cover == bestCover && len(cand) < len(e.p.Codes[best]) {
				best, bestCover = int32(k), cover
			}
		}
		codes[cell] = best
	}
	return codes, nil
}

// Decode places the codes' labels on the pixels of the Size² RGB image pix
// (see Panoptic) and returns a label for every pixel.
func (p *Panoptic) Decode(codes []int32, pix []uint8) ([]int16, error) {
	g, L, n := p.Grid(), p.Labels(), p.Size*p.Size
	if len(codes) != g*g {
		return nil, fmt.Errorf("panoptic code: %d codes, want %d", len(codes), g*g)
	}
	if len(pix) != 3*n {
		return nil, fmt.Errorf("panoptic code: %d bytes of RGB, want a %d² image", len(pix), p.Size)
	}
	for i, k := range codes {
		if k < 0 || int(k) >= p.K() {
			return nil, fmt.Errorf("panoptic code: code %d at %d outside 0..%d", k, i, p.K()-1)
		}
	}
	set := func(i int) []int {
		y, x := i/p.Size, i%p.Size
		return p.Codes[codes[(y/p.Patch)*g+x/p.Patch]]
	}
	// Initial means: the pixels of patches a label fills alone, or else
	// of every patch it is in. Sums of 8-bit values over ≤ 2²⁴/255 pixels
	// are exact in float32, whatever the order of summation.
	alone, inAny := newSums(L), newSums(L)
	for i := range n {
		s := set(i)
		for _, l := range s {
			inAny.add(l, pix[3*i:3*i+3])
		}
		if len(s) == 1 {
			alone.add(s[0], pix[3*i:3*i+3])
		}
	}
	mean := make([][3]float32, L)
	for l := range L {
		switch {
		case alone.n[l] > 0:
			mean[l] = alone.mean(l)
		case inAny.n[l] > 0:
			mean[l] = inAny.mean(l)
		}
	}
	out := make([]int16, n)
	for it := 0; ; it++ {
		fit := newSums(L)
		for i := range n {
			best, bestD := -1, float32(math.Inf(1))
			for _, l := range set(i) { // ascending: ties go to the lower label
				if d := dist2(pix[3*i:3*i+3], mean[l]); d < bestD || best < 0 {
					best, bestD = l, d
				}
			}
			out[i] = int16(best)
			fit.add(best, pix[3*i:3*i+3])
		}
		if it == p.Iters {
			return out, nil
		}
		for l := range L {
			if fit.n[l] > 0 {
				mean[l] = fit.mean(l)
			}
		}
	}
}

// dist2 is the squared RGB distance, summed in channel order as the ONNX
// decoder does; the conversions keep the compiler from fusing a multiply
// and an add (which would round differently).
func dist2(px []uint8, m [3]float32) float32 {
	d0, d1, d2 := float32(px[0])-m[0], float32(px[1])-m[1], float32(px[2])-m[2]
	return float32(float32(d0*d0)+float32(d1*d1)) + float32(d2*d2)
}

type sums struct {
	s [][3]float32
	n []float32
}

func newSums(l int) sums { return sums{s: make([][3]float32, l), n: make([]float32, l)} }

func (s sums) add(l int, px []uint8) {
	s.s[l][0] += float32(px[0])
	s.s[l][1] += float32(px[1])
	s.s[l][2] += float32(px[2])
	s.n[l]++
}

func (s sums) mean(l int) [3]float32 {
	return [3]float32{s.s[l][0] / s.n[l], s.s[l][1] / s.n[l], s.s[l][2] / s.n[l]}
}

// PanopticSegment is one segment of a decoded map.
type PanopticSegment struct {
	ID         uint32 `json:"id"`
	CategoryID int    `json:"category_id"`
	IsCrowd    int    `json:"iscrowd"`
	Area       int    `json:"area"`
	BBox       [4]int `json:"bbox"` // x, y, width, height
}

// Segments turns a label map into a COCO panoptic map: segment id label+1
// per pixel and one segment per label present, in label order, with its
// area and box. w×h is the map's size (labels may be upsampled from Size²).
func (p *Panoptic) Segments(labels []int16, w, h int) ([]uint32, []PanopticSegment, error) {
	if len(labels) != w*h {
		return nil, nil, fmt.Errorf("panoptic code: %d labels for a %dx%d map", len(labels), w, h)
	}
	ids := make([]uint32, len(labels))
	type box struct{ area, x0, y0, x1, y1 int }
	boxes := make([]box, p.Labels())
	for i, l := range labels {
		if l < 0 {
			continue
		}
		if int(l) >= p.Labels() {
			return nil, nil, fmt.Errorf("panoptic code: label %d at (%d, %d) outside 0..%d", l, i%w, i/w, p.Labels()-1)
		}
		ids[i] = uint32(l) + 1
		x, y, b := i%w, i/w, &boxes[l]
		if b.area == 0 {
			*b = box{x0: x, y0: y, x1: x, y1: y}
		}
		b.area++
		b.x0, b.x1, b.y0, b.y1 = min(b.x0, x), max(b.x1, x), min(b.y0, y), max(b.y1, y)
	}
	var segs []PanopticSegment
	for l, b := range boxes {
		if b.area == 0 {
			continue
		}
		segs = append(segs, PanopticSegment{ID: uint32(l) + 1, CategoryID: p.Category(l), Area: b.area,
			BBox: [4]int{b.x0, b.y0, b.x1 - b.x0 + 1, b.y1 - b.y0 + 1}})
	}
	return ids, segs, nil
}

// Category is the category id of label l.
func (p *Panoptic) Category(l int) int {
	if l < len(p.Stuff) {
		return p.Stuff[l]
	}
	return p.Things[(l-len(p.Stuff))/p.Ranks]
}

// LoadPanoptic reads a code file written by SavePanoptic.
func LoadPanoptic(path string) (*Panoptic, error) {
	data, err := readCodeFile(path, "panoptic code", "codes", "centers", "colorization codebook (from 'train vq --task colorization')")
	if err != nil {
		return nil, err
	}
	var p Panoptic
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("load panoptic code %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &p, nil
}

// SavePanoptic writes the code as JSON, atomically.
func SavePanoptic(p *Panoptic, path string) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
		return fmt.Errorf("save panoptic code: %w", err)
	}
	return nil
}

// UpsampleLabels maps a size² label map whose content fills the top-left
// contentW×contentH (a letterbox) onto a w×h image by nearest neighbour:
// pixel (x, y) takes the label under its centre.
func UpsampleLabels(labels []int16, size, contentW, contentH, w, h int) ([]int16, error) {
	switch {
	case len(labels) != size*size:
		return nil, fmt.Errorf("upsample labels: %d labels, want %d²", len(labels), size)
	case contentW < 1 || contentH < 1 || contentW > size || contentH > size || w < 1 || h < 1:
		return nil, fmt.Errorf("upsample labels: content %dx%d of %d², target %dx%d", contentW, contentH, size, w, h)
	}
	xs := make([]int, w)
	for x := range xs {
		xs[x] = min(contentW-1, (2*x+1)*contentW/(2*w))
	}
	out := make([]int16, w*h)
	for y := range h {
		row := labels[min(contentH-1, (2*y+1)*contentH/(2*h))*size:]
		for x, sx := range xs {
			out[y*w+x] = row[sx]
		}
	}
	return out, nil
}
