//go:build !unix

package main

import "time"

// processCPU is not measured here: bench serve prints "-".
func processCPU() time.Duration { return 0 }
