package codec

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// mustChroma is NewChroma that fails the test on an error.
func mustChroma(t *testing.T, size, patch, sub, k int) *Chroma {
	t.Helper()
	c, err := NewChroma(size, patch, sub, k)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChromaLayout(t *testing.T) {
	for _, tc := range []struct {
		size, patch, sub, k                   int
		grid, dim, vocab, seqLen, planeValues int
	}{
		{64, 8, 2, 512, 8, 32, 515, 65, 2 * 64 * 64},
		{64, 8, 1, 16, 8, 128, 19, 65, 2 * 64 * 64},
		{4, 2, 1, 5, 2, 8, 8, 5, 32},
		{4, 4, 4, 1, 1, 2, 4, 2, 32},
	} {
		c := mustChroma(t, tc.size, tc.patch, tc.sub, tc.k)
		if c.Grid() != tc.grid || c.Dim() != tc.dim || c.K() != tc.k || c.VocabSize() != tc.vocab || c.SeqLen() != tc.seqLen {
			t.Errorf("NewChroma(%d, %d, %d, %d): grid %d dim %d k %d vocab %d seq %d, want %d %d %d %d %d",
				tc.size, tc.patch, tc.sub, tc.k, c.Grid(), c.Dim(), c.K(), c.VocabSize(), c.SeqLen(),
				tc.grid, tc.dim, tc.k, tc.vocab, tc.seqLen)
		}
		codes := make([]int32, tc.grid*tc.grid)
		plane, err := c.Decode(codes)
		if err != nil || len(plane) != tc.planeValues {
			t.Errorf("Decode of %d zero codes: %d values, err %v; want %d", len(codes), len(plane), err, tc.planeValues)
		}
	}
}

func TestChromaTokensCodes(t *testing.T) {
	c := mustChroma(t, 4, 2, 1, 5) // 2×2 grid: 4 codes, tokens 3..7
	codes := []int32{0, 4, 2, 1}
	toks := c.Tokens(codes)
	if want := []int32{3, 7, 5, 4, EOS}; !slices.Equal(toks, want) {
		t.Fatalf("Tokens(%v) = %v, want %v", codes, toks, want)
	}
	for _, tc := range []struct {
		name   string
		tokens []int32
		want   []int32
		err    string // "" when valid
	}{
		{"round trip", toks, codes, ""},
		{"no EOS needed", []int32{3, 7, 5, 4}, codes, ""},
		{"tail ignored", []int32{7, 7, 7, 3, EOS, PAD, 9}, []int32{4, 4, 4, 0}, ""},
		{"empty", nil, nil, "0 tokens, want 4 codes"},
		{"short", []int32{3, 4, 5}, nil, "3 tokens, want 4 codes"},
		{"EOS early", []int32{3, 4, EOS, 5, EOS}, nil, "token 2 at position 2 is not a code"},
		{"PAD first", []int32{PAD, 4, 5, 6, EOS}, nil, "token 0 at position 0 is not a code"},
		{"BOS", []int32{3, BOS, 5, 6, EOS}, nil, "token 1 at position 1 is not a code"},
		{"past the codebook", []int32{3, 4, 5, 8, EOS}, nil, "token 8 at position 3 is not a code"},
		{"negative", []int32{3, 4, -1, 6, EOS}, nil, "token -1 at position 2 is not a code"},
		{"huge", []int32{math.MaxInt32, 4, 5, 6, EOS}, nil, "at position 0 is not a code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Codes(tc.tokens)
			if tc.err == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("Codes(%v) = %v, %v; want %v", tc.tokens, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Codes(%v) = %v, %v; want an error containing %q", tc.tokens, got, err, tc.err)
			}
		})
	}
}

func TestChromaGrammarMask(t *testing.T) {
	for _, c := range []*Chroma{mustChroma(t, 4, 2, 1, 5), mustChroma(t, 8, 4, 2, 2), mustChroma(t, 2, 2, 1, 1)} {
		v, n := c.VocabSize(), c.SeqLen()
		m := c.GrammarMask()
		if len(m) != n*v {
			t.Fatalf("grid %d k %d: mask of %d values, want %d", c.Grid(), c.K(), len(m), n*v)
		}
		// An additive logit mask, like the other codecs': 0 allowed,
		// MaskValue forbidden.
		allowed := 0
		for p := range n {
			for tok := range v {
				want := float32(MaskValue)
				if (p < c.Grid()*c.Grid() && tok >= CodeOffset) || (p == n-1 && tok == int(EOS)) {
					want = 0
				}
				if m[p*v+tok] != want {
					t.Errorf("grid %d k %d: mask[position %d, token %d] = %g, want %g", c.Grid(), c.K(), p, tok, m[p*v+tok], want)
				}
				if m[p*v+tok] == 0 {
					allowed++
				}
			}
		}
		if want := c.Grid()*c.Grid()*c.K() + 1; allowed != want {
			t.Errorf("grid %d k %d: %d allowed entries, want %d", c.Grid(), c.K(), allowed, want)
		}
	}
}

