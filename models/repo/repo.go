// Package repo is the on-disk model repository that export writes and the
// runner, the server and batch eval read. Its layout is Triton's:
//
//	REPO/<name>/<version>/model.json   the Manifest
//	REPO/<name>/<version>/*.onnx       the graphs it names, by role
//	REPO/<name>/<version>/vocab.json   captioning models: the vocabulary
//	REPO/<name>/<version>/codebook.json colorization models: the stage-I codebook
//
// A model made elsewhere (a pix2seq or UViM export) is served the same way
// once it has a model.json whose graphs follow the I/O names below.
//
// # Roles and their I/O names
//
// Every sequence model has an "encoder" (image → per-layer cross-attention
// keys and values, computed once per image) and a "decoder_step" (one
// token with a KV cache whose sequence axis grows by one per step). Dense
// tasks add a "code_decoder" (codes, image → panoptic map or colours).
// Graphs are kept in a map by role, so a new role needs no format change.
//
//	encoder       in:  image [batch, size, size, channels] float32, normalised
//	              out: cross_k_<i>, cross_v_<i> [batch, heads, patches, head_dim]
//	decoder_step  in:  token [batch] int32, pos [batch] int32 (row b's position),
//	                   start [batch] int32 (cache index where row b's history
//	                   begins; keys before it are masked out),
//	                   cross_k_<i>, cross_v_<i>,
//	                   past_k_<i>, past_v_<i> [batch, heads, past_len, head_dim]
//	              out: logits [batch, vocab] float32,
//	                   present_k_<i>, present_v_<i> [batch, heads, past_len+1, head_dim]
//
// A row's pos and start let rows at different steps share a batch
// (continuous batching); a batch started together has start 0 and pos =
// past_len in every row.
//
//	code_decoder  in:  codes [batch, grid²] int32 (code k, not token)
//	(colorization)out: chroma [batch, size, size, 2] float32: Cb, Cr centred on 0
//	                   (codec.Chroma.Decode); the colour image is this plane
//	                   upsampled onto the uploaded image's luminance (codec.Colorize)
//	code_decoder  in:  codes [batch, grid²] int32, pixels [batch, size, size, 3]
//	(panoptic)         float32 levels 0..255 (the letterboxed image)
//	              out: labels [batch, size, size] int32 (codec.Panoptic.Decode); the
//	                   panoptic map is this upsampled to the image (codec.UpsampleLabels)
//
// for decoder layers i = 0 .. dec_depth−1. Dimension names (batch,
// past_len, past_len_plus_1) are the ONNX files' dim_params.
package repo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"rewardvision/models/arch"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// ManifestFile is the manifest's file name inside an entry.
const ManifestFile = "model.json"

// Format identifies this manifest layout; a reader refuses others.
// v2: the decoder step takes pos and start per row (v1: one scalar pos).
const Format = "rewardvision.model/v2"

// formatV1 is the layout before per-row decoder positions, refused with a
// hint to re-export.
const formatV1 = "rewardvision.model/v1"

// Graph roles.
const (
	RoleEncoder     = "encoder"
	RoleDecoderStep = "decoder_step"
	RoleCodeDecoder = "code_decoder" // dense tasks (panoptic, colorization)
)

// I/O names of the sequence-model roles (see the package doc).
const (
	InputImage = "image"
	InputToken = "token"
	InputPos   = "pos"
	InputStart = "start"
	OutLogits  = "logits"
	InputCodes = "codes"  // code_decoder
	OutChroma  = "chroma" // code_decoder of colorization
	// InputPixels is the panoptic code decoder's letterboxed image
	// [batch, size, size, 3], float32 levels 0..255; OutLabels its label
	// per pixel [batch, size, size] int32 (codec.Panoptic).
	InputPixels = "pixels"
	OutLabels   = "labels"
)

