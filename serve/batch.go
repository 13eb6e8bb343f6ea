package serve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rewardvision/api"
	"rewardvision/models/runner"
)

// BatchConfig is dynamic batching, per model: requests that arrive
// together are folded into one encoder call and one decoder loop
// (runner.GenerateGroups). MaxBatchSize ≤ 1 turns it off.
type BatchConfig struct {
	// MaxBatchSize is the most images in one ONNX Runtime call; a single
	// request with more (num_samples) runs alone.
	MaxBatchSize int
	// MaxQueueDelay is how long the first request of a batch waits for
	// others while an inference slot is free. While every slot is busy
	// requests gather anyway, so 0 still batches under load.
	MaxQueueDelay time.Duration
	// PreferredSizes: a batch that reaches one of these sizes with nobody
	// else waiting leaves at once instead of waiting out the delay.
	PreferredSizes []int
	// PerModel overrides the settings above for a model, by repository
	// folder name or model.json name (ParseModelBatching reads it).
	PerModel map[string]BatchConfig
}

// Enabled reports whether batching is on for any model.
func (c BatchConfig) Enabled() bool {
	if c.MaxBatchSize > 1 {
		return true
	}
	for _, o := range c.PerModel {
		if o.MaxBatchSize > 1 {
			return true
		}
	}
	return false
}

// largest is the largest batch size of any model.
func (c BatchConfig) largest() int {
	n := max(c.MaxBatchSize, 1)
	for _, o := range c.PerModel {
		n = max(n, o.MaxBatchSize)
	}
	return n
}

// forModel is the configuration of one model.
func (c BatchConfig) forModel(m *Model) BatchConfig {
	for _, name := range []string{m.RepoName(), m.Ref.Name} {
		if o, ok := c.PerModel[name]; ok {
			return o
		}
	}
	c.PerModel = nil
	return c
}

// ParseModelBatching reads per-model batching settings:
// "NAME:max=16,delay_us=2000,preferred=4+8;NAME2:max=1". A model's
// unset fields take base's values.
func ParseModelBatching(s string, base BatchConfig) (map[string]BatchConfig, error) {
	out := map[string]BatchConfig{}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, settings, ok := strings.Cut(part, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("model batching %q: want NAME:max=N,delay_us=N,preferred=A+B", part)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("model batching: %s given twice", name)
		}
		c := base
		c.PerModel = nil
		for kv := range strings.SplitSeq(settings, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return nil, fmt.Errorf("model batching %s: %q: want key=value", name, kv)
			}
			var err error
			switch k {
			case "max":
				c.MaxBatchSize, err = strconv.Atoi(v)
				if err == nil && c.MaxBatchSize < 1 {
					err = errors.New("want ≥ 1")
				}
			case "delay_us":
				var us int
				us, err = strconv.Atoi(v)
				if err == nil && us < 0 {
					err = errors.New("want ≥ 0")
				}
				c.MaxQueueDelay = time.Duration(us) * time.Microsecond
			case "preferred":
				c.PreferredSizes, err = ParsePreferredSizes(strings.ReplaceAll(v, "+", ","))
			default:
				err = errors.New("unknown key (max, delay_us, preferred)")
			}
			if err != nil {
				return nil, fmt.Errorf("model batching %s: %s=%s: %v", name, k, v, err)
			}
		}
		out[name] = c
	}
	return out, nil
}

