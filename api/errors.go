package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the envelope, one per kind of failure.
const (
	CodeBadRequest       = "bad_request"        // 400: undecodable image, malformed request
	CodeBadParameter     = "bad_parameter"      // 400: a parameter's value; Param names it
	CodeNotFound         = "not_found"          // 404: route, model or variant
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeNotAcceptable    = "not_acceptable"     // 406: no media type the Accept header allows
	CodeTooLarge         = "too_large"          // 413: body or decoded pixels over the limit
	CodeUnsupportedMedia = "unsupported_media"  // 415: content type or image format
	CodeOverloaded       = "overloaded"         // 503: queue full, or shutting down
	CodeNotReady         = "not_ready"          // 503: /readyz before warm-up or while draining
	CodeTimeout          = "timeout"            // 504: the per-request time limit
	CodeCanceled         = "canceled"           // 499: the client went away
	CodeInternal         = "internal"           // 500: details only in the server's log
)

// ErrorBody is the JSON envelope of every error answer:
// {"error": {"code": ..., "message": ...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the envelope's content. Param names the request
// parameter at fault, for bad_parameter.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Param     string `json:"param,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Error is an error answer as the client sees it.
type Error struct {
	Status int // HTTP status
	ErrorDetail
	RetryAfter time.Duration // from Retry-After on 503, else 0
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Param != "" {
		msg += " (parameter " + e.Param + ")"
	}
	return msg
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
