// Package ortrun loads ONNX Runtime and opens sessions on the requested
// execution provider. The shared library is found in this order: the
// --ort-lib flag, the ONNXRUNTIME_LIB environment variable, the
// project-local install (third_party/onnxruntime, made by
// scripts/install-onnxruntime.sh), then the system's library path.
package ortrun

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// WantVersion is the ONNX Runtime release the project installs and tests.
const WantVersion = "1.24.1"

// EnvLib names the environment variable that points at the library.
const EnvLib = "ONNXRUNTIME_LIB"

// InstallHint is the command that installs the library project-locally.
const InstallHint = "scripts/install-onnxruntime.sh (or: make ort)"

// localRel is the project-local install path, relative to the project root.
var localRel = filepath.Join("third_party", "onnxruntime", "libonnxruntime.so."+WantVersion)

// Candidate is one place the library may be loaded from.
type Candidate struct {
	Path   string
	Source string // "flag", "env", "project", "system"
}

// Candidates lists where to look, in order. An explicit flag or env value
// is the only candidate: a user who names a library gets that one or an error,
// never a silent fallback to another.
func Candidates(flagPath, envPath string, projectDirs []string) []Candidate {
	if flagPath != "" {
		return []Candidate{{flagPath, "flag --ort-lib"}}
	}
	if envPath != "" {
		return []Candidate{{envPath, "env " + EnvLib}}
	}
	var cs []Candidate
	seen := map[string]bool{}
	for _, d := range projectDirs {
		p := filepath.Join(d, localRel)
		if !seen[p] {
			seen[p] = true
			cs = append(cs, Candidate{p, "project"})
		}
	}
	// Bare names make dlopen search the system's library path.
	return append(cs, Candidate{"libonnxruntime.so." + WantVersion, "system"},
		Candidate{"libonnxruntime.so", "system"})
}

// ProjectDirs are the directories searched for the project-local install:
// the working directory and its parents, and those of the executable.
func ProjectDirs() []string {
	var dirs []string
	add := func(start string) {
		for d := start; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				return
			}
		}
	}
	if wd, err := os.Getwd(); err == nil {
		add(wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			add(filepath.Dir(exe))
		}
	}
	return dirs
}

// Runtime describes the loaded ONNX Runtime library.
type Runtime struct {
	Version   string
	Path      string
	Source    string
	Providers []string
}

var (
	mu     sync.Mutex
	loaded *Runtime
)

// Load finds and initialises ONNX Runtime once per process. Later calls
// return the same Runtime (the library cannot be swapped after loading).
func Load(flagPath string) (*Runtime, error) { return LoadFrom(flagPath, "") }

// LoadFrom is Load where source says, for messages, where flagPath came
// from ("env RV_ORT_LIB"; "" is "flag --ort-lib").
func LoadFrom(flagPath, source string) (*Runtime, error) {
	mu.Lock()
	defer mu.Unlock()
	if loaded != nil {
		if flagPath != "" && flagPath != loaded.Path {
			return nil, fmt.Errorf("ONNX Runtime is already loaded from %s; one process cannot switch to %s", loaded.Path, flagPath)
		}
		return loaded, nil
	}
	cands := Candidates(flagPath, os.Getenv(EnvLib), ProjectDirs())
	if flagPath != "" && source != "" {
		cands[0].Source = source
	}
	rt, err := load(cands)
	if err != nil {
		return nil, err
	}
	loaded = rt
	return rt, nil
}

func load(cands []Candidate) (*Runtime, error) {
	var tried []string
	for _, c := range cands {
		info, err := probe(c.Path)
		if err == nil {
			ort.SetSharedLibraryPath(c.Path)
			if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
				return nil, fmt.Errorf("initialise ONNX Runtime from %s: %w", c.Path, err)
			}
			slog.Debug("loaded ONNX Runtime", "path", c.Path, "source", c.Source, "version", info.Version)
			return &Runtime{Version: info.Version, Path: c.Path, Source: c.Source, Providers: info.Providers}, nil
		}
		explicit := c.Source != "project" && c.Source != "system"
		if errors.Is(err, errAPIMismatch) {
			return nil, fmt.Errorf("ONNX Runtime at %s (%s) is version %s, which lacks C API %d: this binary needs ONNX Runtime %s; run %s or point --ort-lib/%s at a %s library",
				c.Path, c.Source, info.Version, apiVersion, WantVersion, InstallHint, EnvLib, WantVersion)
		}
		if explicit {
			return nil, fmt.Errorf("cannot load ONNX Runtime from %s (%s): %s; fix the path, or unset it and run %s",
				c.Path, c.Source, oneLine(err.Error()), InstallHint)
		}
		tried = append(tried, c.Path)
	}
	return nil, fmt.Errorf("ONNX Runtime %s not found (tried %s); install it with %s or set --ort-lib/%s",
		WantVersion, strings.Join(tried, ", "), InstallHint, EnvLib)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// HasProvider reports whether ORT lists the named execution provider.