func TestLumaMatchesPIL(t *testing.T) {
	// PIL's Image.convert("L") of these pixels.
	for _, tc := range []struct{ r, g, b, want uint8 }{
		{0, 0, 0, 0}, {255, 255, 255, 255}, {128, 128, 128, 128}, {1, 1, 1, 1}, {254, 254, 254, 254},
		{255, 0, 0, 76}, {0, 255, 0, 150}, {0, 0, 255, 29}, {255, 255, 0, 226}, {10, 200, 30, 124},
	} {
		if got := Luma(tc.r, tc.g, tc.b); got != tc.want {
			t.Errorf("Luma(%d, %d, %d) = %d, want %d", tc.r, tc.g, tc.b, got, tc.want)
		}
	}
}

func TestChromaOfAndToRGB(t *testing.T) {
	for _, tc := range []struct {
		r, g, b uint8
		cb, cr  float32
	}{
		{128, 128, 128, 0, 0},
		{255, 0, 0, -43.02768, 127.5},
		{0, 255, 0, -84.47232, -106.76544},
		{0, 0, 255, 127.5, -20.73456},
	} {
		cb, cr := chromaOf(tc.r, tc.g, tc.b)
		if math.Abs(float64(cb-tc.cb)) > 1e-3 || math.Abs(float64(cr-tc.cr)) > 1e-3 {
			t.Errorf("chromaOf(%d, %d, %d) = %g, %g; want %g, %g", tc.r, tc.g, tc.b, cb, cr, tc.cb, tc.cr)
		}
	}
	// Worked by hand: y 100, Cb 10, Cr −20 → R 71.96, G 110.84, B 117.72.
	if r, g, b := toRGB(100, 10, -20); r != 72 || g != 111 || b != 118 {
		t.Errorf("toRGB(100, 10, -20) = %d %d %d, want 72 111 118", r, g, b)
	}
	// Out of gamut at both ends: the chroma offsets (56.08, −42.33, 70.88)
	// are scaled by t = 5/70.88 so that B just fits; the luminance stays
	// (0.299·254 + 0.587·247 + 0.114·255 = 250.0), where clipping the
	// channels (255, 208, 255) would have made it 232.
	if r, g, b := toRGB(250, 40, 40); r != 254 || g != 247 || b != 255 {
		t.Errorf("toRGB(250, 40, 40) = %d %d %d, want 254 247 255", r, g, b)
	}
	if r, g, b := toRGB(5, -40, -40); r != 1 || g != 8 || b != 0 {
		t.Errorf("toRGB(5, -40, -40) = %d %d %d, want 1 8 0", r, g, b)
	}
}

