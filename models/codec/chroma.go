package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"rewardvision/internal/atomicfile"
)

// Chroma is stage I of the colorization model (UViM's discrete code of
// the target): an image's colour (its Cb and Cr planes, BT.601 full range,
// centred on 0) is cut into Grid×Grid patches of Patch×Patch pixels, each
// patch subsampled by Sub and replaced by the nearest of K codebook
// vectors. Luminance is never coded: the output takes it from the input.
//
// A code k is token CodeOffset+k; a sequence is Grid² codes in raster
// order followed by EOS.
type Chroma struct {
	Size  int `json:"size"`  // image side in pixels
	Patch int `json:"patch"` // pixels per code, each side
	Sub   int `json:"sub"`   // chroma subsampling inside a patch (1: none)
	// Centers are the K codebook vectors, each Dim() values: the Cb block
	// then the Cr block, (Patch/Sub)² values each in raster order.
	Centers [][]float32 `json:"centers"`
}

// maxChroma bounds a codebook value (centred chroma is within ±127.5).
const maxChroma float32 = 256

// CodeOffset is the token of code 0 (after PAD, BOS, EOS).
const CodeOffset = 3

// NewChroma checks the layout and returns a codebook of k zero vectors.
func NewChroma(size, patch, sub, k int) (*Chroma, error) {
	c := &Chroma{Size: size, Patch: patch, Sub: sub, Centers: make([][]float32, k)}
	for i := range c.Centers {
		c.Centers[i] = make([]float32, c.dimOf())
	}
	return c, c.Validate()
}

func (c *Chroma) dimOf() int {
	if c.Sub <= 0 {
		return 0
	}
	q := c.Patch / c.Sub
	return 2 * q * q
}

// Validate reports a layout that does not tile the image or a codebook of
// the wrong shape.
func (c *Chroma) Validate() error {
	switch {
	case c.Size < 1 || c.Patch < 1 || c.Sub < 1:
		return fmt.Errorf("chroma code: size %d, patch %d, sub %d: want all ≥ 1", c.Size, c.Patch, c.Sub)
	case c.Size%c.Patch != 0 || c.Patch%c.Sub != 0:
		return fmt.Errorf("chroma code: patch %d must divide size %d and sub %d divide patch", c.Patch, c.Size, c.Sub)
	case len(c.Centers) < 1:
		return errors.New("chroma code: empty codebook")
	}
	for k, v := range c.Centers {
		if len(v) != c.dimOf() {
			return fmt.Errorf("chroma code: codebook vector %d has %d values, want %d", k, len(v), c.dimOf())
		}
		for _, x := range v {
			// Centred Cb and Cr lie in ±127.5; anything far outside is
			// a corrupt file (and would overflow to NaN in toRGB).
			if !(x >= -maxChroma && x <= maxChroma) {
				return fmt.Errorf("chroma code: codebook vector %d holds %g, want a value in ±%g", k, x, maxChroma)
			}
		}
	}
	return nil
}

// Grid is the codes per side; K the codebook size; Dim one vector's length.
func (c *Chroma) Grid() int { return c.Size / c.Patch }
func (c *Chroma) K() int    { return len(c.Centers) }
func (c *Chroma) Dim() int  { return c.dimOf() }

func (c *Chroma) grid() codeGrid {
	return codeGrid{name: "chroma code", n: c.Grid() * c.Grid(), k: c.K()}
}

// VocabSize counts the special tokens and the codes; SeqLen is the codes
// of one image and EOS.
func (c *Chroma) VocabSize() int { return c.grid().vocabSize() }
func (c *Chroma) SeqLen() int    { return c.grid().seqLen() }

// GrammarMask allows only codes at the Grid² code positions and only EOS
// at the last: the additive logit mask [SeqLen·VocabSize] of the other
// codecs, 0 where allowed, MaskValue elsewhere.
func (c *Chroma) GrammarMask() []float32 { return c.grid().mask() }

