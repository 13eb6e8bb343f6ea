package runner

import (
	"context"
	"fmt"
	"slices"

	ort "github.com/yalue/onnxruntime_go"

	"rewardvision/models/codec"
)

// Group is one caller's share of a batch: N consecutive images, decoded
// with Opts, given up when Ctx is done (a nil Ctx never is).
type Group struct {
	Ctx  context.Context
	N    int
	Opts GenerateOptions
}

// GroupResult is one group's outcome: its generation, or why it has none
// (bad options, its context ended, the engine failed).
type GroupResult struct {
	Gen *Generation
	Err error
}

// GenerateGroups decodes the images of several callers in one encoder
// call and one decoder loop, as a server's dynamic batcher needs: each
// group keeps its own options and its own noise stream, drawn exactly as
// Generate draws it for that group alone, so a seed gives the same tokens
// batched or not (up to float rounding at near-ties, since ONNX Runtime
// may round a larger batch's products differently). A group whose context
// ends leaves the batch at the next step; the others go on. The error is
// for failures that concern every group (the engine, the images).
func (r *Runner) GenerateGroups(images []float32, groups []Group) ([]GroupResult, error) {
	res, err := r.generateGroups(images, groups)
	if err != nil {
		return nil, fmt.Errorf("generate groups: %w", err)
	}
	return res, nil
}

func (r *Runner) generateGroups(images []float32, groups []Group) ([]GroupResult, error) {
	in := r.Manifest.Input
	per := in.Size * in.Size * in.Channels
	total := 0
	for _, g := range groups {
		if g.N < 1 {
			return nil, badInput("images", "group of %d images, want ≥ 1", g.N)
		}
		total += g.N
	}
	if err := r.CheckImages(images, total); err != nil {
		return nil, err
	}
	b := r.NewBatch()
	defer b.Close()
	res := make([]GroupResult, len(groups))
	members := make([]*Member, len(groups))
	off := 0
	for i, g := range groups {
		m, err := b.add(images[off*per:(off+g.N)*per], g)
		off += g.N
		if err != nil {
			res[i].Err = fmt.Errorf("generate: %w", err)
			continue
		}
		members[i] = m
	}
	// One read lock for the whole loop: weights never change under it.
	r.bindMu.RLock()
	defer r.bindMu.RUnlock()
	for b.Rows() > 0 {
		if _, err := b.step(); err != nil {
			return nil, err
		}
	}
	for i, m := range members {
		if m != nil {
			res[i] = m.res
		}
	}
	return res, nil
}

// Batch is a continuous decoding batch: the decoder state of the rows in
// flight (encoder outputs, KV cache, last tokens) that groups join and
// leave between decoder steps. A group added with Add joins at the next
// Step (all groups joining at one step share one encoder call), its rows'
// cache history starting at the cache's current end; a row leaves at its
// EOS or max tokens, a group when its context ends. When no row reaches
// back to the cache's first position the front is trimmed, so the cache
// is as long as the longest sequence in flight. Each group keeps its
// options, noise stream and grammar-mask position, so its answer is the
// one Generate gives it alone (up to float rounding at near-ties).
//
// The state lives in Go buffers that the decoder step reads and writes in
// place (ONNX Runtime writes the next cache into the spare buffers), so a
// join copies only the joiners' rows and a leave moves the last row into
// the hole; rows of a group need not stay together.
//
// A Batch is used by one goroutine; Close releases its buffers.
type Batch struct {
	r       *Runner
	waiting []*Member   // added, joining at the next step
	rows    []memberRow // the decoder batch
	token   []int32     // each row's last token: the next step's input
	start   []int32     // each row's first cache position
	length  int         // cache positions
	cross   [][]float32 // encoder outputs, interleaved k/v per layer: rows × crossRow
	cache   [][]float32 // KV cache, interleaved: rows × heads × length × head_dim
	spare   [][]float32 // where the step writes the next cache
	steps   int         // steps run, to mark the groups of a step
	scratch []scored    // top-k / top-p work space
}

// memberRow is a row of the decoder batch: its group and its index in it.
type memberRow struct {
	m    *Member
	idx  int
	done bool // produced EOS or its max tokens; leaves at the next step
}

// Member is a group in a Batch, from Add until a Step returns it as
// finished; Result then holds its outcome.
type Member struct {
	Group
	images []float32
	enc    *Encoding // set once encoded (by AddEncoded, or at its join)
	gen    *Generation
	noise  *noiseStream
	u      []float32 // this step's noise
	step   int       // decoder steps run: the position of its next token
	mark   int       // the batch step it last ran in
	active int       // rows still decoding
	joined bool
	done   bool
	res    GroupResult
}

