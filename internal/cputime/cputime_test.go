package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessGrows: CPU time spent spinning shows up, and never more than
// the wall time times the CPUs that could run it.
func TestProcessGrows(t *testing.T) {
	if Process() == 0 {
		t.Skip("CPU time is not measured on " + runtime.GOOS)
	}
	start, c0 := time.Now(), Process()
	x := 0
	for time.Since(start) < 50*time.Millisecond {
		x++
	}
	used, wall := Process()-c0, time.Since(start)
	if used < 10*time.Millisecond || used > wall*time.Duration(runtime.NumCPU())+10*time.Millisecond {
		t.Errorf("spinning %v of wall time used %v of CPU (x=%d)", wall, used, x)
	}
}
