package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"

	"rewardvision/models/backend"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/onnx"
	"rewardvision/models/repo"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// Options of FromCheckpoint.
type Options struct {
	Checkpoint string // directory with the GoMLX checkpoint and meta.json
	Repo       string // model repository root
	Name       string // entry name; default "<task>-<variant>"
	Version    int    // entry version; default 1
	Variant    string // task.MLE or task.Reward; default the checkpoint's
	Force      bool   // replace an existing entry
	Commit     string // commit of the exporting binary, for provenance
	// Backend loads the checkpoint; nil means backend.New().
	Backend backends.Backend
}

// Result is a written entry.
type Result struct {
	Dir      string
	Manifest *repo.Manifest
	Meta     *checkpoint.Meta
	Model    *seq.Model // the checkpoint, loaded (for Verify)
	Load     time.Duration
	Trace    time.Duration
	Write    time.Duration
}

// FromCheckpoint exports a checkpoint directory into the repository.
func FromCheckpoint(o Options) (*Result, error) {
	if o.Checkpoint == "" || o.Repo == "" {
		return nil, errors.New("export: checkpoint and repository directories are required")
	}
	start := time.Now()
	meta, err := checkpoint.Load(o.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if o.Variant != "" {
		if o.Variant != task.MLE && o.Variant != task.Reward {
			return nil, fmt.Errorf("export: variant %q: want %s or %s", o.Variant, task.MLE, task.Reward)
		}
		meta.Variant = o.Variant
	}
	if o.Name == "" {
		o.Name = meta.Task + "-" + meta.Variant
	}
	if o.Version == 0 {
		o.Version = 1
	}
	if o.Version < 1 {
		return nil, fmt.Errorf("export: version %d: want ≥ 1", o.Version)
	}
	if filepath.Base(o.Name) != o.Name || !filepath.IsLocal(o.Name) {
		return nil, fmt.Errorf("export: name %q: want a plain directory name", o.Name)
	}
	dir := repo.EntryDir(o.Repo, o.Name, o.Version)
	if _, err := os.Stat(dir); err == nil && !o.Force {
		return nil, fmt.Errorf("export: %s: %w (use --force to replace it)", dir, ErrExists)
	}
	extra := map[string][]byte{}
	var tokenizer string
	if meta.Task == task.Captioning {
		path := filepath.Join(o.Checkpoint, meta.VocabFile)
		v, err := codec.LoadVocab(path, nil)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if v.VocabSize() != meta.Model.VocabSize {
			return nil, fmt.Errorf("export: vocabulary %s has %d tokens, the model %d", path, v.VocabSize(), meta.Model.VocabSize)
		}
		if extra[VocabFile], err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		tokenizer = v.TokenizerName()
	}
	code, err := codeDecoderOf(meta, o.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if code != nil {
		extra[CodebookFile] = code.raw
	}
	be := o.Backend
	if be == nil {
		if be, err = backend.New(); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	model, err := seq.Load(be, o.Checkpoint, &meta.Model)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res := &Result{Meta: meta, Model: model, Load: time.Since(start)}

	start = time.Now()
	traced, err := Trace(model.Context(), SeqGraphs(meta.Model, onnx.Initializers))
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", o.Checkpoint, err)
	}
	if code != nil {
		ct, err := Trace(code.ctx, code.graphs)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", o.Checkpoint, err)
		}
		traced = append(traced, ct...)
	}
	res.Trace = time.Since(start)

	start = time.Now()
	m := NewManifest(meta, o.Name, o.Version, o.Checkpoint, o.Commit)
	m.Tokens.Tokenizer = tokenizer
	if res.Dir, err = WriteEntry(o.Repo, m, traced, extra, o.Force); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res.Write = time.Since(start)
	res.Manifest = m
	return res, nil
}
