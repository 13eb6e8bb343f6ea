// Package backendtest holds what the model packages' tests and benchmarks
// share: one GoMLX backend per test binary, and the process's peak memory.
package backendtest

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"rewardvision/models/backend"
)

var (
	once sync.Once
	be   backends.Backend
	err  error
)

// Shared returns one backend (backend.New) for the whole test binary:
// creating one per test would recompile nothing but costs start-up time.
func Shared(tb testing.TB) backends.Backend {
	tb.Helper()
	once.Do(func() { be, err = backend.New() })
	if err != nil {
		tb.Fatal(err)
	}
	return be
}

// PeakRSSMiB reads the process's peak resident set size (VmHWM) on Linux;
// 0 elsewhere.
func PeakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
