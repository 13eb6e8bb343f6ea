//go:build !unix

// Package cputime reads the process's CPU time, for benchmarks that
// report work per CPU-second rather than per wall-second.
package cputime

import "time"

// Process is not measured on this system: it returns 0.
func Process() time.Duration { return 0 }
