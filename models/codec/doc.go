// Package codec turns task outputs into token sequences and back: the
// pix2seq-style detection codec (boxes ⇄ coordinate and class tokens), the
// captioning codec (captions ⇄ word tokens) and the dense tasks' stage-I
// codes (Chroma: colour ⇄ chroma codebook codes; Panoptic: panoptic map ⇄
// patch label-set codes, placed back on pixels by the image), plus the
// teacher-forcing layout and the grammar masks that constrain sampling.
//
// Every vocabulary starts with the same special tokens, so models, the
// sampler and the ONNX decoder loop can treat them alike:
//
//	0 PAD  padding after the end of a sequence (never generated)
//	1 BOS  first decoder input (never generated)
//	2 EOS  end of sequence
//
// The package is pure Go: it depends on neither GoMLX nor ONNX Runtime.
package codec

// Special tokens shared by every codec.
const (
	PAD = 0
	BOS = 1
	EOS = 2
	// NumSpecial is the number of special tokens before a codec's own tokens.
	NumSpecial = 3
)

// MaskValue is the additive logit bias of a disallowed token in grammar
// masks (0 for allowed ones): large enough that exp underflows to exactly 0,
// finite so a row can never become NaN.
const MaskValue = -1e9
