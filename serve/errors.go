package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"rewardvision/api"
	"rewardvision/models/runner"
)

// Sentinel errors of the server. Handlers wrap them (fmt.Errorf("...: %w"))
// or return the typed errors below; statusOf classifies with errors.Is/As
// only, so a message can be reworded without changing a status.
var (
	ErrNotFound         = errors.New("not found")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrNotAcceptable    = errors.New("not acceptable")
	ErrBadRequest       = errors.New("bad request")
	ErrTooLarge         = errors.New("too large")
	ErrUnsupportedMedia = errors.New("unsupported media type")
	ErrOverloaded       = errors.New("overloaded")
	ErrShuttingDown     = errors.New("shutting down")
)

// kindError is an error of one of the kinds above with a message of its
// own: errors.Is sees the kind, the client reads only the message.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ParamError is a bad request parameter; it names it.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return "parameter " + e.Param + ": " + e.Reason }

func badParam(param, format string, args ...any) error {
	return &ParamError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// StatusClientClosed is the status logged when the client went away
// before the answer (nginx's 499); nobody receives it.
const StatusClientClosed = 499

// classify maps an error to its status, envelope code and the message a
// client may see. Internal errors get a generic message: their details
// go to the log with the request id.
func classify(err error) (status int, detail api.ErrorDetail) {
	var pe *ParamError
	var ie *runner.InputError
	switch {
	case errors.As(err, &pe):
		return http.StatusBadRequest, api.ErrorDetail{Code: api.CodeBadParameter, Message: err.Error(), Param: pe.Param}
	case errors.As(err, &ie):
		return http.StatusBadRequest, api.ErrorDetail{Code: api.CodeBadParameter, Message: err.Error(), Param: ie.Param}
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, api.ErrorDetail{Code: api.CodeBadRequest, Message: err.Error()}
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, api.ErrorDetail{Code: api.CodeNotFound, Message: err.Error()}
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed, api.ErrorDetail{Code: api.CodeMethodNotAllowed, Message: err.Error()}
	case errors.Is(err, ErrNotAcceptable):
		return http.StatusNotAcceptable, api.ErrorDetail{Code: api.CodeNotAcceptable, Message: err.Error()}
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, api.ErrorDetail{Code: api.CodeTooLarge, Message: err.Error()}
	case errors.Is(err, ErrUnsupportedMedia):
		return http.StatusUnsupportedMediaType, api.ErrorDetail{Code: api.CodeUnsupportedMedia, Message: err.Error()}
	case errors.Is(err, ErrNotReady):
		return http.StatusServiceUnavailable, api.ErrorDetail{Code: api.CodeNotReady, Message: err.Error()}
	case errors.Is(err, ErrOverloaded), errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable, api.ErrorDetail{Code: api.CodeOverloaded, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, api.ErrorDetail{Code: api.CodeTimeout, Message: "the request took longer than the server's time limit"}
	case errors.Is(err, context.Canceled):
		return StatusClientClosed, api.ErrorDetail{Code: api.CodeCanceled, Message: "the client closed the request"}
	}
	return http.StatusInternalServerError, api.ErrorDetail{Code: api.CodeInternal, Message: "internal error; the server's log has the details under this request id"}
}
