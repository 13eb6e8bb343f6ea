//go:build unix

// Package cputime reads the process's CPU time, for benchmarks that
// report work per CPU-second rather than per wall-second.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user + system CPU time this process has used (0 where
// it cannot be read).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
