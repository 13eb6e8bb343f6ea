// Package arch is the architecture description of rewardvision's
// image-to-sequence models (models/seq builds them in GoMLX). It lives apart
// from models/seq so that the serving side (models/repo, models/runner, the
// server) reads model.json without importing GoMLX: seq.Config is an alias
// of arch.Config.
package arch

import (
	"encoding/json"
	"fmt"
)

// Config is the architecture of a model. It is saved with checkpoints; a
// checkpoint only loads into a model of the same Config.
type Config struct {
	ImageSize int  `json:"image_size"` // square input side, pixels
	Channels  int  `json:"channels"`   // 3 for RGB
	PatchSize int  `json:"patch_size"` // ViT patch side; divides ImageSize
	Width     int  `json:"width"`      // model width of encoder and decoder
	EncDepth  int  `json:"enc_depth"`  // encoder blocks
	DecDepth  int  `json:"dec_depth"`  // decoder blocks
	Heads     int  `json:"heads"`      // attention heads; divides Width
	MLPRatio  int  `json:"mlp_ratio"`  // MLP hidden width = MLPRatio × Width
	VocabSize int  `json:"vocab_size"` // output tokens, specials included
	SeqLen    int  `json:"seq_len"`    // decoder positions (longest sequence, EOS included)
	TiedHead  bool `json:"tied_head"`  // output head shares the token embedding table
	// StemChannels, when > 0, puts a convolution stem before the patch
	// embedding: a 3×3 convolution with stride 2 to this many channels and
	// a GELU, whose map is then cut into (PatchSize/2)² patches (the same
	// patch grid). Its weights are shared across positions, so edges and
	// corners are learned once rather than at every offset inside a patch:
	// the plain ViT learned shapes too slowly for the 2-core budget.
	StemChannels int `json:"stem_channels,omitempty"`
}

// DetectionConfig is the default detection model: 64² RGB images in 8²
// patches, width 96, 3 encoder + 2 decoder blocks, for a codec with the
// given vocabulary and sequence length (e.g. 8 boxes: 41 tokens).
func DetectionConfig(vocabSize, seqLen int) Config {
	return Config{ImageSize: 64, Channels: 3, PatchSize: 8, Width: 96, EncDepth: 3, DecDepth: 2,
		Heads: 3, MLPRatio: 4, VocabSize: vocabSize, SeqLen: seqLen}
}

// CaptionConfig is the default captioning model: as DetectionConfig, with
// a tied output head (word embeddings double as output weights).
func CaptionConfig(vocabSize, seqLen int) Config {
	c := DetectionConfig(vocabSize, seqLen)
	c.TiedHead = true
	return c
}

// limit keeps every dimension far below what could overflow int arithmetic.
const limit = 1 << 16

// Validate reports an inconsistent or absurd configuration.
func (c Config) Validate() error {
	pos := map[string]int{"image_size": c.ImageSize, "channels": c.Channels, "patch_size": c.PatchSize,
		"width": c.Width, "enc_depth": c.EncDepth, "dec_depth": c.DecDepth, "heads": c.Heads,
		"mlp_ratio": c.MLPRatio, "vocab_size": c.VocabSize, "seq_len": c.SeqLen}
	for _, name := range []string{"image_size", "channels", "patch_size", "width", "enc_depth", "dec_depth", "heads", "mlp_ratio", "vocab_size", "seq_len"} {
		if v := pos[name]; v < 1 || v > limit {
			return fmt.Errorf("model config: %s = %d, want 1..%d", name, v, limit)
		}
	}
	if c.StemChannels < 0 || c.StemChannels > limit {
		return fmt.Errorf("model config: stem_channels = %d, want 0..%d", c.StemChannels, limit)
	}
	if c.StemChannels > 0 && (c.PatchSize%2 != 0 || c.ImageSize%2 != 0) {
		return fmt.Errorf("model config: a convolution stem (stride 2) needs an even patch_size and image_size, got %d and %d", c.PatchSize, c.ImageSize)
	}
	if c.ImageSize%c.PatchSize != 0 {
		return fmt.Errorf("model config: patch_size %d does not divide image_size %d", c.PatchSize, c.ImageSize)
	}
	if c.Width%c.Heads != 0 {
		return fmt.Errorf("model config: heads %d does not divide width %d", c.Heads, c.Width)
	}
	if c.VocabSize < 3 {
		return fmt.Errorf("model config: vocab_size %d cannot hold PAD, BOS and EOS", c.VocabSize)
	}
	return nil
}

// NumPatches is the number of encoder tokens (memory length).
func (c Config) NumPatches() int { return (c.ImageSize / c.PatchSize) * (c.ImageSize / c.PatchSize) }

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Width / c.Heads }

// ParamCount is the exact number of trainable parameters.
func (c Config) ParamCount() int {
	w, m := c.Width, c.MLPRatio*c.Width
	ln := 2 * w
	attn := 4 * (w*w + w)
	mlp := w*m + m + m*w + w
	n := c.PatchSize*c.PatchSize*c.Channels*w + w // patch embedding
	if s := c.StemChannels; s > 0 {
		half := c.PatchSize / 2
		n = 9*c.Channels*s + s + half*half*s*w + w // stem, then patch embedding of its map
	}
	n += c.NumPatches() * w // encoder positions
	n += c.EncDepth * (2*ln + attn + mlp)
	n += ln                         // encoder final norm
	n += c.VocabSize*w + c.SeqLen*w // token and position embeddings
	n += c.DecDepth * (3*ln + 2*attn + mlp)
	n += ln // decoder final norm
	if c.TiedHead {
		n += c.VocabSize // head bias only
	} else {
		n += w*c.VocabSize + c.VocabSize
	}
	return n
}

// String is the config as one line of JSON.
func (c Config) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}