func TestChromaDecodeByHand(t *testing.T) {
	// One 4×4 patch, sub 2: a 2×2 block of Cb then of Cr, each value
	// repeated over 2×2 pixels.
	c := mustChroma(t, 4, 4, 2, 2)
	c.Centers[1] = []float32{1, 2, 3, 4, -1, -2, -3, -4}
	got, err := c.Decode([]int32{1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		1, -1, 1, -1, 2, -2, 2, -2,
		1, -1, 1, -1, 2, -2, 2, -2,
		3, -3, 3, -3, 4, -4, 4, -4,
		3, -3, 3, -3, 4, -4, 4, -4,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Decode = %v\nwant %v", got, want)
	}
	// A 2×2 image with patch 1: each code is one pixel.
	c = mustChroma(t, 2, 1, 1, 3)
	c.Centers = [][]float32{{0, 0}, {5, -5}, {7, 9}}
	got, err = c.Decode([]int32{2, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{7, 9, 0, 0, 5, -5, 7, 9}; !slices.Equal(got, want) {
		t.Errorf("Decode = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		codes []int32
		err   string
	}{
		{nil, "0 codes, want 4"},
		{[]int32{0, 1, 2}, "3 codes, want 4"},
		{[]int32{0, 1, 2, 0, 1}, "5 codes, want 4"},
		{[]int32{0, 1, 3, 0}, "code 3 at position 2, want 0..2"},
		{[]int32{-1, 1, 2, 0}, "code -1 at position 0, want 0..2"},
	} {
		if _, err := c.Decode(tc.codes); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Decode(%v): err %v, want %q", tc.codes, err, tc.err)
		}
	}
}

func TestChromaNearestTiesAndDistance(t *testing.T) {
	c := mustChroma(t, 1, 1, 1, 4)
	c.Centers = [][]float32{{0, 0}, {2, 0}, {0, 2}, {2, 0}}
	for _, tc := range []struct {
		v     []float32
		code  int32
		dist2 float32
	}{
		{[]float32{0, 0}, 0, 0},
		{[]float32{1, 0}, 0, 1}, // tie between 0 and 1: the lower code
		{[]float32{2, 0}, 1, 0}, // tie between 1 and 3
		{[]float32{0, 3}, 2, 1},
		{[]float32{1, 1}, 0, 2}, // three-way tie
	} {
		code, d := c.Nearest(tc.v)
		if code != tc.code || d != tc.dist2 {
			t.Errorf("Nearest(%v) = %d, %g; want %d, %g", tc.v, code, d, tc.code, tc.dist2)
		}
	}
}

// patchImage is a size×size RGB image whose patch p (raster order, patch
// pixels a side) is colours[p] in every pixel.
func patchImage(size, patch int, colours [][3]uint8) []uint8 {
	g := size / patch
	pix := make([]uint8, 3*size*size)
	for y := range size {
		for x := range size {
			col := colours[(y/patch)*g+x/patch]
			copy(pix[3*(y*size+x):], col[:])
		}
	}
	return pix
}

func TestChromaEncodeDecodeCodebookImage(t *testing.T) {
	palette := [][3]uint8{{128, 128, 128}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {200, 180, 40}, {30, 90, 160}}
	// Hand-computed chroma of the first four (see TestChromaOfAndToRGB).
	hand := [][2]float32{{0, 0}, {-43.02768, 127.5}, {-84.47232, -106.76544}, {127.5, -20.73456}}
	for _, sub := range []int{1, 2} {
		const size, patch = 8, 4 // 2×2 grid
		c := mustChroma(t, size, patch, sub, len(palette)+2)
		// Code k+1 is palette colour k's patch vector; codes 0 and K−1 are
		// distractors (half and negated), so Encode must pick exactly.
		for k, col := range palette {
			one := mustChroma(t, patch, patch, sub, 1)
			vs, err := one.Vectors(patchImage(patch, patch, [][3]uint8{col}))
			if err != nil {
				t.Fatal(err)
			}
			c.Centers[k+1] = vs[0]
		}
		for d := range c.Dim() {
			c.Centers[0][d] = c.Centers[2][d] / 2
			c.Centers[c.K()-1][d] = -c.Centers[3][d]
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, want := range [][]int32{{1, 2, 3, 4}, {6, 5, 1, 2}, {4, 4, 4, 4}} {
			cols := make([][3]uint8, len(want))
			for i, k := range want {
				cols[i] = palette[k-1]
			}
			pix := patchImage(size, patch, cols)
			got, err := c.Encode(pix)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("sub %d: Encode = %v, %v; want %v", sub, got, err, want)
				continue
			}
			plane, err := c.Decode(got)
			if err != nil {
				t.Fatal(err)
			}
			for y := range size {
				for x := range size {
					k := want[(y/patch)*c.Grid()+x/patch]
					ctr := c.Centers[k]
					q := patch / sub
					o := 2 * (y*size + x)
					if plane[o] != ctr[0] || plane[o+1] != ctr[q*q] {
						t.Fatalf("sub %d codes %v: plane at (%d, %d) = %g, %g; want code %d's %g, %g", sub, want, x, y, plane[o], plane[o+1], k, ctr[0], ctr[q*q])
					}
					if int(k-1) < len(hand) {
						h := hand[k-1]
						if math.Abs(float64(plane[o]-h[0])) > 1e-3 || math.Abs(float64(plane[o+1]-h[1])) > 1e-3 {
							t.Fatalf("sub %d: plane at (%d, %d) = %g, %g; want %g, %g", sub, x, y, plane[o], plane[o+1], h[0], h[1])
						}
					}
				}
			}
			// The plane is the image's own chroma: colorizing the image
			// with it gives the image back, ±1 a byte.
			out, err := Colorize(pix, size, size, plane, size, size, size)
			if err != nil {
				t.Fatal(err)
			}
			for i := range out {
				if d := int(out[i]) - int(pix[i]); d < -1 || d > 1 {
					t.Fatalf("sub %d codes %v: colorized byte %d = %d, input %d", sub, want, i, out[i], pix[i])
				}
			}
		}
	}
}

func TestChromaVectorsSubsampling(t *testing.T) {
	// A 2×2 patch, sub 2: one value, the mean of the four pixels' chroma.
	c := mustChroma(t, 2, 2, 2, 1)
	pix := []uint8{255, 0, 0, 0, 0, 255, 128, 128, 128, 128, 128, 128}
	vs, err := c.Vectors(pix)
	if err != nil {
		t.Fatal(err)
	}
	wantCb, wantCr := float32((-43.02768+127.5)/4), float32((127.5-20.73456)/4)
	if len(vs) != 1 || len(vs[0]) != 2 || math.Abs(float64(vs[0][0]-wantCb)) > 1e-4 || math.Abs(float64(vs[0][1]-wantCr)) > 1e-4 {
		t.Errorf("Vectors = %v, want [[%g %g]]", vs, wantCb, wantCr)
	}
	for _, n := range []int{0, 11, 13} {
		if _, err := c.Vectors(make([]uint8, n)); err == nil || !strings.Contains(err.Error(), "want a 2×2 RGB image") {
			t.Errorf("Vectors of %d bytes: err %v", n, err)
		}
		if _, err := c.Encode(make([]uint8, n)); err == nil {
			t.Errorf("Encode of %d bytes accepted", n)
		}
	}
}

func TestColorizeIdentityKeepsLuminance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 16
	for trial := range 20 {
		pix := make([]uint8, 3*size*size)
		plane := make([]float32, 2*size*size)
		own := make([]float32, 2*size*size)
		for i := range size * size {
			for c := range 3 {
				pix[3*i+c] = uint8(64 + rng.IntN(129)) // 64..192
			}
			// In gamut for any luminance in 64..192: |Cb|, |Cr| ≤ 30.
			plane[2*i], plane[2*i+1] = float32(rng.Float64()*60-30), float32(rng.Float64()*60-30)
			own[2*i], own[2*i+1] = chromaOf(pix[3*i], pix[3*i+1], pix[3*i+2])
		}
		out, err := Colorize(pix, size, size, plane, size, size, size)
		if err != nil {
			t.Fatal(err)
		}
		for i := range size * size {
			lin, lout := int(Luma(pix[3*i], pix[3*i+1], pix[3*i+2])), int(Luma(out[3*i], out[3*i+1], out[3*i+2]))
			if lout-lin < -1 || lout-lin > 1 {
				t.Fatalf("trial %d pixel %d: luminance %d → %d", trial, i, lin, lout)
			}
			// The plane is sampled pixel to pixel: the output's chroma is the plane's.
			cb, cr := chromaOf(out[3*i], out[3*i+1], out[3*i+2])
			if math.Abs(float64(cb-plane[2*i])) > 2 || math.Abs(float64(cr-plane[2*i+1])) > 2 {
				t.Fatalf("trial %d pixel %d: output chroma %g, %g; plane %g, %g", trial, i, cb, cr, plane[2*i], plane[2*i+1])
			}
		}
		// The image's own chroma gives the image back, ±1 a byte.
		back, err := Colorize(pix, size, size, own, size, size, size)
		if err != nil {
			t.Fatal(err)
		}
		for i := range back {
			if d := int(back[i]) - int(pix[i]); d < -1 || d > 1 {
				t.Fatalf("trial %d byte %d: own chroma gives %d, input %d", trial, i, back[i], pix[i])
			}
		}
	}
}

func TestColorizeGrayZeroPlaneUnchanged(t *testing.T) {
	const size = 16
	pix := make([]uint8, 3*size*size)
	for i := range size * size {
		v := uint8(i) // 0..255: every level
		pix[3*i], pix[3*i+1], pix[3*i+2] = v, v, v
	}
	out, err := Colorize(pix, size, size, make([]float32, 2*size*size), size, size, size)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, pix) {
		t.Errorf("gray image with a zero plane changed")
	}
	// Also when the image is resampled from a letterboxed plane.
	_, err = Colorize(pix, 32, 24, make([]float32, 2*64*64), 64, 40, 30)
	if err == nil {
		t.Errorf("a %d-byte image taken as 32×24", len(pix))
	}
	out, err = Colorize(pix[:3*16*8], 16, 8, make([]float32, 2*64*64), 64, 40, 30)
	if err != nil || !slices.Equal(out, pix[:3*16*8]) {
		t.Errorf("16×8 gray image, zero letterboxed plane: changed (err %v)", err)
	}
}

// grayImage is a w×h RGB image of one gray level.
func grayImage(w, h int, level uint8) []uint8 {
	pix := make([]uint8, 3*w*h)
	for i := range pix {
		pix[i] = level
	}
	return pix
}

// wantColours is the RGB of gray level y under per-pixel chroma (Cb, Cr).
func wantColours(y float32, cb, cr [][]float32) []uint8 {
	var out []uint8
	for r := range cb {
		for c := range cb[r] {
			R, G, B := toRGB(y, cb[r][c], cr[r][c])
			out = append(out, R, G, B)
		}
	}
	return out
}

func TestColorizeResamples(t *testing.T) {
	junk := float32(math.NaN()) // outside the content: must never be sampled
	// plane builds a size² plane whose top-left rows×cols hold cb, cr and
	// the rest junk.
	plane := func(size int, cb, cr [][]float32) []float32 {
		p := make([]float32, 2*size*size)
		for i := range p {
			p[i] = junk
		}
		for y := range cb {
			for x := range cb[y] {
				p[2*(y*size+x)], p[2*(y*size+x)+1] = cb[y][x], cr[y][x]
			}
		}
		return p
	}
	cb2 := [][]float32{{0, 40}, {80, 120}}
	cr2 := [][]float32{{10, 10}, {-10, -10}}
	// Upsampling 2 → 4, pixel centres: column x samples plane column
	// (x+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25, clamped at the ends.
	up4Cb := [][]float32{{0, 10, 30, 40}, {20, 30, 50, 60}, {60, 70, 90, 100}, {80, 90, 110, 120}}
	up4Cr := [][]float32{{10, 10, 10, 10}, {5, 5, 5, 5}, {-5, -5, -5, -5}, {-10, -10, -10, -10}}
	for _, tc := range []struct {
		name             string
		w, h             int
		plane            []float32
		size, cw, ch     int
		wantCb, wantCr   [][]float32
		wantFirstPixel   [3]uint8 // worked by hand at gray 100
		checkFirstByHand bool
	}{
		{"2x larger", 4, 4, plane(2, cb2, cr2), 2, 2, 2, up4Cb, up4Cr, [3]uint8{114, 93, 100}, true},
		{"2x larger, letterboxed", 4, 4, plane(8, cb2, cr2), 8, 2, 2, up4Cb, up4Cr, [3]uint8{114, 93, 100}, true},
		{"same size, letterboxed", 2, 2, plane(4, cb2, cr2), 4, 2, 2, cb2, cr2, [3]uint8{}, false},
		{"wide content: one plane row for every image row", 4, 2, plane(4, cb2[:1], cr2[:1]), 4, 2, 1,
			[][]float32{{0, 10, 30, 40}, {0, 10, 30, 40}}, [][]float32{{10, 10, 10, 10}, {10, 10, 10, 10}}, [3]uint8{}, false},
		{"2x smaller: pixel centres fall between plane pixels", 1, 1, plane(4, cb2, cr2), 4, 2, 2,
			[][]float32{{60}}, [][]float32{{0}}, [3]uint8{100, 79, 206}, true},
		{"tall image on a square content", 2, 4, plane(2, cb2, cr2), 2, 2, 2,
			[][]float32{{0, 40}, {20, 60}, {60, 100}, {80, 120}}, [][]float32{{10, 10}, {5, 5}, {-5, -5}, {-10, -10}}, [3]uint8{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pix := grayImage(tc.w, tc.h, 100)
			got, err := Colorize(pix, tc.w, tc.h, tc.plane, tc.size, tc.cw, tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantColours(100, tc.wantCb, tc.wantCr); !slices.Equal(got, want) {
				t.Errorf("Colorize =\n%v\nwant\n%v", got, want)
			}
			if tc.checkFirstByHand && [3]uint8(got[:3]) != tc.wantFirstPixel {
				t.Errorf("first pixel %v, want %v", got[:3], tc.wantFirstPixel)
			}
		})
	}
}

func TestColorizeErrors(t *testing.T) {
	ok := grayImage(4, 4, 50)
	plane := make([]float32, 2*4*4)
	for _, tc := range []struct {
		name          string
		pix           []uint8
		w, h          int
		plane         []float32
		size, cw, chh int
		err           string
	}{
		{"zero width", nil, 0, 4, plane, 4, 4, 4, "0 bytes for a 0×4 RGB image"},
		{"negative height", ok, 16, -1, plane, 4, 4, 4, "for a 16×-1 RGB image"},
		{"short image", ok[:47], 4, 4, plane, 4, 4, 4, "47 bytes for a 4×4 RGB image"},
		{"long image", append(slices.Clone(ok), 0, 0, 0), 4, 4, plane, 4, 4, 4, "51 bytes"},
		{"nil image", nil, 4, 4, plane, 4, 4, 4, "0 bytes for a 4×4"},
		{"short plane", ok, 4, 4, plane[:31], 4, 4, 4, "chroma plane of 31 values, want 32"},
		{"plane of another size", ok, 4, 4, plane, 2, 2, 2, "chroma plane of 32 values, want 8"},
		{"zero size", ok, 4, 4, nil, 0, 1, 1, "content 1×1 outside the 0² plane"},
		{"zero content", ok, 4, 4, plane, 4, 0, 4, "content 0×4 outside"},
		{"negative content", ok, 4, 4, plane, 4, 4, -2, "content 4×-2 outside"},
		{"content wider than the plane", ok, 4, 4, plane, 4, 5, 4, "content 5×4 outside the 4² plane"},
		{"content taller than the plane", ok, 4, 4, plane, 4, 4, 5, "content 4×5 outside the 4² plane"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Colorize(tc.pix, tc.w, tc.h, tc.plane, tc.size, tc.cw, tc.chh)
			if err == nil || out != nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Colorize: %d bytes, err %v; want nil and an error containing %q", len(out), err, tc.err)
			}
		})
	}
}