// ParsePreferredSizes reads a comma-separated list of batch sizes ("" is
// none).
func ParsePreferredSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("preferred batch size %q: want a positive integer", f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// batchItem is one request's share of a batch.
type batchItem struct {
	ctx    context.Context
	pixels []float32
	n      int
	opts   runner.GenerateOptions
	queued time.Time
	// Set by the batcher before done is sent.
	started time.Time
	size    int // images in the batch it ran in
	done    chan batchResult
}

type batchResult struct {
	gen *runner.Generation
	err error
}

// batcher gathers one model's requests into batches and runs each on an
// inference slot of the server's limiter, so batches of several models
// share the server's concurrency bound.
type batcher struct {
	r       *runner.Runner
	cfg     BatchConfig
	limit   *limiter
	sizes   prometheus.Observer
	queue   chan *batchItem
	quit    chan struct{}
	loopWG  sync.WaitGroup // the gathering loop
	runWG   sync.WaitGroup // batches running
	pending *batchItem     // did not fit the last batch; starts the next
}

func newBatcher(r *runner.Runner, cfg BatchConfig, limit *limiter, sizes prometheus.Observer) *batcher {
	b := &batcher{r: r, cfg: cfg, limit: limit, sizes: sizes,
		// Admission (limiter.admit) bounds the requests in the server, so
		// a send here never blocks for long.
		queue: make(chan *batchItem, cap(limit.admit)), quit: make(chan struct{})}
	b.loopWG.Add(1)
	go b.loop()
	return b
}

// close stops gathering and waits for the batches running. The caller
// guarantees no request submits any more (the model is retired and its
// references are gone).
func (b *batcher) close() {
	close(b.quit)
	b.loopWG.Wait()
	b.runWG.Wait()
}

// generate runs one request's n images through the batcher: it waits
// for its batch to finish or for ctx to end (its rows then leave the
// batch at the next decoder step).
func (b *batcher) generate(ctx context.Context, pixels []float32, n int, opts runner.GenerateOptions) (*batchItem, batchResult) {
	it := &batchItem{ctx: ctx, pixels: pixels, n: n, opts: opts, queued: time.Now(), done: make(chan batchResult, 1)}
	b.limit.note(b.limit.onWait, b.limit.waiting.Add(1))
	b.queue <- it
	select {
	case res := <-it.done:
		return it, res
	case <-ctx.Done():
		return it, batchResult{err: fmt.Errorf("generate: %w", ctx.Err())}
	}
}

func (b *batcher) preferred(rows int) bool { return slices.Contains(b.cfg.PreferredSizes, rows) }

func (b *batcher) loop() {
	defer b.loopWG.Done()
	for {
		first := b.pending
		b.pending = nil
		if first == nil {
			select {
			case first = <-b.queue:
			case <-b.quit:
				return
			}
		}
		items, rows := []*batchItem{first}, first.n
		// add takes an arrival into the batch, or keeps it for the next
		// one when it would overflow; false when the batch is full.
		add := func(it *batchItem) bool {
			if rows+it.n > b.cfg.MaxBatchSize {
				b.pending = it
				return false
			}
			items, rows = append(items, it), rows+it.n
			return rows < b.cfg.MaxBatchSize
		}
		open := rows < b.cfg.MaxBatchSize
		if open && b.cfg.MaxQueueDelay > 0 {
			timer := time.NewTimer(b.cfg.MaxQueueDelay)
		wait:
			for open && !(b.preferred(rows) && len(b.queue) == 0) {
				select {
				case it := <-b.queue:
					open = add(it)
				case <-timer.C:
					break wait
				case <-b.quit:
					break wait
				}
			}
			timer.Stop()
		}
		// Whatever arrives while every slot is busy joins the batch.
		slot := false
		for !slot {
			if !open {
				b.limit.slots <- struct{}{}
				break
			}
			select {
			case b.limit.slots <- struct{}{}:
				slot = true
			case it := <-b.queue:
				open = add(it)
			}
		}
		b.runWG.Add(1)
		go b.run(items, rows)
	}
}

// run executes one batch on the slot the loop took.
func (b *batcher) run(items []*batchItem, rows int) {
	defer b.runWG.Done()
	defer func() { <-b.limit.slots }()
	n := int64(len(items))
	b.limit.note(b.limit.onWait, b.limit.waiting.Add(-n))
	b.limit.note(b.limit.onRun, b.limit.running.Add(n))
	defer func() { b.limit.note(b.limit.onRun, b.limit.running.Add(-n)) }()
	b.sizes.Observe(float64(rows))
	start := time.Now()
	var pixels []float32
	groups := make([]runner.Group, len(items))
	for i, it := range items {
		if len(items) == 1 {
			pixels = it.pixels
		} else {
			pixels = append(pixels, it.pixels...)
		}
		groups[i] = runner.Group{Ctx: it.ctx, N: it.n, Opts: it.opts}
	}
	res, err := b.r.GenerateGroups(pixels, groups)
	for i, it := range items {
		it.started, it.size = start, rows
		if err != nil {
			it.done <- batchResult{err: err}
			continue
		}
		it.done <- batchResult{gen: res[i].Gen, err: res[i].Err}
	}
}

// extraMetrics are the series of batching and reloads, registered beside
// the server's own.
type extraMetrics struct {
	batchSize *prometheus.HistogramVec // model
	reloads   *prometheus.CounterVec   // op
}

func newExtraMetrics(reg *prometheus.Registry) *extraMetrics {
	m := &extraMetrics{
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_batch_size", Help: "Images per ONNX Runtime call of the dynamic batcher, by model.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64},
		}, []string{"model"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rewardvision_model_repository_operations_total", Help: "Model loads, unloads and repository rescans.",
		}, []string{"op"}),
	}
	reg.MustRegister(m.batchSize, m.reloads)
	return m
}

