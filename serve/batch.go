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

// BatchConfig is dynamic batching, per model: requests run in one
// continuous batch (runner.Batch), joining the decoder batch at the next
// decoder step (arrivals at one step share an encoder call) and leaving
// it at their last token. MaxBatchSize ≤ 1 turns it off.
type BatchConfig struct {
	// MaxBatchSize is the most rows (images) in flight, so in one decoder
	// step; a single request with more (num_samples) runs alone.
	MaxBatchSize int
	// MaxQueueDelay is how long the first request of an idle batch waits
	// for others while an inference slot is free; a running batch takes
	// arrivals at its next step. While every slot is busy requests
	// gather anyway, so 0 still batches under load.
	MaxQueueDelay time.Duration
	// PreferredSizes: an idle batch that reaches one of these sizes with
	// nobody else waiting starts at once instead of waiting out the delay.
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

// UnknownModels lists, sorted, the names in PerModel that match none of
// models (by repository folder or model.json name, as forModel looks them
// up): settings that apply to nothing until a reload loads such a model,
// most often a typo.
func (c BatchConfig) UnknownModels(models []*Model) []string {
	known := map[string]bool{}
	for _, m := range models {
		known[m.RepoName()], known[m.Ref.Name] = true, true
	}
	var out []string
	for name := range c.PerModel {
		if !known[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
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
// none; an empty item, "2,,4", is an error).
func ParsePreferredSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("%q: item %d is empty", s, i+1)
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

// batchItem is one request's share of the continuous batch.
type batchItem struct {
	ctx    context.Context
	pixels []float32
	n      int
	opts   runner.GenerateOptions
	queued time.Time
	// Set by the batcher before done is sent.
	started time.Time // the decoder step it joined at
	done    chan batchResult
}

type batchResult struct {
	gen *runner.Generation
	err error
}

// batcher runs one model's requests in a continuous batch
// (runner.Batch): a request joins the decoder batch at the next decoder
// step, and leaves it at its last token, so arrivals never wait for a
// whole batch to finish. Each decoder step (and the encoder call of the
// requests joining at it) runs on an inference slot of the server's
// limiter, taken per step, so the batchers of several models share the
// server's concurrency bound step by step.
type batcher struct {
	r      *runner.Runner
	cfg    BatchConfig
	limit  *limiter
	sizes  prometheus.Observer // images per encoder call
	rows   prometheus.Observer // rows per decoder step
	queue  chan *batchItem
	quit   chan struct{}
	loopWG sync.WaitGroup

	// Owned by the loop.
	batch   *runner.Batch
	members map[*runner.Member]*batchItem
	joining []*batchItem // added since the last step: they join at the next
	pending *batchItem   // did not fit; joins first when rows free up
}

func newBatcher(r *runner.Runner, cfg BatchConfig, limit *limiter, sizes, rows prometheus.Observer) *batcher {
	b := &batcher{r: r, cfg: cfg, limit: limit, sizes: sizes, rows: rows,
		// Admission (limiter.admit) bounds the requests in the server, so
		// a send here never blocks for long.
		queue: make(chan *batchItem, cap(limit.admit)), quit: make(chan struct{}),
		batch: r.NewBatch(), members: map[*runner.Member]*batchItem{}}
	b.loopWG.Add(1)
	go b.loop()
	return b
}

// close stops the batcher once the requests in flight are answered. The
// caller guarantees no request submits any more (the model is retired
// and its references are gone).
func (b *batcher) close() {
	close(b.quit)
	b.loopWG.Wait()
}

// generate runs one request's n images through the batcher: it waits
// for its answer or for ctx to end (its rows then leave the batch at the
// next decoder step).
func (b *batcher) generate(ctx context.Context, pixels []float32, n int, opts runner.GenerateOptions) (*batchItem, batchResult) {
	it := &batchItem{ctx: ctx, pixels: pixels, n: n, opts: opts, queued: time.Now(), done: make(chan batchResult, 1)}
	b.limit.note(b.limit.onWait, b.limit.waiting.Add(1))
	// The queue holds one item per admitted request, but a canceled
	// request's item stays queued until the loop reads it (which it does
	// not while a full batch decodes): the send must not outlast ctx.
	canceled := func() batchResult { return batchResult{err: fmt.Errorf("generate: %w", ctx.Err())} }
	select {
	case b.queue <- it:
	case <-ctx.Done():
		b.limit.note(b.limit.onWait, b.limit.waiting.Add(-1))
		return it, canceled()
	}
	select {
	case res := <-it.done:
		return it, res
	case <-ctx.Done():
		return it, canceled()
	}
}

func (b *batcher) preferred(rows int) bool { return slices.Contains(b.cfg.PreferredSizes, rows) }

// add lets it join the batch at the next step, or keeps it as pending
// when its rows do not fit beside those in flight (a request larger
// than MaxBatchSize runs when the batch is empty); false then.
func (b *batcher) add(it *batchItem) bool {
	if rows := b.batch.Rows(); rows > 0 && rows+it.n > b.cfg.MaxBatchSize {
		b.pending = it
		return false
	}
	b.limit.note(b.limit.onWait, b.limit.waiting.Add(-1))
	m, err := b.batch.Add(it.pixels, runner.Group{Ctx: it.ctx, N: it.n, Opts: it.opts})
	if err != nil {
		it.done <- batchResult{err: err}
		return true
	}
	b.limit.note(b.limit.onRun, b.limit.running.Add(1))
	b.members[m] = it
	b.joining = append(b.joining, it)
	return true
}

// open reports whether the batch takes more rows.
func (b *batcher) open() bool { return b.pending == nil && b.batch.Rows() < b.cfg.MaxBatchSize }

func (b *batcher) loop() {
	defer b.loopWG.Done()
	defer b.batch.Close()
	for {
		idle := b.batch.Rows() == 0
		if idle && b.pending == nil {
			select {
			case it := <-b.queue:
				b.add(it)
			case <-b.quit:
				return
			}
		} else if b.pending != nil && b.add(b.pending) {
			b.pending = nil
		}
		// A fresh batch waits up to the delay for companions; a running
		// one takes arrivals at its next step without waiting.
		if idle && b.cfg.MaxQueueDelay > 0 {
			timer := time.NewTimer(b.cfg.MaxQueueDelay)
		wait:
			for b.open() && !(b.preferred(b.batch.Rows()) && len(b.queue) == 0) {
				select {
				case it := <-b.queue:
					b.add(it)
				case <-timer.C:
					break wait
				case <-b.quit:
					break wait
				}
			}
			timer.Stop()
		}
		// Arrivals so far join at this step; so do those that come while
		// every inference slot is busy.
		for slot := false; !slot; {
			queue := b.queue
			if !b.open() {
				queue = nil
			}
			select {
			case b.limit.slots <- struct{}{}:
				slot = true
			case it := <-queue:
				b.add(it)
			}
		}
		b.step()
		<-b.limit.slots
	}
}

// step runs one decoder step and answers the requests that finished.
func (b *batcher) step() {
	start := time.Now()
	// An engine failure fails every group of the batch: they are among
	// the finished, each with the error.
	res, _ := b.batch.Step()
	for _, it := range b.joining {
		it.started = start
	}
	b.joining = b.joining[:0]
	if res.Joined > 0 {
		b.sizes.Observe(float64(res.Joined))
	}
	if res.Rows > 0 {
		b.rows.Observe(float64(res.Rows))
	}
	for _, m := range res.Finished {
		it := b.members[m]
		delete(b.members, m)
		b.limit.note(b.limit.onRun, b.limit.running.Add(-1))
		r := m.Result()
		it.done <- batchResult{gen: r.Gen, err: r.Err}
	}
}

// extraMetrics are the series of batching and reloads, registered beside
// the server's own.
type extraMetrics struct {
	batchSize   *prometheus.HistogramVec // model
	decoderRows *prometheus.HistogramVec // model
	reloads     *prometheus.CounterVec   // op
}

func newExtraMetrics(reg *prometheus.Registry) *extraMetrics {
	buckets := []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}
	m := &extraMetrics{
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_batch_size", Help: "Images per encoder call of the continuous batcher (the requests joining at one decoder step), by model.",
			Buckets: buckets,
		}, []string{"model"}),
		decoderRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_batch_decoder_rows", Help: "Rows per decoder step of the continuous batcher, by model.",
			Buckets: buckets,
		}, []string{"model"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rewardvision_model_repository_operations_total", Help: "Model loads, unloads and repository rescans.",
		}, []string{"op"}),
	}
	reg.MustRegister(m.batchSize, m.decoderRows, m.reloads)
	return m
}

// attachBatcher gives m a batcher when batching is on.
func (s *Server) attachBatcher(m *Model) {
	if cfg := s.cfg.Batch.forModel(m); cfg.Enabled() && m.batch == nil {
		m.batch = newBatcher(m.Runner, cfg, s.limit, s.xm.batchSize.WithLabelValues(m.Ref.Name), s.xm.decoderRows.WithLabelValues(m.Ref.Name))
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

// BatchStats are the continuous batchers' counts so far (`bench serve`
// reports the means).
type BatchStats struct {
	EncoderCalls uint64  // encoder calls (requests joining at one step share one)
	Images       float64 // images they encoded
	DecoderSteps uint64
	Rows         float64 // rows the decoder steps ran
}

// BatchStats returns the batchers' counts so far.
func (s *Server) BatchStats() BatchStats {
	var st BatchStats
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		return st
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			switch mf.GetName() {
			case "rewardvision_batch_size":
				st.EncoderCalls += h.GetSampleCount()
				st.Images += h.GetSampleSum()
			case "rewardvision_batch_decoder_rows":
				st.DecoderSteps += h.GetSampleCount()
				st.Rows += h.GetSampleSum()
			}
		}
	}
	return st
}