func (r *Runtime) HasProvider(name string) bool {
	for _, p := range r.Providers {
		if p == name {
			return true
		}
	}
	return false
}

// Device is where sessions run: the CPU, or CUDA device Index. Auto means
// CUDA device 0 when it works, else the CPU with a warning. The zero Device
// is the CPU.
type Device struct {
	Kind  string // "cpu" (or ""), "cuda" or "auto"
	Index int
}

func (d Device) String() string {
	if d.Kind == "" {
		return "cpu"
	}
	if d.Kind == "cuda" {
		return "cuda:" + strconv.Itoa(d.Index)
	}
	return d.Kind
}

// ParseDevice parses "cpu", "auto", "cuda" or "cuda:N".
func ParseDevice(s string) (Device, error) {
	kind, idx, hasIdx := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	switch {
	case kind == "cpu" && !hasIdx, kind == "auto" && !hasIdx:
		return Device{Kind: kind}, nil
	case kind == "cuda" && !hasIdx:
		return Device{Kind: "cuda"}, nil
	case kind == "cuda":
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 {
			return Device{}, fmt.Errorf("--device %q: the CUDA device index must be a number ≥ 0, as in cuda:1", s)
		}
		return Device{Kind: "cuda", Index: n}, nil
	}
	return Device{}, fmt.Errorf("--device %q: want cpu, cuda, cuda:N or auto", s)
}

// CUDAHint says what a machine needs for --device cuda.
const CUDAHint = "install a GPU build of ONNX Runtime 1.24 with libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so beside the core library, plus CUDA 12 and cuDNN 9, and point --ort-lib at it"

// SessionOptions returns session options for dev, and the device actually
// used (auto resolves to cuda:0 or cpu). The caller destroys the options.
func (r *Runtime) SessionOptions(dev Device) (*ort.SessionOptions, Device, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, dev, fmt.Errorf("create ONNX Runtime session options: %w", err)
	}
	if dev.Kind == "cpu" || dev.Kind == "" {
		return opts, Device{Kind: "cpu"}, nil
	}
	cudaDev := Device{Kind: "cuda", Index: dev.Index}
	err = appendCUDA(opts, cudaDev.Index)
	if err == nil {
		return opts, cudaDev, nil
	}
	opts.Destroy()
	if dev.Kind == "auto" {
		slog.Warn("CUDA unavailable, running on CPU", "reason", err)
		opts, err2 := ort.NewSessionOptions()
		if err2 != nil {
			return nil, dev, fmt.Errorf("create ONNX Runtime session options: %w", err2)
		}
		return opts, Device{Kind: "cpu"}, nil
	}
	return nil, dev, err
}

// CheckDevice verifies that sessions can be opened on dev and returns the
// device that will be used.
func (r *Runtime) CheckDevice(dev Device) (Device, error) {
	opts, used, err := r.SessionOptions(dev)
	if err != nil {
		return used, err
	}
	opts.Destroy()
	return used, nil
}

func appendCUDA(opts *ort.SessionOptions, index int) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return cudaError(index, err)
	}
	defer cuda.Destroy()
	if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(index)}); err != nil {
		return cudaError(index, err)
	}
	if err := opts.AppendExecutionProviderCUDA(cuda); err != nil {
		return cudaError(index, err)
	}
	return nil
}

func cudaError(index int, err error) error {
	return fmt.Errorf("CUDA execution provider for cuda:%d is not available (%s): %s",
		index, oneLine(err.Error()), CUDAHint)
}
