package codec

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"testing"

	"rewardvision/internal/testfix"
)

// cocoGT is the part of a COCO instances file the tests need.
type cocoGT struct {
	Images []struct {
		ID     int     `json:"id"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	} `json:"images"`
	Annotations []struct {
		ImageID    int        `json:"image_id"`
		CategoryID int        `json:"category_id"`
		BBox       [4]float64 `json:"bbox"`
	} `json:"annotations"`
	Categories []struct {
		ID int `json:"id"`
	} `json:"categories"`
}

// loadReal2 returns the ground-truth boxes of the real2 fixture per image
// (classes are category indices in id order) and the image sizes.
func loadReal2(t *testing.T) (boxes map[int][]Box, sizes map[int][2]float64, numClasses int) {
	t.Helper()
	data, err := os.ReadFile(testfix.Path(t, "coco-det/real2/gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gt cocoGT
	if err := json.Unmarshal(data, &gt); err != nil {
		t.Fatal(err)
	}
	ids := make([]int, len(gt.Categories))
	for i, c := range gt.Categories {
		ids[i] = c.ID
	}
	sort.Ints(ids)
	classOf := map[int]int{}
	for i, id := range ids {
		classOf[id] = i
	}
	sizes = map[int][2]float64{}
	for _, im := range gt.Images {
		sizes[im.ID] = [2]float64{im.Width, im.Height}
	}
	boxes = map[int][]Box{}
	for _, a := range gt.Annotations {
		b := a.BBox
		boxes[a.ImageID] = append(boxes[a.ImageID], BoxFromXYWH(b[0], b[1], b[2], b[3], classOf[a.CategoryID]))
	}
	return boxes, sizes, len(ids)
}

func TestNewDetection(t *testing.T) {
	tests := []struct {
		bins, classes, maxBoxes int
		ok                      bool
	}{
		{bins: 100, classes: 10, maxBoxes: 8, ok: true},
		{bins: 2, classes: 1, maxBoxes: 1, ok: true},
		{bins: 1, classes: 10, maxBoxes: 8},
		{bins: 100, classes: 0, maxBoxes: 8},
		{bins: 100, classes: 10, maxBoxes: 0},
		{bins: 1 << 30, classes: 10, maxBoxes: 8},
	}
	for _, tc := range tests {
		_, err := NewDetection(tc.bins, tc.classes, tc.maxBoxes)
		if (err == nil) != tc.ok {
			t.Errorf("NewDetection(%d, %d, %d) error = %v, want ok=%v", tc.bins, tc.classes, tc.maxBoxes, err, tc.ok)
		}
	}
}

func TestDetectionLayout(t *testing.T) {
	c, err := NewDetection(100, 10, 8)
	if err != nil {
		t.Fatal(err)
	}
	if c.VocabSize() != 113 || c.SeqLen() != 41 {
		t.Fatalf("vocab %d seq %d, want 113 and 41", c.VocabSize(), c.SeqLen())
	}
	if c.CoordToken(0) != 3 || c.CoordToken(99) != 102 || c.ClassToken(0) != 103 || c.ClassToken(9) != 112 {
		t.Fatal("token layout is not PAD, BOS, EOS, 100 bins, 10 classes")
	}
	for tok, want := range map[int32][2]bool{PAD: {}, EOS: {}, 3: {true, false}, 102: {true, false}, 103: {false, true}, 112: {false, true}, 113: {}, -1: {}} {
		if got := [2]bool{c.IsCoord(tok), c.IsClass(tok)}; got != want {
			t.Errorf("token %d: coord/class = %v, want %v", tok, got, want)
		}
	}
}

// TestDetectionRoundTrip encodes the real COCO boxes of the real2 fixture
// and checks every decoded corner is within half a bin, class unchanged.
func TestDetectionRoundTrip(t *testing.T) {
	boxes, sizes, numClasses := loadReal2(t)
	for _, cfg := range []struct {
		bins       int
		classFirst bool
	}{{2, false}, {100, false}, {1000, false}, {2, true}, {1000, true}} {
		bins := cfg.bins
		c, err := NewDetection(bins, numClasses, 64)
		if err != nil {
			t.Fatal(err)
		}
		c.ClassFirst = cfg.classFirst
		for id, want := range boxes {
			w, h := sizes[id][0], sizes[id][1]
			tokens, err := c.Encode(want, w, h, nil)
			if err != nil {
				t.Fatalf("image %d: %v", id, err)
			}
			if len(tokens) != 5*len(want)+1 {
				t.Fatalf("image %d: %d tokens for %d boxes", id, len(tokens), len(want))
			}
			got, err := c.Decode(tokens, nil, w, h)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("image %d bins %d: decoded %d boxes, want %d", id, bins, len(got), len(want))
			}
			halfX, halfY := w/float64(bins-1)/2+1e-9, h/float64(bins-1)/2+1e-9
			for i := range want {
				g, b := got[i], want[i]
				if g.Class != b.Class || g.Score != 1 ||
					math.Abs(g.XMin-b.XMin) > halfX || math.Abs(g.XMax-b.XMax) > halfX ||
					math.Abs(g.YMin-b.YMin) > halfY || math.Abs(g.YMax-b.YMax) > halfY {
					t.Fatalf("image %d bins %d class-first %v box %d: %+v decoded as %+v (half bin %.3g x %.3g)", id, bins, c.ClassFirst, i, b, g, halfX, halfY)
				}
			}
		}
	}
}

func TestDetectionEncodeOrder(t *testing.T) {
	boxes, sizes, numClasses := loadReal2(t)
	const id = 439180 // 32 boxes
	c, _ := NewDetection(1000, numClasses, 40)
	w, h := sizes[id][0], sizes[id][1]
	enc := func(seed uint64) []int32 {
		tokens, err := c.Encode(boxes[id], w, h, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return tokens
	}
	ordered, err := c.Encode(boxes[id], w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b, other := enc(1), enc(1), enc(2)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different orders")
	}
	if slices.Equal(a, other) || slices.Equal(a, ordered) {
		t.Fatal("shuffling did not change the order")
	}
	// Same boxes, as 5-token groups.
	groups := func(tokens []int32) []string {
		var g []string
		for i := 0; i+5 <= len(tokens); i += 5 {
			g = append(g, string(rune(tokens[i]))+string(rune(tokens[i+1]))+string(rune(tokens[i+2]))+string(rune(tokens[i+3]))+string(rune(tokens[i+4])))
		}
		sort.Strings(g)
		return g
	}
	if !slices.Equal(groups(a), groups(ordered)) {
		t.Fatal("shuffled sequence holds different boxes")
	}
	// MaxBoxes keeps a random subset of that size.
	c8, _ := NewDetection(1000, numClasses, 8)
	sub, err := c8.Encode(boxes[id], w, h, rand.New(rand.NewPCG(3, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) != 41 || sub[40] != EOS {
		t.Fatalf("truncated sequence has %d tokens, last %d", len(sub), sub[len(sub)-1])
	}
	all := groups(ordered)
	for _, g := range groups(sub) {
		if _, found := slices.BinarySearch(all, g); !found {
			t.Fatalf("truncated sequence holds a box not in the input")
		}
	}
}

func TestDetectionEncodeCleansBoxes(t *testing.T) {
	c, _ := NewDetection(11, 3, 4)
	// Corners swapped and outside the 100x50 image: clipped and ordered.
	tokens, err := c.Encode([]Box{{XMin: 120, YMin: 40, XMax: -5, YMax: 10, Class: 2}}, 100, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{c.CoordToken(2), c.CoordToken(0), c.CoordToken(8), c.CoordToken(10), c.ClassToken(2), EOS}
	if !slices.Equal(tokens, want) {
		t.Fatalf("tokens %v, want %v", tokens, want)
	}
	// No boxes: just EOS.
	if tokens, err := c.Encode(nil, 100, 50, nil); err != nil || !slices.Equal(tokens, []int32{EOS}) {
		t.Fatalf("empty image: %v, %v", tokens, err)
	}
}

func TestDetectionEncodeErrors(t *testing.T) {
	c, _ := NewDetection(11, 3, 4)
	tests := []struct {
		name string
		box  Box
		w, h float64
	}{
		{name: "nan", box: Box{XMin: math.NaN(), XMax: 1, YMax: 1}, w: 10, h: 10},
		{name: "inf", box: Box{XMax: math.Inf(1), YMax: 1}, w: 10, h: 10},
		{name: "class", box: Box{XMax: 1, YMax: 1, Class: 3}, w: 10, h: 10},
		{name: "negative class", box: Box{XMax: 1, YMax: 1, Class: -1}, w: 10, h: 10},
		{name: "zero width", box: Box{XMax: 1, YMax: 1}, w: 0, h: 10},
		{name: "nan height", box: Box{XMax: 1, YMax: 1}, w: 10, h: math.NaN()},
	}
	for _, tc := range tests {
		if _, err := c.Encode([]Box{{XMax: 1, YMax: 1}, tc.box}, tc.w, tc.h, nil); err == nil {
			t.Errorf("%s: Encode accepted %+v in %gx%g", tc.name, tc.box, tc.w, tc.h)
		}
	}
}

// box10 is the decoded box of bins (y0, x0, y1, x1) of an 11-bin codec on
// a 100×100 image (bin b ↔ pixel 10b), class k, score 1.
func box10(y0, x0, y1, x1, k int) Box {
	return Box{XMin: float64(x0) * 10, YMin: float64(y0) * 10, XMax: float64(x1) * 10, YMax: float64(y1) * 10, Class: k, Score: 1}
}

func TestDetectionDecodeMalformed(t *testing.T) {
	c, _ := NewDetection(11, 3, 4)
	co := c.CoordToken
	cl := c.ClassToken
	tests := []struct {
		name   string
		tokens []int32
		want   []Box
	}{
		{name: "empty"},
		{name: "eos first", tokens: []int32{EOS, co(1), co(1), co(2), co(2), cl(0)}},
		{name: "missing eos", tokens: []int32{co(1), co(2), co(3), co(4), cl(1)}, want: []Box{box10(1, 2, 3, 4, 1)}},
		{name: "stops at eos", tokens: []int32{co(1), co(2), co(3), co(4), cl(1), EOS, co(1), co(2), co(3), co(4), cl(1)}, want: []Box{box10(1, 2, 3, 4, 1)}},
		{name: "class instead of coordinate", tokens: []int32{co(1), co(2), cl(0), co(5), co(6), co(7), co(8), cl(2), EOS}, want: []Box{box10(5, 6, 7, 8, 2)}},
		{name: "coordinate instead of class", tokens: []int32{co(1), co(2), co(3), co(4), co(5), co(6), co(7), co(8), cl(2), EOS}, want: []Box{box10(5, 6, 7, 8, 2)}},
		{name: "pad and bos inside", tokens: []int32{co(1), PAD, co(1), co(2), co(3), co(4), cl(0), BOS, cl(1)}, want: []Box{box10(1, 2, 3, 4, 0)}},
		{name: "out of vocabulary", tokens: []int32{co(1), co(2), 9999, co(3), co(4), -7, co(0), co(0), co(10), co(10), cl(2)}, want: []Box{box10(0, 0, 10, 10, 2)}},
		{name: "swapped corners", tokens: []int32{co(9), co(8), co(1), co(2), cl(1)}, want: []Box{box10(1, 2, 9, 8, 1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Decode(tc.tokens, nil, 100, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Decode(%v) = %+v, want %+v", tc.tokens, got, tc.want)
			}
		})
	}
}

// TestDetectionClassFirst: the class-first layout's exact tokens, its
// grammar, and how it decodes malformed sequences.
func TestDetectionClassFirst(t *testing.T) {
	c, _ := NewDetection(11, 3, 2)
	c.ClassFirst = true
	co, cl := c.CoordToken, c.ClassToken
	tokens, err := c.Encode([]Box{{XMin: 20, YMin: 10, XMax: 40, YMax: 30, Class: 2}}, 100, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{cl(2), co(1), co(2), co(3), co(4), EOS}; !slices.Equal(tokens, want) {
		t.Fatalf("Encode = %v, want %v", tokens, want)
	}
	tests := []struct {
		name   string
		tokens []int32
		want   []Box
	}{
		{name: "two boxes", tokens: []int32{cl(0), co(1), co(2), co(3), co(4), cl(1), co(5), co(6), co(7), co(8), EOS}, want: []Box{box10(1, 2, 3, 4, 0), box10(5, 6, 7, 8, 1)}},
		{name: "coordinates before any class", tokens: []int32{co(1), co(2), co(3), co(4), cl(1), co(5), co(6), co(7), co(8)}, want: []Box{box10(5, 6, 7, 8, 1)}},
		{name: "class restarts a box", tokens: []int32{cl(0), co(1), co(2), cl(2), co(5), co(6), co(7), co(8), EOS}, want: []Box{box10(5, 6, 7, 8, 2)}},
		{name: "truncated box", tokens: []int32{cl(0), co(1), co(2), co(3), co(4), cl(1), co(5), EOS}, want: []Box{box10(1, 2, 3, 4, 0)}},
		{name: "pad inside", tokens: []int32{cl(0), co(1), PAD, co(3), co(4), cl(1), co(5), co(6), co(7), co(8)}, want: []Box{box10(5, 6, 7, 8, 1)}},
	}
	for _, tc := range tests {
		got, err := c.Decode(tc.tokens, nil, 100, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Decode(%v) = %+v, want %+v", tc.name, tc.tokens, got, tc.want)
		}
	}
	// Score: P(class) × mean P(coordinates), as in the coords-first layout.
	got, _ := c.Decode([]int32{cl(1), co(1), co(2), co(3), co(4)}, []float32{0.8, 0.5, 1, 0.5, 1}, 100, 100)
	if len(got) != 1 || math.Abs(got[0].Score-0.6) > 1e-7 {
		t.Fatalf("score %+v, want 0.6", got)
	}

	small, _ := NewDetection(5, 2, 2) // vocab: 3 specials, 5 bins, 2 classes
	small.ClassFirst = true
	coords := []bool{false, false, false, true, true, true, true, true, false, false}
	classesEOS := []bool{false, false, true, false, false, false, false, false, true, true}
	eosOnly := []bool{false, false, true, false, false, false, false, false, false, false}
	want := [][]bool{classesEOS, coords, coords, coords, coords, classesEOS, coords, coords, coords, coords, eosOnly}
	for p, w := range want {
		if got := small.Allowed(p); !slices.Equal(got, w) {
			t.Errorf("position %d: allowed %v, want %v", p, got, w)
		}
	}
}

func TestParseBoxTokens(t *testing.T) {
	for _, classFirst := range []bool{false, true} {
		c := Detection{Bins: 4, NumClasses: 2, MaxBoxes: 1, ClassFirst: classFirst}
		got, err := ParseBoxTokens(c.BoxTokens())
		if err != nil || got != classFirst {
			t.Errorf("ParseBoxTokens(%v) = %v, %v; want %v", c.BoxTokens(), got, err, classFirst)
		}
	}
	for _, bad := range [][]string{nil, {"class"}, {"xmin", "ymin", "xmax", "ymax", "class"}} {
		if _, err := ParseBoxTokens(bad); err == nil {
			t.Errorf("ParseBoxTokens(%v) accepted", bad)
		}
	}
}

func TestDetectionDecodeScore(t *testing.T) {
	c, _ := NewDetection(11, 3, 4)
	tokens := []int32{c.CoordToken(1), c.CoordToken(2), c.CoordToken(3), c.CoordToken(4), c.ClassToken(1), c.CoordToken(1), c.CoordToken(2), c.CoordToken(3), c.CoordToken(4), c.ClassToken(0), EOS}
	probs := []float32{0.5, 1, 0.5, 1, 0.8, float32(math.NaN()), 2, 1, 1, 0.5, 1}
	got, err := c.Decode(tokens, probs, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	// 0.8 × mean(0.5, 1, 0.5, 1); NaN counts as 0 and 2 as 1: 0.5 × mean(0, 1, 1, 1).
	if len(got) != 2 || math.Abs(got[0].Score-0.6) > 1e-7 || math.Abs(got[1].Score-0.375) > 1e-7 {
		t.Fatalf("scores %+v, want 0.6 and 0.375", got)
	}
	if _, err := c.Decode(tokens, probs[:3], 100, 100); err == nil {
		t.Fatal("Decode accepted 3 probabilities for 11 tokens")
	}
	if _, err := c.Decode(tokens, nil, -1, 100); err == nil {
		t.Fatal("Decode accepted a negative width")
	}
}

func TestDetectionGrammar(t *testing.T) {
	c, _ := NewDetection(5, 2, 2) // vocab: 3 specials, 5 bins, 2 classes
	coords := []bool{false, false, false, true, true, true, true, true, false, false}
	coordsEOS := slices.Clone(coords)
	coordsEOS[EOS] = true
	classes := []bool{false, false, false, false, false, false, false, false, true, true}
	eosOnly := []bool{false, false, true, false, false, false, false, false, false, false}
	want := [][]bool{coordsEOS, coords, coords, coords, classes, coordsEOS, coords, coords, coords, classes, eosOnly}
	if c.SeqLen() != len(want) {
		t.Fatalf("SeqLen %d", c.SeqLen())
	}
	mask := c.GrammarMask()
	for p, w := range want {
		if got := c.Allowed(p); !slices.Equal(got, w) {
			t.Errorf("position %d: allowed %v, want %v", p, got, w)
		}
		for tok, ok := range w {
			if m := mask[p*c.VocabSize()+tok]; (m == 0) != ok || (!ok && m != MaskValue) {
				t.Errorf("mask[%d][%d] = %g, allowed %v", p, tok, m, ok)
			}
		}
	}
	if got := c.Allowed(99); !slices.Equal(got, eosOnly) {
		t.Errorf("past the end: %v", got)
	}
	// Every encoded ground truth is grammatical.
	boxes, sizes, numClasses := loadReal2(t)
	big, _ := NewDetection(100, numClasses, 10)
	for id, bs := range boxes {
		tokens, err := big.Encode(bs, sizes[id][0], sizes[id][1], rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		for p, tok := range tokens {
			if !big.Allowed(p)[tok] {
				t.Fatalf("image %d: token %d at position %d breaks the grammar", id, tok, p)
			}
		}
	}
}

// FuzzDetectionDecode feeds arbitrary token and probability sequences to
// Decode: it must not panic, and every box must be inside the image, with
// ordered corners, a known class and a score in [0, 1].
func FuzzDetectionDecode(f *testing.F) {
	f.Add([]byte{3, 4, 5, 6, 103, 2}, []byte{255, 128, 0, 1, 2, 3}, 640.0, 480.0)
	f.Add([]byte{103, 3, 3, 3, 3, 3, 104, 0, 1}, []byte{}, 1.0, 1.0)
	f.Fuzz(func(t *testing.T, raw, rawProbs []byte, w, h float64) {
		c, _ := NewDetection(100, 10, 8)
		tokens := make([]int32, len(raw))
		for i, b := range raw {
			tokens[i] = int32(b) - 8 // includes negatives and out-of-vocabulary values
		}
		var probs []float32
		if len(rawProbs) >= len(raw) && len(raw) > 0 {
			probs = make([]float32, len(raw))
			for i := range probs {
				probs[i] = float32(rawProbs[i]) / 200 // some above 1
			}
		}
		for _, classFirst := range []bool{false, true} {
			c.ClassFirst = classFirst
			boxes, err := c.Decode(tokens, probs, w, h)
			if err != nil {
				return
			}
			for _, b := range boxes {
				if b.XMin < 0 || b.YMin < 0 || b.XMax > w || b.YMax > h || b.XMin > b.XMax || b.YMin > b.YMax ||
					b.Class < 0 || b.Class >= 10 || !(b.Score >= 0 && b.Score <= 1) {
					t.Fatalf("bad box %+v from %v in %gx%g (class first %v)", b, tokens, w, h, classFirst)
				}
			}
		}
	})
}
