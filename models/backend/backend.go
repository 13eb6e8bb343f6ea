// Package backend creates the GoMLX backend every training and inference
// graph in rewardvision runs on: the pure-Go "simplego" backend.
//
// It never imports github.com/gomlx/gomlx/backends/default, which would pick
// XLA and try to download its plugin (which fails on these machines).
//
// The configuration comes from $GOMLX_BACKEND when set, formatted
// "<name>[:<options>]" as in GoMLX (e.g. "simplego:ops_sequential",
// "go:parallelism=-1"), else DefaultConfig.
package backend

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// EnvVar names the environment variable that overrides DefaultConfig
// (the same variable GoMLX itself reads).
const EnvVar = "GOMLX_BACKEND"

// DefaultConfig is the backend used when $GOMLX_BACKEND is unset.
//
// Why these options:
//   - parallelism=-1 (unbounded workers inside an op, e.g. a large matrix
//     product): simplego's own default ("") deadlocks now and then on 2 cores.
//   - ops_sequential (one op at a time): simplego's parallel op scheduler,
//     which it picks whenever a single graph runs, has data races in v0.26.0
//     (go test -race flags its use counts and in-place Reshape), which can
//     hand one buffer to two ops.
//
// Measured (2 cores shared with other builds, load 4-5): on the default
// detection model's Adam step at batch 32 (BenchmarkTrainStep here) all
// three configurations ran at 0.25-0.39 steps/s, within noise of each
// other; on two transformer blocks alone (models/nn BenchmarkTrainStep)
// this one ran 2.0 steps/s, "parallelism=-1" 1.4, "ops_sequential" 0.97.
// So the race-free choice costs nothing measurable.
const DefaultConfig = "simplego:parallelism=-1,ops_sequential"

// names accepted for the simplego backend: ours and GoMLX's registry name.
var simplegoNames = []string{"simplego", simplego.BackendName}

// Supported lists the backend names New accepts.
func Supported() []string { return append([]string(nil), simplegoNames...) }

// New creates the backend named by $GOMLX_BACKEND, or DefaultConfig when
// the variable is unset or empty.
func New() (backends.Backend, error) {
	spec := strings.TrimSpace(os.Getenv(EnvVar))
	if spec == "" {
		return NewWithConfig(DefaultConfig)
	}
	b, err := NewWithConfig(spec)
	if err != nil {
		return nil, fmt.Errorf("$%s=%q: %w", EnvVar, spec, err)
	}
	return b, nil
}

// NewWithConfig creates a backend from a "<name>[:<options>]" string.
// Options are simplego's comma-separated ones (parallelism=N,
// ops_sequential, ops_parallel, dotgeneral_small, dotgeneral_large).
func NewWithConfig(spec string) (backends.Backend, error) {
	name, opts, err := ParseConfig(spec)
	if err != nil {
		return nil, err
	}
	_ = name // only simplego exists; ParseConfig rejected anything else.
	b, err := newSimpleGoQuiet(opts)
	if err != nil {
		return nil, fmt.Errorf("backend %q options %q: %w", name, opts, err)
	}
	return b, nil
}

// ParseConfig splits "<name>[:<options>]" and checks the name. The name is
// returned normalised to "simplego".
func ParseConfig(spec string) (name, options string, err error) {
	spec = strings.TrimSpace(spec)
	name, options, _ = strings.Cut(spec, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	for _, n := range simplegoNames {
		if name == n {
			return "simplego", strings.TrimSpace(options), nil
		}
	}
	return "", "", fmt.Errorf("unknown GoMLX backend %q in %q: supported are %s "+
		"(e.g. %q or \"simplego:ops_sequential\"); XLA is not available here",
		name, spec, strings.Join(simplegoNames, ", "), DefaultConfig)
}

// stdoutMu serialises the stdout swap in newSimpleGoQuiet.
var stdoutMu sync.Mutex

// newSimpleGoQuiet calls simplego.New with os.Stdout pointed at /dev/null:
// simplego prints "SimpleGo backend: parallelism set to N" with fmt.Printf,
// which would corrupt the results commands write to stdout. Backends are
// made once at start-up, so the brief swap does not hide anyone's output.
func newSimpleGoQuiet(opts string) (backends.Backend, error) {
	if !strings.Contains(opts, "parallelism") {
		return simplego.New(opts)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return simplego.New(opts)
	}
	defer func() { _ = devnull.Close() }()
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	saved := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = saved }()
	return simplego.New(opts)
}
