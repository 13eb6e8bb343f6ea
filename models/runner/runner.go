// Package runner runs a model repository entry (models/repo) with ONNX
// Runtime: the encoder once per image, then the KV-cached decoder step
// token by token, sampling in Go from each step's logits with a seeded RNG,
// and finally the task decoding (boxes via models/codec, captions via the
// vocabulary). The server, batch eval, export --verify and the REINFORCE
// trainer's rollouts all use it.
//
// A Runner is safe for concurrent use: its sessions are
// onnxruntime_go DynamicAdvancedSessions, and each call keeps its own
// state (cache, RNG).
package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/codec"
	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/task"
)

// Options tune a Runner.
type Options struct {
	// IntraOpThreads is ONNX Runtime's threads per operator; 0 keeps its
	// default (one per core).
	IntraOpThreads int
	// InterOpThreads is ONNX Runtime's threads across independent
	// operators; 0 keeps its default.
	InterOpThreads int
	// NoArena turns off ONNX Runtime's CPU memory arena and memory
	// pattern planning, whose blocks a session keeps: for servers that
	// load and close models while running (hot reload).
	NoArena bool
}

// Runner runs one repository entry.
type Runner struct {
	Manifest *repo.Manifest
	Dir      string        // entry directory ("" for an in-memory model)
	Device   ortrun.Device // the device sessions run on (auto resolved)

	enc, step *session
	code      *session         // code decoder of dense tasks, else nil
	det       *codec.Detection // detection models
	vocab     *codec.Vocab     // captioning models
	chroma    *codec.Chroma    // colorization models
	pan       *codec.Panoptic  // panoptic models
	mask      []float32        // the task's grammar mask [max_len·vocab]

	// bindMu: Generate holds it for reading, Bind for writing, so weights
	// never change under a running generation.
	bindMu sync.RWMutex
}

// session is one graph's ONNX Runtime session and its input layout: the
// role's standard inputs first, then bound inputs (e.g. weights fed as
// inputs) that Bind supplies.
type session struct {
	role      string
	s         *ort.DynamicAdvancedSession
	std       int         // number of standard inputs
	boundName []string    // names of the bound inputs, in session order
	bound     []ort.Value // their current values (owned by the caller of Bind)
	outputs   int
}

// Open loads the entry at path (an entry directory or its model.json) and
// opens its graphs on dev.
func Open(path string, rt *ortrun.Runtime, dev ortrun.Device) (*Runner, error) {
	return OpenWith(path, rt, dev, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, rt *ortrun.Runtime, dev ortrun.Device, opts Options) (*Runner, error) {
	m, dir, err := repo.Load(path)
	if err != nil {
		return nil, err
	}
	graphs := map[string][]byte{}
	for _, role := range m.Roles() { // Validate has checked that they are listed
		g := m.Graphs[role]
		file := filepath.Join(dir, g.File)
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("open model %s: %w", dir, err)
		}
		if g.SHA256 != "" {
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != g.SHA256 {
				return nil, fmt.Errorf("open model %s: %s has sha256 %s, model.json says %s (file replaced or corrupt)", dir, g.File, got, g.SHA256)
			}
		}
		graphs[role] = data
	}
	return New(m, dir, graphs, rt, dev, opts)
}

