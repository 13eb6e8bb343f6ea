package codec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Box is an object box in image (pixel) coordinates: corners (XMin, YMin)
// and (XMax, YMax), a 0-based class index, and a confidence score in [0, 1]
// (decoded boxes only).
type Box struct {
	XMin, YMin, XMax, YMax float64
	Class                  int
	Score                  float64
}

// Detection is the pix2seq-style detection codec. Each box is 5 tokens:
//
//	ymin, xmin, ymax, xmax  (quantised coordinates, pix2seq's order)
//	class
//
// or, with ClassFirst, the class token then the 4 coordinates; one EOS
// ends the sequence. (Class-first was tried here so that coordinates would
// follow a chosen object; the small detector then learned no classes in
// 800 steps, where pix2seq's order, which names the class after the box
// it looks at, did. model.json records the order either way.)
// Vocabulary layout:
//
//	[0, 3)                       PAD, BOS, EOS
//	[3, 3+Bins)                  coordinate bins
//	[3+Bins, 3+Bins+NumClasses)  classes
//
// A coordinate v in [0, size] becomes bin round(v/size·(Bins−1)) and comes
// back as bin/(Bins−1)·size, so a round trip moves it by at most half a bin
// (size/(2(Bins−1))).
type Detection struct {
	Bins       int // coordinate bins, ≥ 2
	NumClasses int // ≥ 1
	MaxBoxes   int // boxes per sequence, ≥ 1; extra ground-truth boxes are dropped
	ClassFirst bool
}

// Box token names, as model.json lists them.
var (
	CoordsFirstOrder = []string{"ymin", "xmin", "ymax", "xmax", "class"} // pix2seq
	ClassFirstOrder  = []string{"class", "ymin", "xmin", "ymax", "xmax"}
)

// BoxTokens names the tokens of one box in order.
func (c *Detection) BoxTokens() []string {
	if c.ClassFirst {
		return ClassFirstOrder
	}
	return CoordsFirstOrder
}

// ParseBoxTokens is the inverse of BoxTokens: whether names is the
// class-first order, or an error for an order the codec does not have.
func ParseBoxTokens(names []string) (classFirst bool, err error) {
	switch {
	case slices.Equal(names, CoordsFirstOrder):
		return false, nil
	case slices.Equal(names, ClassFirstOrder):
		return true, nil
	}
	return false, fmt.Errorf("box tokens %q: want %q or %q", names, CoordsFirstOrder, ClassFirstOrder)
}

// classPos is the position of the class token within a box.
func (c *Detection) classPos() int {
	if c.ClassFirst {
		return 0
	}
	return 4
}

