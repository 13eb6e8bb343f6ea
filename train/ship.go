package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"rewardvision/eval/captions"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// Ship writes the latest checkpoint of the training folder from into the
// folder to: trainable weights and the global step only, without the
// optimizer's moments (a third of the size; reward tuning starts a fresh
// optimizer), so seq.Load and checkpoint.Load read it; meta.json and the
// vocabulary; the run's log.jsonl with its curve drawn by PlotLog in
// curve.svg (CurveFile), titled after to. Files of an existing to that
// Ship does not write (a README) are kept.
//
// The new folder is written beside to and renamed over it only when
// complete, so a failure midway leaves the old one as it was. to may not
// be from itself nor a training run (its optimizer state would be lost
// and a later --resume would silently not be exact).
func Ship(from, to string) (*checkpoint.Meta, error) {
	if err := CheckShipTarget(from, to); err != nil {
		return nil, err
	}
	meta, err := checkpoint.Load(from)
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
	parent := filepath.Dir(filepath.Clean(to))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(to)+".ship-")
	if err != nil {
		return nil, fmt.Errorf("ship to %s: %w", to, err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up a failure
	if err := writeShipped(tmp, from, to, dst, meta, logData, curve); err != nil {
		return nil, fmt.Errorf("ship to %s: %w", to, err)
	}
	if err := atomicfile.ReplaceDir(tmp, to); err != nil {
		return nil, fmt.Errorf("ship to %s: %w", to, err)
	}
	return meta, nil
}

// CheckShipTarget refuses a destination that is the source itself, holds
// a training run, or is a non-empty folder other than a shipped one.
func CheckShipTarget(from, to string) error {
	fi, err := os.Stat(from)
	if err != nil {
		return fmt.Errorf("ship from %s: %w", from, err)
	}
	ti, err := os.Stat(to)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ship to %s: %w", to, err)
	}
	if !ti.IsDir() {
		return fmt.Errorf("ship to %s: not a folder", to)
	}
	if os.SameFile(fi, ti) {
		return fmt.Errorf("ship to %s: it is the source folder; ship into another folder", to)
	}
	if _, err := os.Stat(filepath.Join(to, ConfigFile)); err == nil {
		return fmt.Errorf("ship to %s: it holds a training run (%s); shipping over it would drop its optimizer state", to, ConfigFile)
	}
	// Shipping keeps an old shipped folder's own files but not its
	// folders: replace only a shipped folder (or an empty one), never
	// a data split or anything else.
	des, err := os.ReadDir(to)
	if err != nil {
		return fmt.Errorf("ship to %s: %w", to, err)
	}
	if len(des) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(to, checkpoint.MetaFile)); err != nil {
		return fmt.Errorf("ship to %s: it is not a shipped folder (no %s); ship into a new or empty folder", to, checkpoint.MetaFile)
	}
	for _, e := range des {
		if e.IsDir() {
			return fmt.Errorf("ship to %s: it holds a folder (%s), which shipping would drop; ship into a new or empty folder", to, e.Name())
		}
	}
	return nil
}

// writeShipped fills the empty folder dir with what Ship ships, plus the
// files of the old folder to that Ship does not write.
func writeShipped(dir, from, to string, weights *context.Context, meta *checkpoint.Meta, logData, curve []byte) error {
	h, err := checkpoints.Build(weights).Dir(dir).Keep(1).Done()
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	written := map[string]bool{checkpoint.MetaFile: true, LogFile: true, CurveFile: true}
	if meta.VocabFile != "" {
		v, err := codec.LoadVocab(filepath.Join(from, meta.VocabFile), captions.Tokenize)
		if err != nil {
			return err
		}
		if err := codec.SaveVocab(v, filepath.Join(dir, meta.VocabFile)); err != nil {
			return err
		}
		written[meta.VocabFile] = true
	}
	if c := meta.Codebook(); c != nil {
		spec, err := specFromMeta(from, meta) // loads and checks the code
		if err != nil {
			return err
		}
		if err := spec.(denseSpec).saveCode(filepath.Join(dir, c.CodebookFile)); err != nil {
			return err
		}
		written[c.CodebookFile] = true
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{LogFile, logData}, {CurveFile, curve}} {
		if f.data == nil { // no log: no curve either, and none of an older run
			continue
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	if err := checkpoint.Save(dir, meta); err != nil {
		return err
	}
	old, err := os.ReadDir(to)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range old {
		name := e.Name()
		if written[name] || strings.HasPrefix(name, "checkpoint") || !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(to, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
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
