// Package serve is rewardvision's inference server: a gin router over the
// model repository (models/repo entries run by models/runner on ONNX
// Runtime), with A/B routing between variants, limits, Prometheus metrics
// and a structured access log. The wire types and the Go client are in
// package api; `rewardvision serve` and `rewardvision predict` use this
// package, and predict's in-process path is the handlers' own (Predict).
//
// Every route is registered in routes.go. Handlers return a value or an
// error; one function (writeError) turns an error into the status and the
// JSON envelope, classifying it with errors.Is/As (errors.go).
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// Config is the server's configuration; zero fields take the defaults.
type Config struct {
	MaxBodyBytes   int64         // request body limit (default 20 MB)
	MaxPixels      int64         // decoded pixels limit, read from the header (default 40 MP)
	MaxInflight    int           // concurrent inferences (default: GOMAXPROCS, which follows a container's CPU limit)
	MaxQueue       int           // requests waiting for an inference slot (default 64)
	RequestTimeout time.Duration // per inference request (default 30 s)
	DrainTimeout   time.Duration // graceful shutdown wait (default 30 s)
	Batch          BatchConfig   // dynamic batching per model (batch.go); off by default
	Splits         map[string]Split
	Reports        string // folder of `eval run` reports the page lists (empty: none)
	Log            *slog.Logger
}

// Defaults.
const (
	DefaultMaxBodyBytes = 20 << 20
	DefaultMaxPixels    = 40_000_000
	DefaultMaxQueue     = 64
	DefaultTimeout      = 30 * time.Second
	DefaultIdleRelease  = time.Second // BatchConfig.IdleRelease
)

func (c *Config) fill() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = runtime.GOMAXPROCS(0)
	}
	if c.MaxQueue < 0 {
		c.MaxQueue = 0
	} else if c.MaxQueue == 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultTimeout
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Server serves a Registry over HTTP.
type Server struct {
	cfg     Config
	reg     *Registry
	splits  map[string]Split
	limit   *limiter
	metrics *metrics
	log     *slog.Logger
	engine  *gin.Engine
	xm      *extraMetrics // batching and reloads (batch.go)
	rl      reloader      // loads and unloads (reload.go)
	// post bounds the full-resolution postprocessing (colorize's colouring
	// and PNG encoding, ~0.1 s and ~10 MB per megapixel) to one per core.
	post chan struct{}
	// draining is set once shutdown starts: /readyz then fails, so a load
	// balancer stops sending before the listener closes.
	draining atomic.Bool
}

// New makes a server over reg. It does not warm the models up: call
// reg.WarmUp (readiness waits for it).
func New(reg *Registry, cfg Config) (*Server, error) {
	cfg.fill()
	if err := checkSplits(cfg.Splits, reg); err != nil {
		return nil, err
	}
	queue := cfg.MaxQueue
	if cfg.Batch.Enabled() {
		// A slot runs a batch: admit enough requests to fill them.
		queue += cfg.MaxInflight * (cfg.Batch.largest() - 1)
	}
	s := &Server{cfg: cfg, reg: reg, splits: cfg.Splits, limit: newLimiter(cfg.MaxInflight, queue), post: make(chan struct{}, runtime.GOMAXPROCS(0)),
		metrics: newMetrics(), log: cfg.Log}
	s.xm = newExtraMetrics(s.metrics.reg)
	s.initKnown()
	for _, m := range reg.Models() {
		s.attachBatcher(m)
	}
	s.limit.onWait = func(n int64) { s.metrics.queue.Set(float64(n)) }
	s.limit.onRun = func(n int64) { s.metrics.inflight.Set(float64(n)) }
	s.engine = s.routes()
	s.updateModelMetrics()
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Registry is the models the server serves.
func (s *Server) Registry() *Registry { return s.reg }

func (s *Server) updateModelMetrics() {
	for _, m := range s.reg.Models() {
		v := 0.0
		if m.ready.Load() {
			v = 1
		}
		s.metrics.modelLoad.WithLabelValues(m.Ref.Name, strconv.Itoa(m.Ref.Version), m.Ref.Task, m.Ref.Variant).Set(v)
	}
}

// WarmUp warms every model up and marks the server ready.
func (s *Server) WarmUp(ctx context.Context) error {
	err := s.reg.WarmUp(ctx)
	s.updateModelMetrics()
	return err
}

// Serve answers on ln until ctx is done, then stops accepting, waits up to
// the drain timeout for requests in flight and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		// Per-request work is bounded by RequestTimeout; the read of a
		// 20 MB body over a slow link gets its own margin.
		ReadTimeout: s.cfg.RequestTimeout + time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: draining requests in flight", "timeout", s.cfg.DrainTimeout.String())
	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if err := hs.Shutdown(dctx); err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