func TestChromaValidate(t *testing.T) {
	good := func() *Chroma {
		return &Chroma{Size: 4, Patch: 2, Sub: 2, Centers: [][]float32{{0, 0}, {1.5, -3}}}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, tc := range []struct {
		name string
		edit func(c *Chroma)
		err  string // "" when valid
	}{
		{"valid", func(*Chroma) {}, ""},
		{"sub 1", func(c *Chroma) { c.Sub = 1; c.Centers = [][]float32{make([]float32, 8)} }, ""},
		{"NaN centre", func(c *Chroma) { c.Centers[1][0] = nan }, "codebook vector 1 holds NaN"},
		{"infinite centre", func(c *Chroma) { c.Centers[0][1] = inf }, "codebook vector 0 holds -Inf"},
		{"huge centre", func(c *Chroma) { c.Centers[0][1] = 3e38 }, "codebook vector 0 holds 3e+38, want a value in ±256"},
		{"short vector", func(c *Chroma) { c.Centers[1] = []float32{1} }, "codebook vector 1 has 1 values, want 2"},
		{"long vector", func(c *Chroma) { c.Centers[0] = make([]float32, 8) }, "codebook vector 0 has 8 values, want 2"},
		{"nil vector", func(c *Chroma) { c.Centers[0] = nil }, "codebook vector 0 has 0 values, want 2"},
		{"vectors of sub 1 under sub 2", func(c *Chroma) { c.Centers = [][]float32{make([]float32, 8)} }, "has 8 values, want 2"},
		{"empty codebook", func(c *Chroma) { c.Centers = nil }, "empty codebook"},
		{"patch not dividing size", func(c *Chroma) { c.Size = 5 }, "patch 2 must divide size 5"},
		{"patch larger than size", func(c *Chroma) { c.Size, c.Patch = 2, 4 }, "patch 4 must divide size 2"},
		{"sub not dividing patch", func(c *Chroma) { c.Size, c.Patch, c.Sub = 6, 3, 2 }, "sub 2 divide patch"},
		{"sub larger than patch", func(c *Chroma) { c.Sub = 4 }, "sub 4 divide patch"},
		{"zero size", func(c *Chroma) { c.Size = 0 }, "size 0, patch 2, sub 2: want all ≥ 1"},
		{"zero patch", func(c *Chroma) { c.Patch = 0 }, "want all ≥ 1"},
		{"zero sub", func(c *Chroma) { c.Sub = 0 }, "want all ≥ 1"},
		{"negative sub", func(c *Chroma) { c.Sub = -2 }, "want all ≥ 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.edit(c)
			err := c.Validate()
			if tc.err == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Validate: %v, want an error containing %q", err, tc.err)
			}
		})
	}
	for _, tc := range []struct{ size, patch, sub, k int }{{10, 4, 1, 2}, {8, 4, 3, 2}, {8, 4, 2, 0}, {0, 0, 0, 1}, {8, 4, -1, 2}} {
		if _, err := NewChroma(tc.size, tc.patch, tc.sub, tc.k); err == nil {
			t.Errorf("NewChroma(%d, %d, %d, %d) accepted", tc.size, tc.patch, tc.sub, tc.k)
		}
	}
}