// NewDetection checks the parameters and returns the codec.
func NewDetection(bins, numClasses, maxBoxes int) (*Detection, error) {
	c := &Detection{Bins: bins, NumClasses: numClasses, MaxBoxes: maxBoxes}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports bad parameters (e.g. from a corrupt model.json).
func (c *Detection) Validate() error {
	const maxVocab = 1 << 20 // far above any real layout; keeps int32 tokens safe
	switch {
	case c.Bins < 2:
		return fmt.Errorf("detection codec: bins = %d, need at least 2", c.Bins)
	case c.NumClasses < 1:
		return fmt.Errorf("detection codec: %d classes, need at least 1", c.NumClasses)
	case c.MaxBoxes < 1:
		return fmt.Errorf("detection codec: max boxes = %d, need at least 1", c.MaxBoxes)
	case c.Bins > maxVocab || c.NumClasses > maxVocab || c.MaxBoxes > maxVocab:
		return fmt.Errorf("detection codec: bins %d, classes %d, max boxes %d: too large", c.Bins, c.NumClasses, c.MaxBoxes)
	}
	return nil
}

// VocabSize is the number of tokens: specials, bins, classes.
func (c *Detection) VocabSize() int { return NumSpecial + c.Bins + c.NumClasses }

// SeqLen is the longest sequence: 5 tokens per box, then EOS.
func (c *Detection) SeqLen() int { return 5*c.MaxBoxes + 1 }

// CoordToken returns the token of coordinate bin b.
func (c *Detection) CoordToken(b int) int32 { return int32(NumSpecial + b) }

// ClassToken returns the token of class k.
func (c *Detection) ClassToken(k int) int32 { return int32(NumSpecial + c.Bins + k) }

// IsCoord reports whether t is a coordinate token.
func (c *Detection) IsCoord(t int32) bool {
	return int(t) >= NumSpecial && int(t) < NumSpecial+c.Bins
}

// IsClass reports whether t is a class token.
func (c *Detection) IsClass(t int32) bool {
	return int(t) >= NumSpecial+c.Bins && int(t) < c.VocabSize()
}

// Quantize maps a coordinate in [0, size] (clipped to it) to its bin.
func (c *Detection) Quantize(v, size float64) int {
	b := math.Round(v / size * float64(c.Bins-1))
	return int(max(0, min(float64(c.Bins-1), b)))
}

// Dequantize maps a bin back to a coordinate in [0, size].
func (c *Detection) Dequantize(b int, size float64) float64 {
	return float64(b) / float64(c.Bins-1) * size
}

// Encode turns ground-truth boxes of a width×height image into tokens
// (ending with EOS). With rng non-nil the boxes are shuffled first (pix2seq
// trains on a random order each time, so the model cannot rely on one);
// with nil they keep the given order. At most MaxBoxes boxes are kept, after
// shuffling. Coordinates are clipped to the image; corners given in the
// wrong order are swapped. Non-finite values or an unknown class are errors
// naming the box.
func (c *Detection) Encode(boxes []Box, width, height float64, rng *rand.Rand) ([]int32, error) {
	if err := checkImageSize(width, height); err != nil {
		return nil, err
	}
	for i, b := range boxes {
		for _, v := range []float64{b.XMin, b.YMin, b.XMax, b.YMax} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("encode box %d: non-finite coordinate in %+v", i, b)
			}
		}
		if b.Class < 0 || b.Class >= c.NumClasses {
			return nil, fmt.Errorf("encode box %d: class %d outside [0, %d)", i, b.Class, c.NumClasses)
		}
	}
	order := make([]int, len(boxes))
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	if len(order) > c.MaxBoxes {
		order = order[:c.MaxBoxes]
	}
	tokens := make([]int32, 0, 5*len(order)+1)
	for _, i := range order {
		b := boxes[i]
		y0, y1 := min(b.YMin, b.YMax), max(b.YMin, b.YMax)
		x0, x1 := min(b.XMin, b.XMax), max(b.XMin, b.XMax)
		coords := []int32{
			c.CoordToken(c.Quantize(y0, height)), c.CoordToken(c.Quantize(x0, width)),
			c.CoordToken(c.Quantize(y1, height)), c.CoordToken(c.Quantize(x1, width)),
		}
		if c.ClassFirst {
			tokens = append(append(tokens, c.ClassToken(b.Class)), coords...)
		} else {
			tokens = append(append(tokens, coords...), c.ClassToken(b.Class))
		}
	}
	return append(tokens, EOS), nil
}

