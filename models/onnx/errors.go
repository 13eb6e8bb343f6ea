package onnx

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// UnsupportedOpError is returned when the traced function uses a GoMLX op
// (or a form of one) that the exporter does not write.
type UnsupportedOpError struct {
	Op     string // GoMLX backend op, e.g. "Cos", "Gather"
	Reason string // why, for ops only partly supported
	Where  string // first caller outside GoMLX and this package
}

func (e *UnsupportedOpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "onnx export: op %s is not supported", e.Op)
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Where != "" {
		fmt.Fprintf(&b, ", called from %s", e.Where)
	}
	return b.String()
}

// DynamicShapeError is returned when a size or constant derived from a
// dynamic axis cannot be written as a run-time expression: e.g. a constant
// that holds the batch size, or a non-scalar constant shaped by it.
type DynamicShapeError struct {
	What  string
	Err   error
	Where string
}

func (e *DynamicShapeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "onnx export: %s depends on a dynamic axis", e.What)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Where != "" {
		fmt.Fprintf(&b, ", called from %s", e.Where)
	}
	return b.String()
}

func (e *DynamicShapeError) Unwrap() error { return e.Err }

// callerOutside names the innermost caller that is neither GoMLX nor this
// package nor the runtime: the model code that asked for the op.
func callerOutside() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		fn := f.Function
		if fn != "" && !strings.HasPrefix(fn, "github.com/gomlx/") && !strings.HasPrefix(fn, "runtime.") &&
			!strings.HasPrefix(fn, "reflect.") && !strings.HasPrefix(fn, thisPkg+".") {
			return fmt.Sprintf("%s (%s:%d)", fn, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

const thisPkg = "rewardvision/models/onnx"