func TestChromaSaveLoad(t *testing.T) {
	dir := t.TempDir()
	c := mustChroma(t, 8, 4, 2, 3)
	c.Centers[0] = []float32{0.1, -0.2, 1.0 / 3, float32(math.Pi), -127.5, 1e-7, 255.99998, -0}
	c.Centers[1] = []float32{math.SmallestNonzeroFloat32, -256, 42, -42, 0.5, 2, 200.12345, -1e-30}
	c.Centers[2] = []float32{float32(math.Nextafter32(1, 2)), 127.49999, -84.47232, 0, 0, 0, 0, 0}
	path := filepath.Join(dir, "codebook.json")
	if err := SaveChroma(c, path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadChroma(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("loaded %+v\nsaved %+v", got, c)
	}
	for k := range c.Centers {
		for d := range c.Centers[k] {
			if math.Float32bits(got.Centers[k][d]) != math.Float32bits(c.Centers[k][d]) {
				t.Errorf("centre %d value %d: %g loaded as %g", k, d, c.Centers[k][d], got.Centers[k][d])
			}
		}
	}
	// Saving over it replaces it, leaving no temporary file.
	c.Centers[2][7] = 9
	if err := SaveChroma(c, path); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadChroma(path); err != nil || got.Centers[2][7] != 9 {
		t.Errorf("after a second save: %v, err %v", got, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d files after two saves, want 1", len(entries))
	}

	for _, tc := range []struct {
		name, body string
		err        []string
	}{
		{"truncated", `{"size":8,"patch":4,"sub":2,"centers":[[0,0`, []string{"load chroma codebook", "bad-truncated.json"}},
		{"not JSON", "codebook", []string{"bad-not JSON.json", "not JSON: byte 0 is 0x63"}},
		{"a panoptic code", `{"size":64,"patch":8,"ranks":4,"iters":3,"stuff":[11],"things":[1],"codes":[[0]]}`,
			[]string{"bad-a panoptic code.json is not a chroma codebook but a panoptic code"}},
		{"wrong type", `{"size":"8"}`, []string{"bad-wrong type.json"}},
		{"NaN-free but invalid", `{"size":8,"patch":3,"sub":1,"centers":[[0,0]]}`, []string{"load", "bad-NaN-free but invalid.json", "patch 3 must divide size 8"}},
		{"short vector", `{"size":8,"patch":4,"sub":2,"centers":[[0,0,0]]}`, []string{"bad-short vector.json", "codebook vector 0 has 3 values, want 8"}},
		{"no centres", `{"size":8,"patch":4,"sub":2}`, []string{"bad-no centres.json", "empty codebook"}},
		{"empty file", "", []string{"bad-empty file.json"}},
	} {
		p := filepath.Join(dir, "bad-"+tc.name+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadChroma(p)
		if err == nil || got != nil {
			t.Errorf("%s: LoadChroma = %v, %v; want an error", tc.name, got, err)
			continue
		}
		for _, s := range tc.err {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, s)
			}
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the path %s", tc.name, err, p)
		}
	}
	if _, err := LoadChroma(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: err %v", err)
	}
	if err := SaveChroma(c, filepath.Join(dir, "no", "such", "folder", "c.json")); err == nil {
		t.Errorf("save into a missing folder succeeded")
	}
}
