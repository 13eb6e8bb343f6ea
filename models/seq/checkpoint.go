package seq

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// ParamConfig is the context parameter holding the model's Config (JSON),
// saved with every checkpoint so a checkpoint names its architecture.
const ParamConfig = "seq_config"

// OpenCheckpoints attaches the checkpoint directory dir to the model,
// keeping the latest keep checkpoints (≤ 0: all). If dir already holds
// checkpoints, the latest is loaded (training resumes from it) — after
// checking it was saved by a model of the same Config. Call it before
// training; then SaveCheckpoint writes new checkpoints.
func (m *Model) OpenCheckpoints(dir string, keep int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ckpt != nil {
		return fmt.Errorf("checkpoints already open in %s", m.ckpt.Dir())
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("checkpoint directory %s is a file", dir)
	}
	// Read the latest checkpoint into a scratch context first: loading into
	// the model's own would overwrite its weights before the check.
	scratch := context.New()
	if _, err := checkpoints.Build(scratch).Dir(dir).Immediate().Done(); err != nil {
		return fmt.Errorf("open checkpoints %s: %w", dir, err)
	}
	if scratch.NumVariables() > 0 {
		if _, err := configFromContext(scratch, dir, &m.Cfg); err != nil {
			return err
		}
	}
	cfg := checkpoints.Build(m.ctx).Dir(dir)
	if keep > 0 {
		cfg = cfg.Keep(keep)
	}
	h, err := cfg.Done()
	if err != nil {
		return fmt.Errorf("open checkpoints %s: %w", dir, err)
	}
	m.ckpt = h
	m.resetExecs()
	return nil
}

// SaveCheckpoint writes a checkpoint (weights, optimizer state, config) to
// the directory given to OpenCheckpoints.
func (m *Model) SaveCheckpoint() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ckpt == nil {
		return fmt.Errorf("save checkpoint: no checkpoint directory open (call OpenCheckpoints)")
	}
	m.ctx.SetParam(ParamConfig, m.Cfg.String())
	if err := m.ckpt.Save(); err != nil {
		return fmt.Errorf("save checkpoint in %s: %w", m.ckpt.Dir(), err)
	}
	return nil
}

// Load builds a model from the latest checkpoint in dir, with the Config
// saved there. want, if not nil, is the Config the caller expects: a
// checkpoint of another architecture is then an error naming the
// differences. Later SaveCheckpoint calls write into dir.
func Load(backend backends.Backend, dir string, want *Config) (*Model, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("load model: checkpoint directory %s: not found", dir)
	}
	ctx := context.New()
	h, err := checkpoints.Load(ctx).Dir(dir).Immediate().Done()
	if err != nil {
		return nil, fmt.Errorf("load model from %s: %w", dir, err)
	}
	cfg, err := configFromContext(ctx, dir, want)
	if err != nil {
		return nil, err
	}
	m := newModel(backend, cfg, ctx, 0)
	m.ckpt = h
	return m, nil
}

// configFromContext reads the Config saved in a loaded checkpoint and
// compares it with want (when not nil).
func configFromContext(ctx *context.Context, dir string, want *Config) (Config, error) {
	raw, found := ctx.GetParam(ParamConfig)
	s, isString := raw.(string)
	if !found || !isString {
		return Config{}, fmt.Errorf("checkpoint in %s has no %q parameter: not a rewardvision sequence model", dir, ParamConfig)
	}
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("checkpoint in %s: bad model config %q: %w", dir, s, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("checkpoint in %s: %w", dir, err)
	}
	if want != nil && cfg != *want {
		return Config{}, fmt.Errorf("checkpoint in %s is of another model: %s", dir, configDiff(cfg, *want))
	}
	return cfg, nil
}

// configDiff lists the fields where a checkpoint's config (got) differs
// from the expected one, e.g. "width 128 (expected 96)".
func configDiff(got, want Config) string {
	var diffs []string
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		if g.Field(i).Interface() != w.Field(i).Interface() {
			name := strings.Split(g.Type().Field(i).Tag.Get("json"), ",")[0]
			diffs = append(diffs, fmt.Sprintf("%s %v (expected %v)", strings.ReplaceAll(name, "_", " "), g.Field(i).Interface(), w.Field(i).Interface()))
		}
	}
	return strings.Join(diffs, ", ")
}

// LoadWeights builds a model from the latest checkpoint in dir as Load
// does, but leaves dir read-only: the model is a starting point (reward
// tuning from an MLE checkpoint), and OpenCheckpoints names where its own
// checkpoints go.
func LoadWeights(backend backends.Backend, dir string, want *Config) (*Model, error) {
	m, err := Load(backend, dir, want)
	if err != nil {
		return nil, err
	}
	m.ckpt = nil
	return m, nil
}
