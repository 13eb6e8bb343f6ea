package serve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rewardvision/api"
	"rewardvision/models/runner"
)

// BatchConfig is dynamic batching, per model: the requests that arrived
// share an encoder call, then join the continuous decoder batch
// (runner.Batch) at its next step and leave it at their last token.
// MaxBatchSize ≤ 1 turns it off.
type BatchConfig struct {
	// MaxBatchSize is the most rows (images) in one encoder call and in
	// one decoder step; a single request with more (num_samples) runs
	// alone.
	MaxBatchSize int
	// MaxQueueDelay is how long the first request of an idle batcher
	// waits for others while an inference slot is free; a busy batcher
	// encodes what has arrived at once. While every slot is busy requests
	// gather anyway, so 0 still batches under load.
	MaxQueueDelay time.Duration
	// PreferredSizes: an idle batcher that gathers one of these sizes
	// with nobody else waiting starts at once instead of waiting out the
	// delay.
	PreferredSizes []int
	// IdleRelease is how long a batcher with nothing to decode keeps its
	// decoder buffers (encoder outputs and KV cache, sized for the
	// largest batch it ran) for the next requests before freeing them
	// (0: DefaultIdleRelease).
	IdleRelease time.Duration
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
	// Set by the encoder stage before the item reaches the loop.
	started time.Time // its encoder call began
	enc     *runner.Encoding
	done    chan batchResult
}

type batchResult struct {
	gen *runner.Generation
	err error
}

// batcher runs one model's requests in a continuous batch in two
// stages, each a goroutine: the encoder stage gathers the requests that
// arrived and encodes them in one call, while the decoder loop runs the
// steps of the batch in flight (runner.Batch); an encoded request joins
// the decoder batch at its next step and leaves it at its last token.
// So arrivals never wait for a whole batch to finish, and the encoder
// (most of the work for captioning's 64 patches) runs beside the decoder
// instead of between its steps. Each encoder call and each decoder step
// takes an inference slot of the server's limiter, so the batchers of
// several models share the server's concurrency bound, and with one slot
// the stages take turns.
type batcher struct {
	r       *runner.Runner
	cfg     BatchConfig
	limit   *limiter
	sizes   prometheus.Observer // images per encoder call
	rows    prometheus.Observer // rows per decoder step
	held    func(delta float64) // adds to the decoder buffers' reported bytes
	queue   chan *batchItem     // submitted, for the encoder stage
	encoded chan []*batchItem   // encoded together, for the decoder loop
	quit    chan struct{}
	wg      sync.WaitGroup
	// busy counts the rows the encoder stage has taken and the loop not
	// yet answered: 0 when the batcher is idle.
	busy atomic.Int64

	// room is poked when requests are answered: the encoder stage waits
	// on it while it is a batch ahead of the decoder.
	room chan struct{}

	// Owned by the loop.
	batch    *runner.Batch
	members  map[*runner.Member]*batchItem
	pending  []*batchItem // encoded, joining when rows free up
	reported float64      // the bytes last added through held
}

func newBatcher(r *runner.Runner, cfg BatchConfig, limit *limiter, sizes, rows prometheus.Observer, held func(float64)) *batcher {
	if cfg.IdleRelease <= 0 {
		cfg.IdleRelease = DefaultIdleRelease
	}
	b := &batcher{r: r, cfg: cfg, limit: limit, sizes: sizes, rows: rows, held: held,
		// Admission (limiter.admit) bounds the requests in the server, so
		// a send here never blocks for long.
		queue: make(chan *batchItem, cap(limit.admit)), encoded: make(chan []*batchItem, 1),
		quit: make(chan struct{}), room: make(chan struct{}, 1), batch: r.NewBatch(), members: map[*runner.Member]*batchItem{}}
	b.wg.Add(2)
	go b.encodeLoop()
	go b.loop()
	return b
}

// close stops the batcher once the requests in flight are answered. The
// caller guarantees no request submits any more (the model is retired
// and its references are gone).
func (b *batcher) close() {
	close(b.quit)
	b.wg.Wait()
}