// New opens a runner on in-memory graphs (ONNX bytes by role), for a model
// that was just exported. dir is where the manifest's vocab_file is found.
func New(m *repo.Manifest, dir string, graphs map[string][]byte, rt *ortrun.Runtime, dev ortrun.Device, opts Options) (*Runner, error) {
	if rt == nil {
		return nil, errors.New("open model: ONNX Runtime not loaded")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("open model %s: %w", m.Name, err)
	}
	r := &Runner{Manifest: m, Dir: dir}
	if err := r.loadCodec(); err != nil {
		return nil, fmt.Errorf("open model %s: %w", m.Name, err)
	}
	so, used, err := rt.SessionOptions(dev)
	if err != nil {
		return nil, fmt.Errorf("open model %s: %w", m.Name, err)
	}
	defer so.Destroy()
	r.Device = used
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			return nil, fmt.Errorf("open model %s: %w", m.Name, err)
		}
	}
	if opts.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(opts.InterOpThreads); err != nil {
			return nil, fmt.Errorf("open model %s: %w", m.Name, err)
		}
	}
	if opts.NoArena {
		if err := so.SetCpuMemArena(false); err != nil {
			return nil, fmt.Errorf("open model %s: %w", m.Name, err)
		}
		if err := so.SetMemPattern(false); err != nil {
			return nil, fmt.Errorf("open model %s: %w", m.Name, err)
		}
	}
	cfg := m.Architecture
	encIn := []string{repo.InputImage}
	var encOut []string
	stepIn := []string{repo.InputToken, repo.InputPos, repo.InputStart}
	stepOut := []string{repo.OutLogits}
	for i := range cfg.DecDepth {
		encOut = append(encOut, repo.CrossK(i), repo.CrossV(i))
		stepIn = append(stepIn, repo.CrossK(i), repo.CrossV(i))
		stepOut = append(stepOut, repo.PresentK(i), repo.PresentV(i))
	}
	for i := range cfg.DecDepth {
		stepIn = append(stepIn, repo.PastK(i), repo.PastV(i))
	}
	if r.enc, err = openSession(m, repo.RoleEncoder, graphs[repo.RoleEncoder], encIn, encOut, so); err != nil {
		return nil, err
	}
	if r.step, err = openSession(m, repo.RoleDecoderStep, graphs[repo.RoleDecoderStep], stepIn, stepOut, so); err != nil {
		r.enc.s.Destroy()
		return nil, err
	}
	if r.chroma != nil {
		if r.code, err = openSession(m, repo.RoleCodeDecoder, graphs[repo.RoleCodeDecoder], []string{repo.InputCodes}, []string{repo.OutChroma}, so); err != nil {
			r.Close()
			return nil, err
		}
	}
	if r.pan != nil {
		if r.code, err = openSession(m, repo.RoleCodeDecoder, graphs[repo.RoleCodeDecoder], []string{repo.InputCodes, repo.InputPixels}, []string{repo.OutLabels}, so); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// openSession checks that the manifest lists the role's standard inputs
// and outputs, and opens the session with any further listed inputs as
// bound inputs.
func openSession(m *repo.Manifest, role string, data []byte, inputs, outputs []string, so *ort.SessionOptions) (*session, error) {
	g := m.Graphs[role]
	if len(data) == 0 {
		return nil, fmt.Errorf("open model %s: no %s graph data", m.Name, role)
	}
	for _, name := range inputs {
		if _, ok := g.Input(name); !ok {
			return nil, fmt.Errorf("open model %s: %s graph lacks input %q", m.Name, role, name)
		}
	}
	for _, name := range outputs {
		if _, ok := g.Output(name); !ok {
			return nil, fmt.Errorf("open model %s: %s graph lacks output %q", m.Name, role, name)
		}
	}
	sess := &session{role: role, std: len(inputs), outputs: len(outputs)}
	names := slices.Clone(inputs)
	for _, t := range g.Inputs {
		if !slices.Contains(inputs, t.Name) {
			sess.boundName = append(sess.boundName, t.Name)
			names = append(names, t.Name)
		}
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, names, outputs, so)
	if err != nil {
		return nil, fmt.Errorf("open model %s: %s graph %s: %w", m.Name, role, g.File, err)
	}
	sess.s = s
	return sess, nil
}

// loadCodec makes the task's codec and grammar mask.
func (r *Runner) loadCodec() error {
	m := r.Manifest
	switch m.Task {
	case task.Detection:
		d := m.Tokens.Detection
		c, err := codec.NewDetection(d.Bins, d.NumClasses, d.MaxBoxes)
		if err != nil {
			return err
		}
		if c.ClassFirst, err = codec.ParseBoxTokens(d.BoxTokens); err != nil {
			return err
		}
		r.det = c
		r.mask = padMask(c.GrammarMask(), c.SeqLen(), m.Tokens.MaxLen, m.Tokens.VocabSize)
	case task.Captioning:
		path := filepath.Join(r.Dir, m.Tokens.VocabFile)
		v, err := codec.LoadVocab(path, nil)
		if err != nil {
			return err
		}
		if v.VocabSize() != m.Tokens.VocabSize {
			return fmt.Errorf("vocabulary %s has %d tokens, the model %d", path, v.VocabSize(), m.Tokens.VocabSize)
		}
		r.vocab = v
		r.mask = v.GrammarMask(m.Tokens.MaxLen)
	case task.Colorization, task.Panoptic:
		t := m.Tokens.Codes
		path := filepath.Join(r.Dir, t.CodebookFile)
		var c codec.StageI
		var err error
		if m.Task == task.Colorization {
			if r.chroma, err = codec.LoadChroma(path); err != nil {
				return err
			}
			c = r.chroma
		} else {
			if r.pan, err = codec.LoadPanoptic(path); err != nil {
				return err
			}
			c = r.pan
		}
		if c.K() != t.Codes || c.Grid() != t.Grid || c.ImageSize() != m.Input.Size || c.VocabSize() != m.Tokens.VocabSize {
			return fmt.Errorf("%s code %s (%d codes, grid %d, %d², vocabulary %d) does not match model.json (%d codes, grid %d, input %d², vocabulary %d)",
				m.Task, path, c.K(), c.Grid(), c.ImageSize(), c.VocabSize(), t.Codes, t.Grid, m.Input.Size, m.Tokens.VocabSize)
		}
		r.mask = padMask(c.GrammarMask(), c.SeqLen(), m.Tokens.MaxLen, m.Tokens.VocabSize)
	}
	return nil
}

// padMask extends a codec's [n, vocab] mask to [maxLen, vocab], allowing
// only EOS in the extra rows.
func padMask(mask []float32, n, maxLen, vocab int) []float32 {
	if n >= maxLen {
		return mask[:maxLen*vocab]
	}
	out := make([]float32, maxLen*vocab)
	copy(out, mask)
	for p := n; p < maxLen; p++ {
		for t := range vocab {
			if t != codec.EOS {
				out[p*vocab+t] = codec.MaskValue
			}
		}
	}
	return out
}

// GrammarMask returns the task's grammar mask, [max_len·vocab] row-major
// (a copy).
func (r *Runner) GrammarMask() []float32 { return slices.Clone(r.mask) }

// Detection returns the detection codec (nil for other tasks).
func (r *Runner) Detection() *codec.Detection { return r.det }

// Vocab returns the caption vocabulary (nil for other tasks).
func (r *Runner) Vocab() *codec.Vocab { return r.vocab }

// Chroma returns the colorization codebook (nil for other tasks).
func (r *Runner) Chroma() *codec.Chroma { return r.chroma }

// BoundInputs lists the inputs of role that Bind must supply (weights fed
// as inputs), in order; none for a repository entry.
func (r *Runner) BoundInputs(role string) []string {
	if s := r.session(role); s != nil {
		return slices.Clone(s.boundName)
	}
	return nil
}

// Bind sets the bound inputs of role (see BoundInputs), e.g. fresh weights
// from a trainer. It waits for running calls to finish; the values stay
// owned by the caller, who may destroy the previous ones once Bind returns.
func (r *Runner) Bind(role string, values []ort.Value) error {
	s := r.session(role)
	if s == nil {
		return fmt.Errorf("bind: no %q graph", role)
	}
	if len(values) != len(s.boundName) {
		return fmt.Errorf("bind %s: %d values for %d bound inputs", role, len(values), len(s.boundName))
	}
	r.bindMu.Lock()
	defer r.bindMu.Unlock()
	s.bound = slices.Clone(values)
	return nil
}

func (r *Runner) session(role string) *session {
	switch role {
	case repo.RoleEncoder:
		return r.enc
	case repo.RoleDecoderStep:
		return r.step
	case repo.RoleCodeDecoder:
		return r.code
	}
	return nil
}

// run executes the session on its standard inputs plus the bound ones;
// outputs are allocated by ONNX Runtime and owned by the caller.
// The caller holds bindMu for reading.
func (s *session) run(inputs []ort.Value) ([]ort.Value, error) {
	out := make([]ort.Value, s.outputs)
	if err := s.runInto(inputs, out); err != nil {
		return nil, err
	}
	return out, nil
}

// runInto is run writing into the given outputs; nil ones are allocated
// by ONNX Runtime and owned by the caller (destroyed on an error).
func (s *session) runInto(inputs, out []ort.Value) error {
	if len(s.bound) != len(s.boundName) {
		return fmt.Errorf("%s graph: %d bound inputs not set (call Bind)", s.role, len(s.boundName))
	}
	all := inputs
	if len(s.bound) > 0 {
		all = append(slices.Clone(inputs), s.bound...)
	}
	allocated := make([]bool, len(out))
	for i, v := range out {
		allocated[i] = v == nil
	}
	if err := s.s.Run(all, out); err != nil {
		for i, v := range out {
			if allocated[i] && v != nil {
				_ = v.Destroy()
			}
		}
		return engine(s.role+" graph", err)
	}
	return nil
}

// Close releases the sessions.
func (r *Runner) Close() error {
	var errs []error
	for _, s := range []*session{r.enc, r.step, r.code} {
		if s != nil && s.s != nil {
			errs = append(errs, s.s.Destroy())
			s.s = nil
		}
	}
	return errors.Join(errs...)
}

func destroy(vs []ort.Value) {
	for _, v := range vs {
		if v != nil {
			_ = v.Destroy()
		}
	}
}
