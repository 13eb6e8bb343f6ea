package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
)

// Hot reload. A model name is its folder in the repository
// (REPO/<name>/<version>/model.json), as in Triton. Loading a name opens
// and warms up every version folder of it before the swap, so requests
// never see a cold or half-loaded model; the swap replaces the registry's
// set at once; a replaced or unloaded model is retired: new requests no
// longer find it, the requests holding it finish on it, and it is closed
// when the last one lets go.

// regSource is where a registry's models come from, to load them again.
type regSource struct {
	dir  string
	rt   *ortrun.Runtime
	dev  ortrun.Device
	opts runner.Options
}

// modelRefs counts the requests using a model. Once retired and idle the
// model may be closed; a retired model takes no new references.
type modelRefs struct {
	mu      sync.Mutex
	n       int
	retired bool
	idle    chan struct{}
}

func (r *modelRefs) acquire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retired {
		return false
	}
	r.n++
	return true
}

func (r *modelRefs) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n--
	if r.n == 0 && r.retired {
		close(r.idle)
	}
}

// retire refuses new references and returns a channel closed once the
// last one is released.
func (r *modelRefs) retire() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.retired {
		r.retired, r.idle = true, make(chan struct{})
		if r.n == 0 {
			close(r.idle)
		}
	}
	return r.idle
}

// Release gives back a reference taken by Acquire or AcquireNamed.
func (m *Model) Release() { m.refs.release() }

// RepoName is the model's folder name in the repository ("" when it was
// not loaded from one).
func (m *Model) RepoName() string {
	if m.Dir == "" {
		return ""
	}
	return filepath.Base(filepath.Dir(m.Dir))
}

// Acquire is Lookup taking a reference: the model stays open until
// Release, even if a reload replaces it meanwhile.
func (r *Registry) Acquire(route, variant string) (*Model, error) {
	for {
		m, err := r.Lookup(route, variant)
		if err != nil {
			return nil, err
		}
		if m.refs.acquire() {
			return m, nil
		}
		// Retired between the lookup and now: the current set has its
		// replacement (or not, and Lookup says so).
	}
}

// AcquireNamed takes a reference to the model called name (model.json's
// name, or its repository folder) at version, the highest loaded one when
// version is 0.
func (r *Registry) AcquireNamed(name string, version int) (*Model, error) {
	for {
		m, err := r.LookupNamed(name, version)
		if err != nil {
			return nil, err
		}
		if m.refs.acquire() {
			return m, nil
		}
	}
}

// LookupNamed is AcquireNamed without the reference.
func (r *Registry) LookupNamed(name string, version int) (*Model, error) {
	var best *Model
	found := false
	for _, m := range r.Models() {
		if m.Ref.Name != name && m.RepoName() != name {
			continue
		}
		found = true
		if version != 0 && m.Ref.Version != version {
			continue
		}
		if best == nil || m.Ref.Version > best.Ref.Version {
			best = m
		}
	}
	switch {
	case best != nil:
		return best, nil
	case found:
		return nil, errorf(ErrNotFound, "model %s has no version %d loaded", name, version)
	}
	return nil, errorf(ErrNotFound, "no model %s", name)
}

// reloader is the server's state for loads and unloads.
type reloader struct {
	mu       sync.Mutex        // one load, unload or rescan at a time
	known    map[string]string // repository name → stamp at the last load or scan
	retiring sync.WaitGroup    // retired models not yet closed
}