// generate runs one request's n images through the batcher: it waits
// for its answer or for ctx to end (its rows then leave the batch at the
// next decoder step).
func (b *batcher) generate(ctx context.Context, pixels []float32, n int, opts runner.GenerateOptions) (*batchItem, batchResult) {
	// Bad images fail alone, checked here in the request's goroutine
	// rather than in the encoder stage, which every request waits on.
	if err := b.r.CheckImages(pixels, n); err != nil {
		return nil, batchResult{err: fmt.Errorf("generate: %w", err)}
	}
	it := &batchItem{ctx: ctx, pixels: pixels, n: n, opts: opts, queued: time.Now(), done: make(chan batchResult, 1)}
	b.limit.note(b.limit.onWait, b.limit.waiting.Add(1))
	// The queue holds one item per admitted request, but a canceled
	// request's item stays queued until the encoder stage reads it: the
	// send must not outlast ctx.
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

// answer sends it its result and takes it off the running counts.
func (b *batcher) answer(it *batchItem, res batchResult) {
	b.limit.note(b.limit.onRun, b.limit.running.Add(-1))
	b.busy.Add(int64(-it.n))
	it.done <- res
	select {
	case b.room <- struct{}{}:
	default:
	}
}

// report sets this batcher's share of the buffer gauge to bytes. Shares
// add up, so a model's old and new batchers during a reload each report
// their own.
func (b *batcher) report(bytes float64) {
	b.held(bytes - b.reported)
	b.reported = bytes
}

// encodeLoop is the encoder stage: it takes the requests that arrived
// (with an idle batcher, waiting up to MaxQueueDelay for companions),
// keeps taking them while it waits for an inference slot, encodes them
// in one call of at most MaxBatchSize images (a larger request alone),
// and hands them to the decoder loop.
func (b *batcher) encodeLoop() {
	defer b.wg.Done()
	defer close(b.encoded)
	var carry *batchItem // did not fit in the last call: first of the next
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-b.queue:
			case <-b.quit:
				select { // close comes after the last submit
				case first = <-b.queue:
				default:
					return
				}
			}
		}
		idle := b.busy.Load() == 0
		group, rows := []*batchItem{first}, first.n
		take := func(it *batchItem) {
			if rows+it.n > b.cfg.MaxBatchSize {
				carry = it
				return
			}
			group, rows = append(group, it), rows+it.n
		}
		open := func() bool { return carry == nil && rows < b.cfg.MaxBatchSize }
		if idle && b.cfg.MaxQueueDelay > 0 {
			timer := time.NewTimer(b.cfg.MaxQueueDelay)
		wait:
			for open() && !(b.preferred(rows) && len(b.queue) == 0) {
				select {
				case it := <-b.queue:
					take(it)
				case <-timer.C:
					break wait
				case <-b.quit:
					break wait
				}
			}
			timer.Stop()
		}
		// Every request already queued joins this call (a select with a
		// free slot would pick the slot half the time and leave them),
		// and so do arrivals while every inference slot is busy.
	drain:
		for open() {
			select {
			case it := <-b.queue:
				take(it)
			default:
				break drain
			}
		}
		// At most a batch ahead of the decoder: encodings of requests
		// that cannot join yet would only hold memory and slot time.
		for b.busy.Load() > 0 && b.busy.Load()+int64(rows) > int64(2*b.cfg.MaxBatchSize) {
			<-b.room
		}
		for slot := false; !slot; {
			queue := b.queue
			if !open() {
				queue = nil
			}
			select {
			case b.limit.slots <- struct{}{}:
				slot = true
			case it := <-queue:
				take(it)
			}
		}
		group = b.encode(group)
		<-b.limit.slots
		if len(group) > 0 {
			b.encoded <- group
		}
	}
}

// encode runs the encoder on group's images (checked by generate) in one
// call, on the slot the caller holds, and returns the requests encoded;
// the others (a client gone, an engine failure) are answered here.
func (b *batcher) encode(group []*batchItem) []*batchItem {
	start := time.Now()
	var pixels [][]float32
	var sizes []int
	images := 0
	ok := group[:0]
	for _, it := range group {
		b.limit.note(b.limit.onWait, b.limit.waiting.Add(-1))
		b.limit.note(b.limit.onRun, b.limit.running.Add(1))
		b.busy.Add(int64(it.n))
		it.started = start
		// A request whose client has gone costs no encoding.
		if err := it.ctx.Err(); err != nil {
			b.answer(it, batchResult{err: fmt.Errorf("generate: %w", err)})
			continue
		}
		ok = append(ok, it)
		pixels = append(pixels, it.pixels)
		sizes = append(sizes, it.n)
		images += it.n
	}
	if len(ok) == 0 {
		return nil
	}
	b.sizes.Observe(float64(images))
	encs, err := b.r.EncodeGroups(pixels, sizes)
	for i, it := range ok {
		if err != nil {
			b.answer(it, batchResult{err: fmt.Errorf("generate: %w", err)})
			continue
		}
		it.enc, it.pixels = encs[i], nil
	}
	if err != nil {
		return nil
	}
	return ok
}

