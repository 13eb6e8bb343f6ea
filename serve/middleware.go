package serve

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"rewardvision/api"
)

// requestID takes X-Request-Id from the request when it is a sane token,
// else makes one, and echoes it on the response.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader(api.HeaderRequestID)
	if !validRequestID(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(keyRequestID, id)
	c.Header(api.HeaderRequestID, id)
	c.Next()
}

// validRequestID accepts 1–128 characters of [A-Za-z0-9._:-], so a
// client's id cannot inject anything into headers or logs.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// accessLog writes one structured line per request and counts it in the
// metrics, with the task and variant the handler served.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	d := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched" // never the raw path: it would make unbounded label values
	}
	status := c.Writer.Status()
	task, variant := c.GetString(keyTask), c.GetString(keyVariant)
	s.metrics.requests.WithLabelValues(route, task, variant, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(route).Observe(d.Seconds())
	attrs := []any{"request_id", c.GetString(keyRequestID), "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", status, "ms", float64(d.Microseconds()) / 1000, "bytes_in", c.Request.ContentLength,
		"bytes_out", c.Writer.Size(), "remote", c.ClientIP()}
	if task != "" {
		attrs = append(attrs, "task", task, "variant", variant, "model", c.GetString(keyModel))
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, "err", c.Errors.Last().Err.Error())
	}
	s.log.Info("http", attrs...)
}

// recovery turns a panic in a handler into a 500 envelope and a log line
// with the stack; the server lives on. http.ErrAbortHandler is re-raised:
// it is net/http's own way to abort a response.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("panic in handler", "request_id", c.GetString(keyRequestID), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		s.writeError(c, fmt.Errorf("panic: %v", v))
	}()
	c.Next()
}