// stampEntry fingerprints an entry folder: names, sizes and times of its
// files and the bytes of model.json, so a rewritten entry is seen even
// when its version number stays.
func stampEntry(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s %d %d\n", rel, info.Size(), info.ModTime().UnixNano())
		if d.Name() == repo.ManifestFile {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// repoVersions lists the version folders of name that hold a model.json,
// ascending, and a stamp of them all.
func repoVersions(dir, name string) ([]string, string, error) {
	vs, err := os.ReadDir(filepath.Join(dir, name))
	if err != nil {
		return nil, "", err
	}
	var entries []string
	for _, v := range vs {
		if _, err := strconv.Atoi(v.Name()); err != nil || !v.IsDir() {
			continue
		}
		entry := filepath.Join(dir, name, v.Name())
		if _, err := os.Stat(filepath.Join(entry, repo.ManifestFile)); err != nil {
			continue
		}
		entries = append(entries, entry)
	}
	slices.SortFunc(entries, func(a, b string) int {
		x, _ := strconv.Atoi(filepath.Base(a))
		y, _ := strconv.Atoi(filepath.Base(b))
		return x - y
	})
	h := sha256.New()
	for _, e := range entries {
		s, err := stampEntry(e)
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintln(h, filepath.Base(e), s)
	}
	return entries, hex.EncodeToString(h.Sum(nil)), nil
}

// repoNames lists the repository's model folders that hold at least one
// version, sorted.
func repoNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("model repository: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if vs, _, err := repoVersions(dir, e.Name()); err == nil && len(vs) > 0 {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// validRepoName refuses names that would leave the repository folder.
func validRepoName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name && filepath.IsLocal(name)
}

// LoadModel loads (or reloads) every version of the repository's model
// name, warms it up and swaps it in for any loaded versions of that name.
// On failure the old versions keep serving.
func (s *Server) LoadModel(ctx context.Context, name string) error {
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	return s.loadLocked(ctx, name)
}

func (s *Server) loadLocked(ctx context.Context, name string) error {
	src := s.reg.src
	if src == nil {
		return errorf(ErrBadRequest, "this server's models were not loaded from a repository folder")
	}
	if !validRepoName(name) {
		return errorf(ErrBadRequest, "model name %q: want a folder name of the repository", name)
	}
	entries, stamp, err := repoVersions(src.dir, name)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return errorf(ErrNotFound, "no model %s in the repository (want %s/<version>/%s)", name, name, repo.ManifestFile)
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", name, err)
	}
	start := time.Now()
	var fresh []*Model
	closeFresh := func() {
		for _, m := range fresh {
			_ = m.Runner.Close()
		}
	}
	for _, e := range entries {
		m, err := loadModel(e, src.rt, src.dev, src.opts)
		if err == nil {
			fresh = append(fresh, m)
			err = warmUp(ctx, m)
		}
		if err != nil {
			closeFresh()
			return errorf(ErrBadRequest, "load %s failed, the loaded versions keep serving: %v", name, err)
		}
	}
	for _, m := range fresh {
		m.stamp = stamp
		s.attachBatcher(m)
	}
	removed := s.reg.swap(func(old []*Model) []*Model {
		keep := slices.DeleteFunc(slices.Clone(old), func(m *Model) bool { return m.RepoName() == name })
		return append(keep, fresh...)
	})
	s.rl.known[name] = stamp
	s.retire(removed)
	for _, m := range fresh {
		s.log.Info("model loaded", "model", m.Ref.Name, "version", m.Ref.Version, "task", m.Ref.Task,
			"variant", m.Ref.Variant, "replaced", len(removed), "ms", time.Since(start).Milliseconds())
	}
	s.xm.reloads.WithLabelValues("load").Inc()
	s.updateModelMetrics()
	return nil
}

// UnloadModel stops serving every version of name; requests running on
// it finish first.
func (s *Server) UnloadModel(name string) error {
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	return s.unloadLocked(name)
}

func (s *Server) unloadLocked(name string) error {
	removed := s.reg.swap(func(old []*Model) []*Model {
		return slices.DeleteFunc(slices.Clone(old), func(m *Model) bool { return m.RepoName() == name || m.Ref.Name == name })
	})
	if len(removed) == 0 {
		return errorf(ErrNotFound, "no model %s loaded", name)
	}
	s.retire(removed)
	s.log.Info("model unloaded", "model", name, "versions", len(removed))
	s.xm.reloads.WithLabelValues("unload").Inc()
	return nil
}

// Rescan compares the repository folder with what was loaded: a new or
// changed model is (re)loaded, a removed one unloaded, the others left as
// they are (a model unloaded through the API stays unloaded until its
// files change). `rewardvision serve` calls it on SIGHUP and every --watch.
func (s *Server) Rescan(ctx context.Context) error {
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	src := s.reg.src
	if src == nil {
		return errors.New("rescan: the models were not loaded from a repository folder")
	}
	names, err := repoNames(src.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		_, stamp, err := repoVersions(src.dir, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("rescan %s: %w", name, err))
			continue
		}
		if old, ok := s.rl.known[name]; ok && old == stamp {
			continue
		}
		if err := s.loadLocked(ctx, name); err != nil {
			// Remember the failed files: the next scan retries once they change.
			s.rl.known[name] = stamp
			errs = append(errs, err)
		}
	}
	for name := range s.rl.known {
		if slices.Contains(names, name) {
			continue
		}
		delete(s.rl.known, name)
		if err := s.unloadLocked(name); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	s.xm.reloads.WithLabelValues("rescan").Inc()
	return errors.Join(errs...)
}

// swap replaces the set of models by change(old) and returns the models
// that left it.
func (r *Registry) swap(change func(old []*Model) []*Model) []*Model {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.cur.Load().models
	next := change(old)
	r.cur.Store(newState(next, r.log))
	var removed []*Model
	for _, m := range old {
		if !slices.Contains(next, m) {
			removed = append(removed, m)
		}
	}
	return removed
}

// retire closes each model once the requests holding it are done.
func (s *Server) retire(ms []*Model) {
	for _, m := range ms {
		s.metrics.modelLoad.DeleteLabelValues(m.Ref.Name, strconv.Itoa(m.Ref.Version), m.Ref.Task, m.Ref.Variant)
		idle := m.refs.retire()
		s.rl.retiring.Add(1)
		go func() {
			defer s.rl.retiring.Done()
			<-idle
			if m.batch != nil {
				m.batch.close()
			}
			if err := m.Runner.Close(); err != nil {
				s.log.Error("closing a retired model", "model", m.Ref.Name, "version", m.Ref.Version, "err", err)
			}
			trimHeap()
		}()
	}
}

// WaitRetired waits until every retired model is closed (tests, shutdown).
func (s *Server) WaitRetired() { s.rl.retiring.Wait() }

// initKnown records the stamps of the models loaded at start, so the
// first rescan reloads only what changed since.
func (s *Server) initKnown() {
	s.rl.known = map[string]string{}
	src := s.reg.src
	if src == nil {
		return
	}
	for _, m := range s.reg.Models() {
		name := m.RepoName()
		if _, ok := s.rl.known[name]; ok {
			continue
		}
		if _, stamp, err := repoVersions(src.dir, name); err == nil {
			s.rl.known[name] = stamp
			m.stamp = stamp
		}
	}
}
