package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"rewardvision/eval/captions"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// Ship writes the latest checkpoint of the training folder from into the
// folder to (replacing its checkpoint, meta.json and vocabulary; other
// files such as a README stay): trainable weights and the global step
// only, without the optimizer's moments (a third of the size; reward
// tuning starts a fresh optimizer), so seq.Load and task.Load read it.
// The run's log.jsonl is copied too, with its curve drawn by PlotLog in
// curve.svg (CurveFile), titled after to; a folder without a log (or
// with an empty one) ships without both, removing any in to, which would
// describe another run.
func Ship(from, to string) (*task.Meta, error) {
	meta, err := task.Load(from)
	if err != nil {
		return nil, err
	}
	logData, curve, err := shipCurve(from, filepath.Base(to))
	if err != nil {
		return nil, err
	}
	src := context.New()
	if _, err := checkpoints.Load(src).Dir(from).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("load checkpoint from %s: %w", from, err)
	}
	raw, _ := src.GetParam(seq.ParamConfig)
	if s, ok := raw.(string); !ok || s != meta.Model.String() {
		return nil, fmt.Errorf("checkpoint in %s: model config %v differs from its meta.json %s", from, raw, meta.Model.String())
	}
	// Checkpoints store no trainable flag: the weights are the variables
	// outside the optimizer's scopes.
	dst := context.New()
	dst.SetParam(seq.ParamConfig, meta.Model.String())
	n := 0
	for v := range src.IterVariables() {
		if isOptimizerVar(v) {
			continue
		}
		if _, err := v.CloneToContext(dst); err != nil {
			return nil, fmt.Errorf("copy variable %s: %w", v.ScopeAndName(), err)
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("checkpoint in %s holds no weights", from)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return nil, err
	}
	old, err := filepath.Glob(filepath.Join(to, "checkpoint-*"))
	if err != nil {
		return nil, err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return nil, err
		}
	}
	h, err := checkpoints.Build(dst).Dir(to).Keep(1).Done()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", to, err)
	}
	if err := h.Save(); err != nil {
		return nil, fmt.Errorf("save weights in %s: %w", to, err)
	}
	if meta.VocabFile != "" {
		v, err := codec.LoadVocab(filepath.Join(from, meta.VocabFile), captions.Tokenize)
		if err != nil {
			return nil, err
		}
		if err := codec.SaveVocab(v, filepath.Join(to, meta.VocabFile)); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{LogFile, logData}, {CurveFile, curve}} {
		path := filepath.Join(to, f.name)
		if f.data == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			continue
		}
		if err := atomicfile.WriteBytes(path, f.data); err != nil {
			return nil, err
		}
	}
	if err := task.Save(to, meta); err != nil {
		return nil, err
	}
	return meta, nil
}

// isOptimizerVar: Adam's moments and step, and the learning rate, which
// live under the optimizer scopes; the root global_step is kept (it says
// how far the weights were trained).
func isOptimizerVar(v *context.Variable) bool {
	scope := v.Scope()
	for _, s := range []string{optimizers.Scope, optimizers.AdamDefaultScope} {
		p := context.ScopeSeparator + s
		if scope == p || len(scope) > len(p) && scope[:len(p)+1] == p+context.ScopeSeparator {
			return true
		}
	}
	return false
}