// Result is the member's outcome, once a Step has returned it.
func (m *Member) Result() GroupResult { return m.res }

// StepResult is what one Step did.
type StepResult struct {
	Finished []*Member // groups done at this step (answered, failed or canceled)
	Rows     int       // rows the decoder step ran (0: none ran)
	Joined   int       // of which rows that joined at this step
	CacheLen int       // positions in the KV cache after the step: the longest running group's steps
}

// NewBatch returns an empty continuous batch.
func (r *Runner) NewBatch() *Batch {
	n := 2 * r.Manifest.Architecture.DecDepth
	return &Batch{r: r, cross: make([][]float32, n), cache: make([][]float32, n), spare: make([][]float32, n)}
}

// Add validates a group of g.N preprocessed images (see CheckImages) and
// its options, and queues it to join the batch at the next Step. Errors
// are ErrBadInput.
func (b *Batch) Add(images []float32, g Group) (*Member, error) {
	if err := b.r.CheckImages(images, g.N); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	m, err := b.add(images, g)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return m, nil
}

// AddEncoded is Add for a group encoded ahead with EncodeGroups: it
// joins at the next Step without an encoder call.
func (b *Batch) AddEncoded(e *Encoding, g Group) (*Member, error) {
	if e == nil || e.n != g.N {
		return nil, fmt.Errorf("generate: %w", badInput("images", "encoding of %d images for a group of %d", e.Len(), g.N))
	}
	if e.r != b.r {
		return nil, fmt.Errorf("generate: %w", badInput("images", "an encoding of model %s for a batch of %s", e.r.Manifest.Name, b.r.Manifest.Name))
	}
	m, err := b.add(nil, g)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	m.enc = e
	return m, nil
}

// add is Add for images already checked.
func (b *Batch) add(images []float32, g Group) (*Member, error) {
	if err := b.r.checkOptions(&g.Opts); err != nil {
		return nil, err
	}
	if g.Ctx == nil {
		g.Ctx = context.Background()
	}
	m := &Member{Group: g, images: images, active: g.N,
		gen: &Generation{Tokens: make([][]int32, g.N), LogProbs: make([][]float32, g.N)}}
	if g.Opts.KeepLogits {
		m.gen.Logits = make([][]float32, g.N)
	}
	b.waiting = append(b.waiting, m)
	return m, nil
}

// Rows is the number of rows the next step will run: those still
// decoding and those waiting to join (a group whose context has ended
// counts until that step drops it).
func (b *Batch) Rows() int {
	n := 0
	for _, rw := range b.rows {
		if !rw.done && !rw.m.done {
			n++
		}
	}
	for _, m := range b.waiting {
		n += m.N
	}
	return n
}

// Step drops the rows that finished and the groups whose context ended,
// lets the waiting groups join, and runs one decoder step. An engine
// failure fails every group of the batch (they are returned as finished)
// and empties it.
func (b *Batch) Step() (StepResult, error) {
	b.r.bindMu.RLock()
	defer b.r.bindMu.RUnlock()
	return b.step()
}

// step is Step; the caller holds bindMu for reading.
func (b *Batch) step() (StepResult, error) {
	var out StepResult
	leave := func(m *Member, err error) {
		m.done = true
		if m.joined {
			m.res.Err = fmt.Errorf("generate: step %d: %w", m.step, err)
		} else {
			m.res.Err = fmt.Errorf("generate: %w", err)
		}
		out.Finished = append(out.Finished, m)
	}
	// A group whose caller went away leaves before the step runs.
	live := make([]bool, len(b.rows))
	alive := 0
	for j, rw := range b.rows {
		if m := rw.m; !m.done {
			if err := m.Ctx.Err(); err != nil {
				leave(m, err)
			}
		}
		live[j] = !rw.done && !rw.m.done
		if live[j] {
			alive++
		}
	}
	var join []*Member
	for _, m := range b.waiting {
		if err := m.Ctx.Err(); err != nil {
			leave(m, err)
			continue
		}
		join = append(join, m)
	}
	b.waiting = nil
	if alive == 0 && len(join) == 0 {
		b.Close()
		return out, nil
	}
	b.compact(live)
	joined, err := b.admit(join)
	if err == nil {
		err = b.decode(&out)
	}
	if err != nil {
		b.fail(err, join, &out)
		return out, err
	}
	out.Joined = joined
	return out, nil
}

// fail ends every group of the batch, and those that were joining it,
// with err and empties the batch.
func (b *Batch) fail(err error, join []*Member, out *StepResult) {
	end := func(m *Member) {
		if !m.done {
			m.done = true
			m.res.Err = fmt.Errorf("generate: %w", err)
			out.Finished = append(out.Finished, m)
		}
	}
	for _, rw := range b.rows {
		end(rw.m)
	}
	for _, m := range join {
		end(m)
	}
	b.Close()
}