// loop is the decoder stage: it lets the encoded requests join the batch
// (as many rows as MaxBatchSize allows; the rest wait in pending), and
// runs decoder steps while the batch has rows, each on an inference slot.
func (b *batcher) loop() {
	defer b.wg.Done()
	defer b.report(0)
	defer b.batch.Close()
	encoded := b.encoded
	receive := func(group []*batchItem, ok bool) {
		if !ok {
			encoded = nil // the encoder stage has stopped
			return
		}
		b.pending = append(b.pending, group...)
		b.join()
	}
	release := time.NewTimer(b.cfg.IdleRelease)
	release.Stop()
	for {
		if b.batch.Rows() == 0 && len(b.pending) == 0 {
			if encoded == nil {
				return
			}
			// An idle batcher frees its buffers after a while; until
			// then the next requests reuse them.
			idle := release.C
			if b.batch.Held() == 0 {
				idle = nil
			} else {
				release.Reset(b.cfg.IdleRelease)
			}
			select {
			case group, ok := <-encoded:
				release.Stop()
				receive(group, ok)
			case <-idle:
				b.batch.Close()
				b.report(0)
			}
			continue
		}
		// Requests encoded while every inference slot is busy join at
		// this step.
		for slot := false; !slot; {
			select {
			case b.limit.slots <- struct{}{}:
				slot = true
			case group, ok := <-encoded:
				receive(group, ok)
			}
		}
		b.step()
		<-b.limit.slots
	}
}

// join adds the pending requests, oldest first, while their rows fit
// beside those in flight (a request larger than MaxBatchSize joins an
// empty batch). A request whose context ended is answered and dropped.
func (b *batcher) join() {
	for len(b.pending) > 0 {
		it := b.pending[0]
		if err := it.ctx.Err(); err != nil {
			b.pending = b.pending[1:]
			b.answer(it, batchResult{err: fmt.Errorf("generate: %w", err)})
			continue
		}
		if rows := b.batch.Rows(); rows > 0 && rows+it.n > b.cfg.MaxBatchSize {
			return
		}
		b.pending = b.pending[1:]
		m, err := b.batch.AddEncoded(it.enc, runner.Group{Ctx: it.ctx, N: it.n, Opts: it.opts})
		if err != nil {
			b.answer(it, batchResult{err: err})
			continue
		}
		it.enc = nil
		b.members[m] = it
	}
}

// step runs one decoder step, answers the requests that finished, and
// lets pending requests take the rows they freed.
func (b *batcher) step() {
	// An engine failure fails every group of the batch: they are among
	// the finished, each with the error.
	res, _ := b.batch.Step()
	if res.Rows > 0 {
		b.rows.Observe(float64(res.Rows))
	}
	b.report(float64(b.batch.Held()))
	for _, m := range res.Finished {
		it := b.members[m]
		delete(b.members, m)
		r := m.Result()
		b.answer(it, batchResult{gen: r.Gen, err: r.Err})
	}
	b.join()
}

// extraMetrics are the series of batching and reloads, registered beside
// the server's own.
type extraMetrics struct {
	batchSize   *prometheus.HistogramVec // model
	decoderRows *prometheus.HistogramVec // model
	batchBytes  *prometheus.GaugeVec     // model
	reloads     *prometheus.CounterVec   // op
}

func newExtraMetrics(reg *prometheus.Registry) *extraMetrics {
	buckets := []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}
	m := &extraMetrics{
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_batch_size", Help: "Images per encoder call of the continuous batcher (the requests that arrived meanwhile), by model.",
			Buckets: buckets,
		}, []string{"model"}),
		decoderRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_batch_decoder_rows", Help: "Rows per decoder step of the continuous batcher, by model.",
			Buckets: buckets,
		}, []string{"model"}),
		batchBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rewardvision_batch_buffer_bytes", Help: "Bytes the continuous batcher's decoder buffers hold (freed after --batch-idle-release without requests), by model.",
		}, []string{"model"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rewardvision_model_repository_operations_total", Help: "Model loads, unloads and repository rescans.",
		}, []string{"op"}),
	}
	reg.MustRegister(m.batchSize, m.decoderRows, m.batchBytes, m.reloads)
	return m
}

// attachBatcher gives m a batcher when batching is on.
func (s *Server) attachBatcher(m *Model) {
	if cfg := s.cfg.Batch.forModel(m); cfg.Enabled() && m.batch == nil {
		m.batch = newBatcher(m.Runner, cfg, s.limit, s.xm.batchSize.WithLabelValues(m.Ref.Name),
			s.xm.decoderRows.WithLabelValues(m.Ref.Name), s.xm.batchBytes.WithLabelValues(m.Ref.Name).Add)
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
// inferences (GOMAXPROCS), the best unbatched setting: `bench serve`
// compares the two in the same rounds.
func (s *Server) Unbatched() (*Server, error) {
	cfg := s.cfg
	cfg.Batch, cfg.MaxInflight = BatchConfig{}, 0
	return New(s.reg, cfg)
}

// BatchStats are the continuous batchers' counts so far (`bench serve`
// reports the means).
type BatchStats struct {
	EncoderCalls uint64  // encoder calls (the requests waiting share one)
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