// Tokens turns codes into a target sequence (codes, then EOS).
func (c *Chroma) Tokens(codes []int32) []int32 { return c.grid().tokens(codes) }

// Codes reads the Grid² codes from the front of a decoded sequence; a
// sequence too short or holding a non-code token there is an error.
func (c *Chroma) Codes(tokens []int32) ([]int32, error) { return c.grid().codes(tokens) }

// Luma is the 8-bit luminance of an sRGB pixel as PIL's convert("L")
// computes it (the gray/ images of `data gen`).
func Luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// chromaOf is the centred Cb, Cr of an sRGB pixel (BT.601 full range).
func chromaOf(r, g, b uint8) (cb, cr float32) {
	R, G, B := float32(r), float32(g), float32(b)
	return -0.168736*R - 0.331264*G + 0.5*B, 0.5*R - 0.418688*G - 0.081312*B
}

// toRGB recombines luminance y (0..255) with centred chroma, rounded to 8
// bits. Chroma that would take a channel out of 0..255 at this luminance is
// scaled towards gray until it fits: the chroma offsets carry no luminance,
// so the output keeps y exactly (up to rounding each channel), where
// clipping the channels would change it.
func toRGB(y, cb, cr float32) (uint8, uint8, uint8) {
	d := [3]float32{1.402 * cr, -0.344136*cb - 0.714136*cr, 1.772 * cb}
	t := float32(1)
	for _, v := range d {
		switch {
		case y+v > 255:
			t = min(t, (255-y)/v)
		case y+v < 0:
			t = min(t, -y/v)
		}
	}
	t = max(t, 0)
	return clip8(y + t*d[0]), clip8(y + t*d[1]), clip8(y + t*d[2])
}

func clip8(v float32) uint8 {
	return uint8(math.Round(float64(min(max(v, 0), 255))))
}