// compact drops the rows that are not live: the last live rows move into
// the holes, one row copy each, and the cache front no row reaches back
// to is trimmed.
func (b *Batch) compact(live []bool) {
	cfg := b.r.Manifest.Architecture
	crossRow := cfg.Heads * cfg.NumPatches() * cfg.HeadDim()
	cacheRow := cfg.Heads * b.length * cfg.HeadDim()
	n := len(b.rows)
	for lo, hi := 0, n-1; ; lo, hi = lo+1, hi-1 {
		for lo < n && live[lo] {
			lo++
		}
		for hi >= 0 && !live[hi] {
			hi--
		}
		if lo >= hi {
			break
		}
		for _, c := range b.cross {
			copy(c[lo*crossRow:(lo+1)*crossRow], c[hi*crossRow:(hi+1)*crossRow])
		}
		for _, c := range b.cache {
			copy(c[lo*cacheRow:(lo+1)*cacheRow], c[hi*cacheRow:(hi+1)*cacheRow])
		}
		b.rows[lo], b.token[lo], b.start[lo] = b.rows[hi], b.token[hi], b.start[hi]
		live[lo], live[hi] = true, false
	}
	n = 0
	for _, l := range live {
		if l {
			n++
		}
	}
	b.rows, b.token, b.start = b.rows[:n], b.token[:n], b.start[:n]
	for i := range b.cross {
		b.cross[i] = b.cross[i][:n*crossRow]
		b.cache[i] = b.cache[i][:n*cacheRow]
	}
	if n == 0 {
		b.length = 0
		return
	}
	if from := int(slices.Min(b.start)); from > 0 {
		b.trim(from)
	}
}

// trim drops the first positions of the cache, moving each row and head
// forward in place.
func (b *Batch) trim(from int) {
	cfg := b.r.Manifest.Architecture
	dim := cfg.HeadDim()
	blocks := len(b.rows) * cfg.Heads // (row, head) runs of length × dim values
	keep := (b.length - from) * dim
	for i, c := range b.cache {
		for k := range blocks {
			copy(c[k*keep:(k+1)*keep], c[k*b.length*dim+from*dim:(k+1)*b.length*dim])
		}
		b.cache[i] = c[:blocks*keep]
	}
	for j := range b.start {
		b.start[j] -= int32(from)
	}
	b.length -= from
}

// admit lets the groups of join into the batch: those not encoded yet
// are encoded in one call, and every group's rows are appended, with
// empty cache rows whose history starts at the cache's end. It returns
// the rows that joined.
func (b *Batch) admit(join []*Member) (int, error) {
	r := b.r
	var raw []*Member
	var images [][]float32
	var sizes []int
	for _, m := range join {
		if m.enc == nil {
			raw = append(raw, m)
			images = append(images, m.images)
			sizes = append(sizes, m.N)
		}
	}
	if len(raw) > 0 {
		encs, err := r.encodeGroups(images, sizes)
		if err != nil {
			return 0, err
		}
		for i, m := range raw {
			m.enc = encs[i]
		}
	}
	cfg := r.Manifest.Architecture
	nj := 0
	for _, m := range join {
		for i, c := range m.enc.cross {
			b.cross[i] = append(b.cross[i], c...)
		}
		nj += m.N
	}
	for i := range b.cache {
		b.cache[i] = zeros(b.cache[i], nj*cfg.Heads*b.length*cfg.HeadDim())
	}
	for _, m := range join {
		m.joined = true
		// In the batch now: neither the caller's pixels nor the encoding
		// are needed any more.
		m.images, m.enc = nil, nil
		if m.Opts.Temperature > 0 {
			m.noise = newNoise(m.Opts.Seed, m.N*cfg.VocabSize)
		}
		for k := range m.N {
			b.rows = append(b.rows, memberRow{m: m, idx: k})
			b.token = append(b.token, codec.BOS)
			b.start = append(b.start, int32(b.length))
		}
	}
	return nj, nil
}

// zeros extends buf by n zero values, reusing its capacity.
func zeros(buf []float32, n int) []float32 {
	buf = slices.Grow(buf, n)
	tail := buf[len(buf) : len(buf)+n]
	clear(tail)
	return buf[:len(buf)+n]
}

