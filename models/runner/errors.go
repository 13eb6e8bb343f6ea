package runner

import (
	"errors"
	"fmt"
)

// Error kinds, for errors.Is: a caller's mistake (bad options, an empty or
// malformed image) is ErrBadInput; a failure of ONNX Runtime itself (a
// session that fails to run, a tensor it cannot allocate) is ErrEngine. A
// server answers the first with 400 and the second with 500. Cancellation
// is neither: it surfaces as the context's own error.
var (
	ErrBadInput = errors.New("bad input")
	ErrEngine   = errors.New("inference engine failure")
)

// InputError is a caller's mistake, naming the parameter at fault
// ("temperature", "top_k", "image", ...). errors.Is(err, ErrBadInput) holds.
type InputError struct {
	Param  string
	Reason string
}

func (e *InputError) Error() string { return e.Param + ": " + e.Reason }

// Is makes errors.Is(err, ErrBadInput) true.
func (e *InputError) Is(target error) bool { return target == ErrBadInput }

func badInput(param, format string, args ...any) error {
	return &InputError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// EngineError is a failure inside ONNX Runtime during op (a graph role or
// a tensor operation). errors.Is(err, ErrEngine) holds.
type EngineError struct {
	Op  string
	Err error
}

func (e *EngineError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the runtime's error.
func (e *EngineError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrEngine) true.
func (e *EngineError) Is(target error) bool { return target == ErrEngine }

func engine(op string, err error) error {
	if err == nil {
		return nil
	}
	return &EngineError{Op: op, Err: err}
}