// attachBatcher gives m a batcher when batching is on.
func (s *Server) attachBatcher(m *Model) {
	if cfg := s.cfg.Batch.forModel(m); cfg.Enabled() && m.batch == nil {
		m.batch = newBatcher(m.Runner, cfg, s.limit, s.xm.batchSize.WithLabelValues(m.Ref.Name))
	}
}

// generate runs the inference stage of a request: through the model's
// batcher when it has one, else alone on an inference slot. It fills the
// queue and inference times.
func (s *Server) generate(ctx context.Context, m *Model, pixels []float32, n int, opts runner.GenerateOptions, tm *api.Timing) (*runner.Generation, error) {
	stage := func(name string, d time.Duration) float64 {
		s.metrics.stages.WithLabelValues(m.Route, m.Ref.Variant, name).Observe(d.Seconds())
		return ms(d)
	}
	t := time.Now()
	// A registry has one server; the check keeps a batching server's
	// batchers from serving another server of a shared test registry.
	if m.batch == nil || !s.cfg.Batch.Enabled() {
		if err := s.limit.acquire(ctx); err != nil {
			return nil, err
		}
		tm.QueueMS = stage("queue", time.Since(t))
		t = time.Now()
		gen, err := m.Runner.GenerateContext(ctx, pixels, n, opts)
		s.limit.release()
		if err != nil {
			return nil, err
		}
		tm.InferenceMS = stage("inference", time.Since(t))
		return gen, nil
	}
	if err := s.limit.admitOne(); err != nil {
		return nil, err
	}
	defer s.limit.leave()
	it, res := m.batch.generate(ctx, pixels, n, opts)
	if res.err != nil {
		return nil, res.err
	}
	tm.QueueMS = stage("queue", it.started.Sub(it.queued))
	tm.InferenceMS = stage("inference", time.Since(it.started))
	return res.gen, nil
}

// BatchConfig is the server's dynamic batching configuration.
func (s *Server) BatchConfig() BatchConfig { return s.cfg.Batch }

// Unbatched returns a server over the same registry and configuration
// but without dynamic batching and with the default number of concurrent
// inferences (one per CPU), the best unbatched setting: `bench serve`
// compares the two in the same rounds.
func (s *Server) Unbatched() (*Server, error) {
	cfg := s.cfg
	cfg.Batch, cfg.MaxInflight = BatchConfig{}, 0
	return New(s.reg, cfg)
}

// BatchStats returns the ONNX Runtime calls of the dynamic batchers so
// far and the images they held (`bench serve` reports the mean).
func (s *Server) BatchStats() (calls uint64, images float64) {
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "rewardvision_batch_size" {
			continue
		}
		for _, m := range mf.GetMetric() {
			calls += m.GetHistogram().GetSampleCount()
			images += m.GetHistogram().GetSampleSum()
		}
	}
	return calls, images
}