// decode runs one decoder step on the batch and samples each row's next
// token with its group's options; groups whose rows have all finished
// are returned in out.
func (b *Batch) decode(out *StepResult) error {
	vocab := b.r.Manifest.Architecture.VocabSize
	logits, err := b.run()
	if err != nil {
		return err
	}
	out.Rows, out.CacheLen = len(b.rows), b.length
	// Each group draws its step's noise once, as it would alone.
	b.steps++
	var groups []*Member
	for _, rw := range b.rows {
		if m := rw.m; m.mark != b.steps {
			m.mark = b.steps
			groups = append(groups, m)
			m.gen.Steps++
			if m.noise != nil {
				m.u = m.noise.next()
			}
		}
	}
	for j := range b.rows {
		rw := &b.rows[j]
		m := rw.m
		o := &m.Opts
		var mask, noise []float32
		if o.GrammarMask != nil {
			mask = o.GrammarMask[m.step*vocab : (m.step+1)*vocab]
		}
		if m.u != nil {
			noise = m.u[rw.idx*vocab : (rw.idx+1)*vocab]
		}
		lg := logits[j*vocab : (j+1)*vocab]
		var tok int32
		var lp float32
		if o.Temperature > 0 && (o.TopK > 0 || (o.TopP > 0 && o.TopP < 1)) {
			tok, lp, b.scratch = pickTruncated(lg, mask, noise, o.Temperature, o.TopK, o.TopP, b.scratch)
		} else {
			tok, lp = pick(lg, mask, noise, o.Temperature)
		}
		g := m.gen
		g.Tokens[rw.idx] = append(g.Tokens[rw.idx], tok)
		g.LogProbs[rw.idx] = append(g.LogProbs[rw.idx], lp)
		if o.KeepLogits {
			g.Logits[rw.idx] = append(g.Logits[rw.idx], lg...)
		}
		b.token[j] = tok
		if tok == codec.EOS || m.step+1 >= o.MaxTokens {
			rw.done = true
			m.active--
		}
	}
	for _, m := range groups {
		m.step++
		if m.active == 0 {
			m.done = true
			m.res.Gen = m.gen
			out.Finished = append(out.Finished, m)
		}
	}
	return nil
}

// run runs the decoder step on the batch's buffers: the present cache is
// written into the spare buffers, which then become the cache. It returns
// the logits [rows·vocab].
func (b *Batch) run() ([]float32, error) {
	cfg := b.r.Manifest.Architecture
	n, heads, dim := int64(len(b.rows)), int64(cfg.Heads), int64(cfg.HeadDim())
	length := int64(b.length)
	var vs []ort.Value
	defer func() { destroy(vs) }()
	var err error
	pos := make([]int32, n)
	for j, s := range b.start {
		pos[j] = int32(b.length) - s
	}
	for _, ids := range [][]int32{b.token, pos, b.start} {
		if vs, err = appendView(vs, ort.NewShape(n), ids); err != nil {
			return nil, err
		}
	}
	for _, c := range b.cross {
		if vs, err = appendView(vs, ort.NewShape(n, heads, int64(cfg.NumPatches()), dim), c); err != nil {
			return nil, err
		}
	}
	for _, c := range b.cache {
		if vs, err = appendView(vs, ort.NewShape(n, heads, length, dim), c); err != nil {
			return nil, err
		}
	}
	in := len(vs)
	for i := range b.spare {
		b.spare[i] = slices.Grow(b.spare[i][:0], int(n*heads*(length+1)*dim))[:n*heads*(length+1)*dim]
		if vs, err = appendView(vs, ort.NewShape(n, heads, length+1, dim), b.spare[i]); err != nil {
			return nil, err
		}
	}
	out := append([]ort.Value{nil}, vs[in:]...) // ONNX Runtime allocates the logits
	if err := b.r.step.runInto(vs[:in], out); err != nil {
		return nil, err
	}
	defer out[0].Destroy()
	logits, err := floats(out[0], "logits")
	if err != nil {
		return nil, engine("logits", err)
	}
	b.cache, b.spare = b.spare, b.cache
	b.length++
	return slices.Clone(logits), nil
}

// appendView appends to vs a tensor over data (ONNX Runtime reads and
// writes the Go buffer in place).
func appendView[T ort.TensorData](vs []ort.Value, shape ort.Shape, data []T) ([]ort.Value, error) {
	v, err := ort.NewTensor(shape, data)
	if err != nil {
		return vs, engine("step tensor", err)
	}
	return append(vs, v), nil
}

// Held is the bytes the batch's buffers hold (their capacity), which stay
// allocated for the next rows until Close.
func (b *Batch) Held() int {
	n := 4 * (cap(b.token) + cap(b.start))
	for i := range b.cross {
		n += 4 * (cap(b.cross[i]) + cap(b.cache[i]) + cap(b.spare[i]))
	}
	return n
}

// Close releases the batch's buffers; groups still in it get no result.
func (b *Batch) Close() {
	b.rows, b.token, b.start, b.length = nil, nil, nil, 0
	for i := range b.cross {
		b.cross[i], b.cache[i], b.spare[i] = nil, nil, nil
	}
}
