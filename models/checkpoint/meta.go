// Package checkpoint is what a checkpoint folder holds besides its GoMLX
// weights: meta.json (Meta). Training writes it next to the weights; export
// reads it to build the model repository's model.json, which serving reads
// through models/repo.
package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"rewardvision/models/arch"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// MetaFile is the file name of Meta inside a checkpoint directory.
const MetaFile = "meta.json"

// Meta describes a checkpoint directory.
type Meta struct {
	Task    string      `json:"task"`
	Variant string      `json:"variant"`
	Model   arch.Config `json:"model"`
	Input   Input       `json:"input"`

	// Detection: the codec's layout and the classes (index k ↔ Labels[k]).
	Detection *DetectionCodec `json:"detection,omitempty"`
	// Captioning: the vocabulary file (codec.SaveVocab format), relative to
	// the checkpoint directory, and the tokenizer it was built with.
	VocabFile string `json:"vocab_file,omitempty"`
	// Colorization: the stage-I chroma codebook (codec.Chroma) the decoder's
	// codes index.
	Colorization *Codebook `json:"colorization,omitempty"`
	// Panoptic: the stage-I panoptic code (codec.Panoptic).
	Panoptic *Codebook `json:"panoptic,omitempty"`

	Labels   []Label    `json:"labels,omitempty"`
	Decoding Decoding   `json:"decoding"`
	Prov     Provenance `json:"provenance"`
}

// Input is how an image becomes the model's input tensor.
type Input struct {
	Size     int        `json:"size"`     // square side after letterboxing
	Channels int        `json:"channels"` // 3 = RGB
	Mean     [3]float32 `json:"mean"`     // per channel, on 0..1 values
	Std      [3]float32 `json:"std"`
	// Letterbox: scale the longer side to Size keeping aspect, place at the
	// top-left, pad right/bottom with Pad (0..1 value). See dataset/loader.
	Letterbox bool    `json:"letterbox"`
	Pad       float32 `json:"pad"`
	// Gray: the model sees the image's luminance (codec.Luma) in all three
	// channels (colorization).
	Gray bool `json:"gray,omitempty"`
}

// Normalize appends letterboxed RGB bytes (3 a pixel) to dst as the model
// input: (v/255 − Mean[c]) / Std[c]. Training and serving both use it.
func (in Input) Normalize(dst []float32, pix []uint8) []float32 {
	if in.Gray {
		for i := 0; i+2 < len(pix); i += 3 {
			v := float32(codec.Luma(pix[i], pix[i+1], pix[i+2])) / 255
			for c := range 3 {
				dst = append(dst, (v-in.Mean[c])/in.Std[c])
			}
		}
		return dst
	}
	for i, v := range pix {
		c := i % 3
		dst = append(dst, (float32(v)/255-in.Mean[c])/in.Std[c])
	}
	return dst
}

// PadColor is the 8-bit letterbox padding (Pad is on 0..1).
func (in Input) PadColor() [3]uint8 {
	v := uint8(math.Round(float64(min(max(in.Pad, 0), 1)) * 255))
	return [3]uint8{v, v, v}
}

// DetectionCodec is the pix2seq token layout (models/codec.Detection).
type DetectionCodec struct {
	Bins       int  `json:"bins"`
	NumClasses int  `json:"num_classes"`
	MaxBoxes   int  `json:"max_boxes"`
	ClassFirst bool `json:"class_first,omitempty"` // class token before the coordinates
}

// Codebook names a dense task's stage-I codebook file (codec.SaveChroma
// or codec.SavePanoptic format, relative to the checkpoint directory) and
// its code grid.
type Codebook struct {
	CodebookFile string `json:"codebook_file"`
	Grid         int    `json:"grid"`  // codes per side
	Codes        int    `json:"codes"` // codebook size K
}

// Label maps a class index to the dataset's category.
type Label struct {
	Index      int    `json:"index"`
	CategoryID int    `json:"category_id"`
	Name       string `json:"name"`
}

// Decoding holds the defaults a runner uses unless a request overrides them.
type Decoding struct {
	Temperature float64 `json:"temperature"` // 0 = greedy
	MaxTokens   int     `json:"max_tokens"`
}

// Provenance says how the weights were made.
type Provenance struct {
	Data     string             `json:"data"`                // dataset path or description
	World    string             `json:"world,omitempty"`     // data gen flags of the training world: data gen --out DIR --n N --seed S <world> makes a fresh split of it
	DataSeed int64              `json:"data_seed,omitempty"` // generator seed of the synthetic split
	Seed     int64              `json:"seed"`                // training seed
	Steps    int                `json:"steps"`               // optimizer steps taken
	Command  string             `json:"command"`             // command line that produced it
	Reward   string             `json:"reward,omitempty"`    // reward used by REINFORCE, if any
	Init     string             `json:"init,omitempty"`      // checkpoint it started from, if any
	Metrics  map[string]float64 `json:"metrics,omitempty"`   // validation metrics at save time
	Commit   string             `json:"commit"`              // source commit
}

// Validate checks the fields every consumer relies on.
func (m *Meta) Validate() error {
	switch m.Task {
	case task.Detection:
		if m.Detection == nil {
			return errors.New("detection task without a detection codec")
		}
		if len(m.Labels) != m.Detection.NumClasses {
			return fmt.Errorf("detection codec has %d classes but %d labels", m.Detection.NumClasses, len(m.Labels))
		}
	case task.Captioning:
		if m.VocabFile == "" {
			return errors.New("captioning task without a vocab_file")
		}
	case task.Colorization, task.Panoptic:
		c := m.Codebook()
		if c == nil || c.CodebookFile == "" || c.Grid < 1 || c.Codes < 1 {
			return fmt.Errorf("%s task without a codebook (%s.codebook_file, grid, codes)", m.Task, m.Task)
		}
		if m.Model.VocabSize != codec.CodeOffset+c.Codes || m.Model.SeqLen != c.Grid*c.Grid+1 {
			return fmt.Errorf("%s: %d codes on a %d² grid need vocabulary %d and sequence %d, the model has %d and %d",
				m.Task, c.Codes, c.Grid, codec.CodeOffset+c.Codes, c.Grid*c.Grid+1, m.Model.VocabSize, m.Model.SeqLen)
		}
	default:
		return fmt.Errorf("unknown task %q (want %s)", m.Task, strings.Join(task.Names, ", "))
	}
	if m.Variant != task.MLE && m.Variant != task.Reward {
		return fmt.Errorf("unknown variant %q (want %s or %s)", m.Variant, task.MLE, task.Reward)
	}
	if m.Input.Size != m.Model.ImageSize || m.Input.Channels != m.Model.Channels {
		return fmt.Errorf("input %dx%dx%d does not match the model's %dx%dx%d",
			m.Input.Size, m.Input.Size, m.Input.Channels, m.Model.ImageSize, m.Model.ImageSize, m.Model.Channels)
	}
	return m.Model.Validate()
}

// Codebook is the dense task's stage-I codebook (nil for the other tasks).
func (m *Meta) Codebook() *Codebook {
	switch m.Task {
	case task.Colorization:
		return m.Colorization
	case task.Panoptic:
		return m.Panoptic
	}
	return nil
}

// Save writes dir/meta.json atomically.
func Save(dir string, m *Meta) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("save %s: %w", filepath.Join(dir, MetaFile), err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, MetaFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Load reads and validates dir/meta.json.
func Load(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint metadata: %w", err)
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &m, nil
}
