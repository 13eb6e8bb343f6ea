// Package buildinfo says which source the binary was built from.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Commit is set at link time by the Makefile:
// -ldflags "-X rewardvision/internal/buildinfo.Commit=$(git rev-parse HEAD)".
var Commit = ""

// Revision returns the commit the binary was built from: the link-time value,
// else the VCS stamp Go records, else "unknown".
func Revision() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// GoVersion is the Go release that compiled the binary.
func GoVersion() string { return runtime.Version() }