// Decode turns generated tokens back into boxes of a width×height image.
//
// probs, when non-nil, holds the model's probability of each token (same
// length as tokens); a box's Score is then P(class token) × the mean
// probability of its 4 coordinate tokens: the class decision weighted by
// how sure the model was of the box's extent. With probs nil every score is 1.
//
// Decoding stops at the first EOS. Malformed sequences never fail: a box
// missing coordinates before its class token, a coordinate where a class
// should be (class-first: coordinates before any class, or a class
// interrupting a box), or a PAD/BOS/out-of-vocabulary token drops the
// partial box and decoding resumes with the next token. Corners are returned ordered
// (min ≤ max). Errors are only for bad arguments.
func (c *Detection) Decode(tokens []int32, probs []float32, width, height float64) ([]Box, error) {
	if err := checkImageSize(width, height); err != nil {
		return nil, err
	}
	if probs != nil && len(probs) != len(tokens) {
		return nil, fmt.Errorf("decode: %d probabilities for %d tokens", len(probs), len(tokens))
	}
	var boxes []Box
	var bins [4]int
	var coordProb, classProb float64
	n, class := 0, -1 // coordinates collected for the current box; its class (-1: none yet)
	reset := func() { n, class, coordProb, classProb = 0, -1, 0, 0 }
	emit := func() {
		y0, x0 := c.Dequantize(bins[0], height), c.Dequantize(bins[1], width)
		y1, x1 := c.Dequantize(bins[2], height), c.Dequantize(bins[3], width)
		boxes = append(boxes, Box{
			XMin: min(x0, x1), YMin: min(y0, y1), XMax: max(x0, x1), YMax: max(y0, y1),
			Class: class, Score: classProb * coordProb / 4,
		})
		reset()
	}
	reset()
	for i, t := range tokens {
		switch {
		case t == EOS:
			return boxes, nil
		case c.IsCoord(t) && (!c.ClassFirst || class >= 0):
			if n == 4 { // coords-first: a class was due; restart the box from this coordinate
				reset()
			}
			bins[n] = int(t) - NumSpecial
			coordProb += prob(probs, i)
			n++
			if c.ClassFirst && n == 4 {
				emit()
			}
		case c.IsClass(t) && c.ClassFirst:
			// A class always starts a box; one arriving early drops the partial box.
			reset()
			class, classProb = int(t)-NumSpecial-c.Bins, prob(probs, i)
		case c.IsClass(t) && n == 4:
			class, classProb = int(t)-NumSpecial-c.Bins, prob(probs, i)
			emit()
		default: // early class, PAD, BOS, unknown token, or a coordinate with no class: drop the partial box
			reset()
		}
	}
	return boxes, nil
}

// prob returns probs[i] clamped to [0, 1] (NaN → 0), or 1 without probs.
func prob(probs []float32, i int) float64 {
	if probs == nil {
		return 1
	}
	p := float64(probs[i])
	if !(p > 0) {
		return 0
	}
	return min(p, 1)
}

// Allowed reports which tokens the grammar permits at target position pos
// (0-based index of the generated token): the class and coordinate tokens
// of a box in the codec's order, EOS only at a box boundary, and only EOS once
// MaxBoxes boxes are complete. PAD and BOS are never generated. Positions
// past SeqLen allow only EOS.
func (c *Detection) Allowed(pos int) []bool {
	ok := make([]bool, c.VocabSize())
	if pos < 0 || pos >= 5*c.MaxBoxes {
		ok[EOS] = true
		return ok
	}
	k := pos % 5
	ok[EOS] = k == 0
	if k == c.classPos() {
		for i := NumSpecial + c.Bins; i < len(ok); i++ {
			ok[i] = true
		}
	} else {
		for i := NumSpecial; i < NumSpecial+c.Bins; i++ {
			ok[i] = true
		}
	}
	return ok
}

// GrammarMask returns the additive logit mask for a whole sequence,
// row-major [SeqLen, VocabSize]: 0 where Allowed, MaskValue elsewhere.
func (c *Detection) GrammarMask() []float32 {
	return grammarMask(c.SeqLen(), c.VocabSize(), c.Allowed)
}

func grammarMask(seqLen, vocab int, allowed func(int) []bool) []float32 {
	mask := make([]float32, seqLen*vocab)
	for p := range seqLen {
		for t, ok := range allowed(p) {
			if !ok {
				mask[p*vocab+t] = MaskValue
			}
		}
	}
	return mask
}

func checkImageSize(width, height float64) error {
	if !(width > 0) || !(height > 0) || math.IsInf(width, 0) || math.IsInf(height, 0) {
		return fmt.Errorf("image size %gx%g: need finite positive width and height", width, height)
	}
	return nil
}

// BoxFromXYWH makes a Box from a COCO-style [x, y, width, height] box.
func BoxFromXYWH(x, y, w, h float64, class int) Box {
	return Box{XMin: x, YMin: y, XMax: x + w, YMax: y + h, Class: class}
}

// XYWH returns the box as COCO-style [x, y, width, height].
func (b Box) XYWH() [4]float64 {
	return [4]float64{b.XMin, b.YMin, b.XMax - b.XMin, b.YMax - b.YMin}
}