// CrossK, CrossV, PastK, PastV, PresentK and PresentV name layer i's
// tensors.
func CrossK(i int) string   { return "cross_k_" + strconv.Itoa(i) }
func CrossV(i int) string   { return "cross_v_" + strconv.Itoa(i) }
func PastK(i int) string    { return "past_k_" + strconv.Itoa(i) }
func PastV(i int) string    { return "past_v_" + strconv.Itoa(i) }
func PresentK(i int) string { return "present_k_" + strconv.Itoa(i) }
func PresentV(i int) string { return "present_v_" + strconv.Itoa(i) }

// Manifest is model.json.
type Manifest struct {
	Format  string `json:"format"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	Task    string `json:"task"`    // task.Detection or task.Captioning
	Variant string `json:"variant"` // task.MLE or task.Reward
	// Architecture is the model's arch.Config: cache sizes (dec_depth,
	// heads, width/heads) and the longest sequence (seq_len) come from it.
	Architecture arch.Config         `json:"architecture"`
	Input        checkpoint.Input    `json:"input"`
	Tokens       Tokens              `json:"tokens"`
	Labels       []checkpoint.Label  `json:"labels,omitempty"`
	Decoding     checkpoint.Decoding `json:"decoding"`
	Provenance   Provenance          `json:"provenance"`
	ONNX         ONNXInfo            `json:"onnx"`
	Graphs       map[string]Graph    `json:"graphs"`
}

// Tokens is the token layout shared by the model and its codec.
type Tokens struct {
	VocabSize int   `json:"vocab_size"`
	MaxLen    int   `json:"max_len"` // longest generated sequence, EOS included
	PAD       int32 `json:"pad"`
	BOS       int32 `json:"bos"`
	EOS       int32 `json:"eos"`
	// Detection: the pix2seq layout.
	Detection *DetectionTokens `json:"detection,omitempty"`
	// Captioning: the vocabulary file (codec.SaveVocab format) beside
	// model.json, and the tokenizer it was built with.
	VocabFile string `json:"vocab_file,omitempty"`
	Tokenizer string `json:"tokenizer,omitempty"`
	// Colorization and panoptic: Grid² codes then EOS, code k is token
	// CodeOffset+k; the codebook file (codec.SaveChroma or
	// codec.SavePanoptic format) beside model.json.
	Codes *CodeTokens `json:"codes,omitempty"`
}

// CodeTokens is the layout of a dense task's code sequence.
type CodeTokens struct {
	Grid         int    `json:"grid"`  // codes per side
	Codes        int    `json:"codes"` // codebook size
	CodeOffset   int    `json:"code_offset"`
	CodebookFile string `json:"codebook_file"`
}

// DetectionTokens is the detection codec's layout: each box is the tokens
// named by BoxTokens (codec.CoordsFirstOrder or codec.ClassFirstOrder), a coordinate bin b is token CoordOffset+b, class k
// is token ClassOffset+k.
type DetectionTokens struct {
	Bins        int      `json:"bins"`
	NumClasses  int      `json:"num_classes"`
	MaxBoxes    int      `json:"max_boxes"`
	CoordOffset int      `json:"coord_offset"`
	ClassOffset int      `json:"class_offset"`
	BoxTokens   []string `json:"box_tokens"`
}

// Provenance is the checkpoint's provenance plus where the export came from.
type Provenance struct {
	checkpoint.Provenance
	Checkpoint   string `json:"checkpoint"`    // checkpoint directory exported
	ExportCommit string `json:"export_commit"` // commit of the exporting binary
}

// ONNXInfo is what a runtime must support.
type ONNXInfo struct {
	Opset     int `json:"opset"`
	IRVersion int `json:"ir_version"`
}

// Graph is one ONNX file and its I/O.
type Graph struct {
	File    string   `json:"file"`
	SHA256  string   `json:"sha256"`
	Bytes   int64    `json:"bytes"`
	Inputs  []Tensor `json:"inputs"`
	Outputs []Tensor `json:"outputs"`
}

// Tensor is a graph input or output.
type Tensor struct {
	Name  string `json:"name"`
	DType string `json:"dtype"` // "float32", "int32", ...
	Dims  []Dim  `json:"dims"`
}

// Dim is an axis: a fixed size, or a named dynamic one. In JSON it is a
// number or a string.
type Dim struct {
	Size int
	Name string
}

// MarshalJSON writes a number or a string.
func (d Dim) MarshalJSON() ([]byte, error) {
	if d.Name != "" {
		return json.Marshal(d.Name)
	}
	return json.Marshal(d.Size)
}

// UnmarshalJSON reads a non-negative number or a non-empty string.
func (d *Dim) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		if name == "" {
			return errors.New("empty dimension name")
		}
		*d = Dim{Name: name}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("dimension %s: want a size ≥ 0 or a name", b)
	}
	*d = Dim{Size: n}
	return nil
}

func (d Dim) String() string {
	if d.Name != "" {
		return d.Name
	}
	return strconv.Itoa(d.Size)
}

// Input returns the named input, or false.
func (g Graph) Input(name string) (Tensor, bool) { return find(g.Inputs, name) }

// Output returns the named output, or false.
func (g Graph) Output(name string) (Tensor, bool) { return find(g.Outputs, name) }

func find(ts []Tensor, name string) (Tensor, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// Roles are the graph roles the manifest's task runs: the encoder and the
// decoder step, and for the dense tasks the code decoder.
func (m *Manifest) Roles() []string {
	if task.Dense(m.Task) {
		return []string{RoleEncoder, RoleDecoderStep, RoleCodeDecoder}
	}
	return []string{RoleEncoder, RoleDecoderStep}
}

// Validate checks everything a reader relies on, so a corrupt or foreign
// model.json fails at load with the field named, not at run time.
func (m *Manifest) Validate() error {
	if m.Format == formatV1 {
		return fmt.Errorf("format %q: its decoder step takes one position for the whole batch; this runtime needs %q (a position and cache start per row): re-export the entry with `rewardvision export --force`", m.Format, Format)
	}
	if m.Format != Format {
		return fmt.Errorf("format %q, want %q", m.Format, Format)
	}
	if m.Name == "" || !filepath.IsLocal(m.Name) || filepath.Base(m.Name) != m.Name {
		return fmt.Errorf("name %q: want a plain directory name", m.Name)
	}
	if m.Version < 1 {
		return fmt.Errorf("version %d: want ≥ 1", m.Version)
	}
	meta := checkpoint.Meta{Task: m.Task, Variant: m.Variant, Model: m.Architecture, Input: m.Input,
		Labels: m.Labels, VocabFile: m.Tokens.VocabFile}
	if d := m.Tokens.Detection; d != nil {
		classFirst, err := codec.ParseBoxTokens(d.BoxTokens)
		if err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		meta.Detection = &checkpoint.DetectionCodec{Bins: d.Bins, NumClasses: d.NumClasses, MaxBoxes: d.MaxBoxes, ClassFirst: classFirst}
	}
	if c := m.Tokens.Codes; c != nil {
		cb := &checkpoint.Codebook{CodebookFile: c.CodebookFile, Grid: c.Grid, Codes: c.Codes}
		if m.Task == task.Panoptic {
			meta.Panoptic = cb
		} else {
			meta.Colorization = cb
		}
	}
	if err := meta.Validate(); err != nil {
		return err
	}
	for c := range 3 {
		if s := m.Input.Std[c]; !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("input std[%d] = %g: want a positive finite value", c, s)
		}
		if v := m.Input.Mean[c]; math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("input mean[%d] = %g: want a finite value", c, v)
		}
	}
	if p := m.Input.Pad; !(p >= 0 && p <= 1) {
		return fmt.Errorf("input pad %g: want a value in [0, 1]", p)
	}
	if err := m.Tokens.validate(m.Task, m.Architecture); err != nil {
		return err
	}
	if t := m.Decoding.Temperature; !(t >= 0) || math.IsInf(t, 0) {
		return fmt.Errorf("decoding temperature %g: want a finite value ≥ 0", t)
	}
	if n := m.Decoding.MaxTokens; n < 0 || n > m.Tokens.MaxLen {
		return fmt.Errorf("decoding max_tokens %d: want 0..%d", n, m.Tokens.MaxLen)
	}
	if c := m.Tokens.Codes; c != nil && m.Decoding.MaxTokens != 0 && m.Decoding.MaxTokens < c.Grid*c.Grid {
		return fmt.Errorf("decoding max_tokens %d: a colorization output needs all %d codes (0 or ≥ %d)", m.Decoding.MaxTokens, c.Grid*c.Grid, c.Grid*c.Grid)
	}
	for _, role := range m.Roles() {
		if _, ok := m.Graphs[role]; !ok {
			return fmt.Errorf("graphs: no %q graph", role)
		}
	}
	for role, g := range m.Graphs {
		if g.File == "" || !filepath.IsLocal(g.File) {
			return fmt.Errorf("graph %s: file %q: want a file name inside the entry", role, g.File)
		}
		if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
			return fmt.Errorf("graph %s: no inputs or outputs listed", role)
		}
	}
	return nil
}

func (t Tokens) validate(taskName string, cfg arch.Config) error {
	if t.VocabSize != cfg.VocabSize || t.MaxLen != cfg.SeqLen {
		return fmt.Errorf("tokens: vocab_size %d, max_len %d; the architecture has %d, %d", t.VocabSize, t.MaxLen, cfg.VocabSize, cfg.SeqLen)
	}
	if t.PAD != codec.PAD || t.BOS != codec.BOS || t.EOS != codec.EOS {
		return fmt.Errorf("tokens: pad/bos/eos %d/%d/%d, this runtime supports %d/%d/%d", t.PAD, t.BOS, t.EOS, codec.PAD, codec.BOS, codec.EOS)
	}
	switch taskName {
	case task.Detection:
		d := t.Detection
		if d == nil {
			return errors.New("tokens: detection task without a detection layout")
		}
		c := codec.Detection{Bins: d.Bins, NumClasses: d.NumClasses, MaxBoxes: d.MaxBoxes}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		if d.CoordOffset != int(c.CoordToken(0)) || d.ClassOffset != int(c.ClassToken(0)) || c.VocabSize() != t.VocabSize {
			return fmt.Errorf("tokens: detection offsets %d/%d and vocab %d, the codec has %d/%d and %d",
				d.CoordOffset, d.ClassOffset, t.VocabSize, c.CoordToken(0), c.ClassToken(0), c.VocabSize())
		}
		if c.SeqLen() > t.MaxLen {
			return fmt.Errorf("tokens: %d boxes need %d tokens, max_len is %d", d.MaxBoxes, c.SeqLen(), t.MaxLen)
		}
	case task.Captioning:
		if t.VocabFile == "" || !filepath.IsLocal(t.VocabFile) {
			return fmt.Errorf("tokens: vocab_file %q: want a file name inside the entry", t.VocabFile)
		}
	case task.Colorization, task.Panoptic:
		c := t.Codes
		if c == nil {
			return fmt.Errorf("tokens: %s task without a code layout", taskName)
		}
		if c.CodeOffset != codec.CodeOffset {
			return fmt.Errorf("tokens: code_offset %d, this runtime supports %d", c.CodeOffset, codec.CodeOffset)
		}
		if c.CodebookFile == "" || !filepath.IsLocal(c.CodebookFile) {
			return fmt.Errorf("tokens: codebook_file %q: want a file name inside the entry", c.CodebookFile)
		}
	}
	return nil
}

// Load reads and validates a manifest. path is an entry directory or its
// model.json; the entry directory is returned with it.
func Load(path string) (*Manifest, string, error) {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	} else {
		path = filepath.Join(path, ManifestFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("load model: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("load %s: %w", path, err)
	}
	return m, dir, nil
}

// Parse decodes and validates model.json. Unknown fields are errors: a
// manifest this code does not fully understand must not be served.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the manifest object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Marshal encodes the manifest as indented JSON with a final newline.
func (m *Manifest) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// EntryDir is REPO/<name>/<version>.
func EntryDir(repoDir, name string, version int) string {
	return filepath.Join(repoDir, name, strconv.Itoa(version))
}
