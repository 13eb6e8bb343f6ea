package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"rewardvision/api"
	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// routeTask maps a model's task (model.json) to its route (/v1/<route>).
// Panoptic models do not exist yet; their route answers 404 until an
// entry of that task is loaded.
var routeTask = map[string]string{
	task.Detection:    api.TaskDetect,
	task.Captioning:   api.TaskCaption,
	task.Panoptic:     api.TaskPanoptic,
	task.Colorization: api.TaskColorize,
}

// Model is one loaded repository entry.
type Model struct {
	Ref      api.ModelRef
	Route    string // detect, caption, ...
	Dir      string
	Runner   *runner.Runner
	manifest json.RawMessage
	ready    atomic.Bool
	refs     modelRefs // requests using it; a retired model closes at zero (reload.go)
	batch    *batcher  // nil without dynamic batching (batch.go)
	stamp    string    // what the entry looked like on disk when loaded (reload.go)
}

// Registry holds every loaded entry and routes (task, variant) to one.
// Its set of models can change while serving (reload.go): readers take a
// snapshot, and requests hold a reference (Acquire) so that a replaced
// model finishes their work before it is closed.
type Registry struct {
	cur atomic.Pointer[regState]
	src *regSource // where models are loaded from; nil for NewRegistry's
	mu  sync.Mutex // serialises changes to the set
	log *slog.Logger
}

// regState is one immutable set of models and its routes.
type regState struct {
	models []*Model
	// routes: task route → variant → the highest version of that variant.
	routes map[string]map[string]*Model
}

// LoadRegistry opens every entry REPO/<name>/<version>/model.json on dev.
// Any entry that fails to load fails the whole load, naming the entry: a
// server that silently serves fewer models than its repository holds is
// worse than one that does not start.
func LoadRegistry(dir string, rt *ortrun.Runtime, dev ortrun.Device, opts runner.Options, log *slog.Logger) (*Registry, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("model repository: %w", err)
	}
	var ms []*Model
	fail := func(err error) (*Registry, error) {
		for _, m := range ms {
			_ = m.Runner.Close()
		}
		return nil, err
	}
	for _, n := range names {
		if !n.IsDir() {
			continue
		}
		versions, err := os.ReadDir(filepath.Join(dir, n.Name()))
		if err != nil {
			return fail(fmt.Errorf("model repository: %w", err))
		}
		for _, v := range versions {
			entry := filepath.Join(dir, n.Name(), v.Name())
			if _, err := strconv.Atoi(v.Name()); err != nil || !v.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(entry, repo.ManifestFile)); errors.Is(err, os.ErrNotExist) {
				continue
			}
			start := time.Now()
			m, err := loadModel(entry, rt, dev, opts)
			if err != nil {
				return fail(err)
			}
			log.Info("model loaded", "model", m.Ref.Name, "version", m.Ref.Version, "task", m.Ref.Task,
				"variant", m.Ref.Variant, "device", m.Runner.Device.String(), "ms", time.Since(start).Milliseconds())
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("model repository %s: no entries (want <name>/<version>/%s)", dir, repo.ManifestFile)
	}
	reg, err := NewRegistry(ms, log)
	if err != nil {
		return fail(err)
	}
	reg.src = &regSource{dir: dir, rt: rt, dev: dev, opts: opts}
	return reg, nil
}

func loadModel(entry string, rt *ortrun.Runtime, dev ortrun.Device, opts runner.Options) (*Model, error) {
	r, err := runner.OpenWith(entry, rt, dev, opts)
	if err != nil {
		return nil, fmt.Errorf("model repository entry %s: %w", entry, err)
	}
	raw, err := json.Marshal(r.Manifest)
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("model repository entry %s: %w", entry, err)
	}
	return newModel(r, entry, raw)
}

func newModel(r *runner.Runner, dir string, raw json.RawMessage) (*Model, error) {
	m := r.Manifest
	route, ok := routeTask[m.Task]
	if !ok {
		return nil, fmt.Errorf("model %s: task %q has no route", m.Name, m.Task)
	}
	return &Model{Ref: api.ModelRef{Name: m.Name, Version: m.Version, Task: m.Task, Variant: m.Variant},
		Route: route, Dir: dir, Runner: r, manifest: raw}, nil
}

// NewRegistry routes the given models; of several entries with the same
// task and variant the highest version serves (the others are listed).
func NewRegistry(ms []*Model, log *slog.Logger) (*Registry, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{log: log}
	r.cur.Store(newState(ms, log))
	return r, nil
}

func newState(ms []*Model, log *slog.Logger) *regState {
	slices.SortFunc(ms, func(a, b *Model) int {
		if a.Ref.Name != b.Ref.Name {
			if a.Ref.Name < b.Ref.Name {
				return -1
			}
			return 1
		}
		return a.Ref.Version - b.Ref.Version
	})
	r := &regState{models: ms, routes: map[string]map[string]*Model{}}
	for _, m := range ms {
		byVariant := r.routes[m.Route]
		if byVariant == nil {
			byVariant = map[string]*Model{}
			r.routes[m.Route] = byVariant
		}
		if old := byVariant[m.Ref.Variant]; old != nil {
			keep, drop := m, old
			if old.Ref.Version > m.Ref.Version {
				keep, drop = old, m
			}
			if log != nil {
				log.Warn("model loaded but not routed: another entry of the same task and variant has a higher version",
					"model", drop.Ref.Name, "version", drop.Ref.Version, "served_by", keep.Ref.Name, "served_version", keep.Ref.Version)
			}
			byVariant[m.Ref.Variant] = keep
			continue
		}
		byVariant[m.Ref.Variant] = m
	}
	return r
}

// Models lists every loaded entry, by name and version.
func (r *Registry) Models() []*Model { return r.cur.Load().models }

// Variants lists the variants served for a task route, sorted.
func (r *Registry) Variants(route string) []string {
	var vs []string
	for v := range r.cur.Load().routes[route] {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// Lookup returns the model serving (route, variant).
func (r *Registry) Lookup(route, variant string) (*Model, error) {
	byVariant := r.cur.Load().routes[route]
	if len(byVariant) == 0 {
		return nil, errorf(ErrNotFound, "no model for task %s", route)
	}
	m, ok := byVariant[variant]
	if !ok {
		return nil, errorf(ErrNotFound, "no %q variant for task %s (served: %v)", variant, route, r.Variants(route))
	}
	return m, nil
}

// WarmUp runs each model once on a blank image, so the first request does
// not pay ONNX Runtime's lazy initialisation, and marks it ready.
func (r *Registry) WarmUp(ctx context.Context) error {
	for _, m := range r.Models() {
		if err := warmUp(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func warmUp(ctx context.Context, m *Model) error {
	blank := image.NewRGBA(image.Rect(0, 0, 32, 32))
	opts := m.Runner.DefaultOptions()
	opts.Temperature = 0
	if _, err := m.Runner.PredictContext(ctx, []image.Image{blank}, opts); err != nil {
		return fmt.Errorf("warm up %s/%d: %w", m.Ref.Name, m.Ref.Version, err)
	}
	m.ready.Store(true)
	return nil
}

// Ready reports whether every model is loaded and warmed up.
func (r *Registry) Ready() bool {
	ms := r.Models()
	for _, m := range ms {
		if !m.ready.Load() {
			return false
		}
	}
	return len(ms) > 0
}

// Close releases every session.
func (r *Registry) Close() error {
	var errs []error
	for _, m := range r.Models() {
		if m.batch != nil {
			m.batch.close()
		}
		errs = append(errs, m.Runner.Close())
	}
	return errors.Join(errs...)
}