// Vectors cuts a Size×Size RGB image (3 bytes a pixel) into its Grid²
// chroma patch vectors, in code order: what the codebook quantises.
func (c *Chroma) Vectors(pix []uint8) ([][]float32, error) {
	if len(pix) != 3*c.Size*c.Size {
		return nil, fmt.Errorf("chroma code: %d bytes, want a %d×%d RGB image", len(pix), c.Size, c.Size)
	}
	g, q, s := c.Grid(), c.Patch/c.Sub, c.Sub
	norm := 1 / float32(s*s)
	out := make([][]float32, 0, g*g)
	for py := range g {
		for px := range g {
			v := make([]float32, 2*q*q)
			for y := range c.Patch {
				for x := range c.Patch {
					i := 3 * ((py*c.Patch+y)*c.Size + px*c.Patch + x)
					cb, cr := chromaOf(pix[i], pix[i+1], pix[i+2])
					j := (y/s)*q + x/s
					v[j] += cb * norm
					v[q*q+j] += cr * norm
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// Nearest is the code of the codebook vector nearest to v (squared
// Euclidean distance; ties go to the lower code) and that distance.
func (c *Chroma) Nearest(v []float32) (int32, float32) {
	best, bestD := 0, float32(math.Inf(1))
	for k, ctr := range c.Centers {
		var d float32
		for i, x := range v {
			e := x - ctr[i]
			d += e * e
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return int32(best), bestD
}

// Encode is the code of each patch of a Size×Size RGB image: the target
// of stage II.
func (c *Chroma) Encode(pix []uint8) ([]int32, error) {
	vs, err := c.Vectors(pix)
	if err != nil {
		return nil, err
	}
	codes := make([]int32, len(vs))
	for i, v := range vs {
		codes[i], _ = c.Nearest(v)
	}
	return codes, nil
}

// Decode is the chroma plane of Grid² codes: Size×Size pixels, Cb and Cr
// interleaved, each code's subsampled values repeated over Sub×Sub pixels.
// The exported code decoder (models/export) computes the same plane.
func (c *Chroma) Decode(codes []int32) ([]float32, error) {
	g, q, s := c.Grid(), c.Patch/c.Sub, c.Sub
	if len(codes) != g*g {
		return nil, fmt.Errorf("chroma code: %d codes, want %d", len(codes), g*g)
	}
	out := make([]float32, 2*c.Size*c.Size)
	for p, k := range codes {
		if k < 0 || int(k) >= c.K() {
			return nil, fmt.Errorf("chroma code: code %d at position %d, want 0..%d", k, p, c.K()-1)
		}
		v := c.Centers[k]
		py, px := p/g, p%g
		for y := range c.Patch {
			for x := range c.Patch {
				j := (y/s)*q + x/s
				o := 2 * ((py*c.Patch+y)*c.Size + px*c.Patch + x)
				out[o], out[o+1] = v[j], v[q*q+j]
			}
		}
	}
	return out, nil
}

// Colorize puts a chroma plane (size×size, Cb Cr interleaved, as Decode
// and the code decoder give) onto the luminance of a w×h RGB image. The
// plane's top-left contentW×contentH pixels hold the image (the letterbox
// placement of dataset/loader); they are sampled bilinearly at each output
// pixel's centre, so a size×size image with the full plane maps pixel to
// pixel. The output's luminance is the input's, up to rounding (see
// toRGB).
func Colorize(pix []uint8, w, h int, plane []float32, size, contentW, contentH int) ([]uint8, error) {
	switch {
	case w < 1 || h < 1 || len(pix) != 3*w*h:
		return nil, fmt.Errorf("colorize: %d bytes for a %d×%d RGB image", len(pix), w, h)
	case len(plane) != 2*size*size:
		return nil, fmt.Errorf("colorize: chroma plane of %d values, want %d", len(plane), 2*size*size)
	case contentW < 1 || contentH < 1 || contentW > size || contentH > size:
		return nil, fmt.Errorf("colorize: content %d×%d outside the %d² plane", contentW, contentH, size)
	}
	out := make([]uint8, len(pix))
	sx, sy := float32(contentW)/float32(w), float32(contentH)/float32(h)
	for y := range h {
		v := (float32(y)+0.5)*sy - 0.5
		y0, fy := split01(v, contentH)
		y1 := min(y0+1, contentH-1)
		for x := range w {
			u := (float32(x)+0.5)*sx - 0.5
			x0, fx := split01(u, contentW)
			x1 := min(x0+1, contentW-1)
			var ch [2]float32
			for c := range 2 {
				a := plane[2*(y0*size+x0)+c]*(1-fx) + plane[2*(y0*size+x1)+c]*fx
				b := plane[2*(y1*size+x0)+c]*(1-fx) + plane[2*(y1*size+x1)+c]*fx
				ch[c] = a*(1-fy) + b*fy
			}
			i := 3 * (y*w + x)
			l := float32(Luma(pix[i], pix[i+1], pix[i+2]))
			out[i], out[i+1], out[i+2] = toRGB(l, ch[0], ch[1])
		}
	}
	return out, nil
}

// split01 clamps a sample coordinate into [0, n−1] and returns its
// integer cell and the fraction towards the next one.
func split01(v float32, n int) (int, float32) {
	if v <= 0 {
		return 0, 0
	}
	if v >= float32(n-1) {
		return n - 1, 0
	}
	i := int(v)
	return i, v - float32(i)
}

// LoadChroma reads a codebook file written by SaveChroma.
func LoadChroma(path string) (*Chroma, error) {
	data, err := readCodeFile(path, "chroma codebook", "", "codes", "panoptic code (from 'train vq --task panoptic')")
	if err != nil {
		return nil, err
	}
	var c Chroma
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("load chroma codebook %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &c, nil
}

// SaveChroma writes the codebook as JSON, atomically.
func SaveChroma(c *Chroma, path string) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
		return fmt.Errorf("save chroma codebook: %w", err)
	}
	return nil
}
