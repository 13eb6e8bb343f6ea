package runner

import (
	"context"
	"fmt"

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
// EOS or max tokens, a group when its context ends, and the cache is
// compacted. When no row reaches back to the cache's first position the
// front is trimmed, so the cache is as long as the longest sequence in
// flight. Each group keeps its options, noise stream and grammar-mask
// position, so its answer is the one Generate gives it alone (up to
// float rounding at near-ties).
//
// A Batch is used by one goroutine; Close releases its tensors.
type Batch struct {
	r       *Runner
	waiting []*Member   // added, joining at the next step
	rows    []memberRow // the decoder batch, in cache order
	token   []int32     // each row's last token: the next step's input
	cross   *Cross      // nil while no row runs
	cache   *Cache      // nil while no row runs
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
	gen    *Generation
	noise  *noiseStream
	u      []float32 // this step's noise
	step   int       // decoder steps run: the position of its next token
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
	Joined   int       // of which rows that joined at this step (one encoder call)
	CacheLen int       // positions in the KV cache after the step: the longest running group's steps
}

// NewBatch returns an empty continuous batch.
func (r *Runner) NewBatch() *Batch { return &Batch{r: r} }

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
	var keep []int
	for j, rw := range b.rows {
		if m := rw.m; !m.done {
			if err := m.Ctx.Err(); err != nil {
				leave(m, err)
			}
		}
		if !rw.done && !rw.m.done {
			keep = append(keep, j)
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
	if len(keep) == 0 && len(join) == 0 {
		b.Close()
		return out, nil
	}
	joined, err := b.admit(keep, join)
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
	b.rows, b.token = nil, nil
	b.Close()
}

// admit rebuilds the batch for the next step: the kept rows (positions
// in b.rows) and then the rows of join, whose images are encoded in one
// call. In one copy per tensor the cache drops the rows that left, gains
// empty rows for the joiners (their history starts at the current end)
// and loses the front positions no row reaches back to. It returns the
// rows that joined.
func (b *Batch) admit(keep []int, join []*Member) (int, error) {
	if len(keep) == len(b.rows) && len(join) == 0 && (b.cache == nil || b.cache.Start == nil || minStart(b.cache.Start) == 0) {
		return 0, nil
	}
	r := b.r
	var add *Cross
	nj := 0
	if len(join) > 0 {
		var images []float32
		for _, m := range join {
			nj += m.N
			if len(join) == 1 {
				images = m.images // one group: no copy
			} else {
				images = append(images, m.images...)
			}
		}
		var err error
		if add, err = r.encode(images, nj); err != nil {
			return 0, err
		}
		for _, m := range join {
			m.images = nil // encoded: the caller's pixels are not needed any more
		}
	}
	if len(keep) == 0 {
		b.Close()
	}
	length := 0
	if b.cache != nil {
		length = b.cache.Len
	}
	// New rows' history starts at the current end, kept rows' where it was.
	start := make([]int32, 0, len(keep)+nj)
	for _, j := range keep {
		start = append(start, b.cache.start(j))
	}
	for range nj {
		start = append(start, int32(length))
	}
	from := minStart(start)
	for i := range start {
		start[i] -= from
	}
	cache := &Cache{Batch: len(start), Len: length - int(from), Start: start}
	if b.cache == nil {
		empty, err := r.NewCache(nj)
		if err != nil {
			add.Close()
			return 0, err
		}
		cache.values = empty.values
		b.cross = add
	} else {
		src := make([]int, 0, len(start))
		src = append(src, keep...)
		for range nj {
			src = append(src, -1)
		}
		vs, err := rebuildCache(b.cache.values, src, int(from))
		if err != nil {
			add.Close()
			return 0, err
		}
		cache.values = vs
		cross, err := stackCross(b.cross, keep, add)
		add.Close()
		if err != nil {
			destroy(vs)
			return 0, err
		}
		b.Close()
		b.cross = cross
	}
	b.cache = cache
	rows := make([]memberRow, 0, len(start))
	token := make([]int32, 0, len(start))
	for _, j := range keep {
		rows = append(rows, b.rows[j])
		token = append(token, b.token[j])
	}
	for _, m := range join {
		m.joined = true
		if m.Opts.Temperature > 0 {
			m.noise = newNoise(m.Opts.Seed, m.N*r.Manifest.Architecture.VocabSize)
		}
		for k := range m.N {
			rows = append(rows, memberRow{m: m, idx: k})
			token = append(token, codec.BOS)
		}
	}
	b.rows, b.token = rows, token
	return nj, nil
}

// decode runs one decoder step on the batch and samples each row's next
// token with its group's options; groups whose rows have all finished
// are returned in out.
func (b *Batch) decode(out *StepResult) error {
	vocab := b.r.Manifest.Architecture.VocabSize
	logits, next, err := b.r.step1(b.token, b.cross, b.cache)
	if err != nil {
		return err
	}
	b.cache.Close()
	b.cache = next
	out.Rows, out.CacheLen = len(b.rows), next.Len
	// Rows of a group are contiguous (they join together and compaction
	// keeps the order): each group draws its step's noise once, as it
	// would alone, then its rows sample.
	for j := 0; j < len(b.rows); {
		m := b.rows[j].m
		m.gen.Steps++
		if m.noise != nil {
			m.u = m.noise.next()
		}
		o := &m.Opts
		var mask []float32
		if o.GrammarMask != nil {
			mask = o.GrammarMask[m.step*vocab : (m.step+1)*vocab]
		}
		last := m.step+1 >= o.MaxTokens
		for ; j < len(b.rows) && b.rows[j].m == m; j++ {
			rw := &b.rows[j]
			lg := logits[j*vocab : (j+1)*vocab]
			var noise []float32
			if m.u != nil {
				noise = m.u[rw.idx*vocab : (rw.idx+1)*vocab]
			}
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
			if tok == codec.EOS || last {
				rw.done = true
				m.active--
			}
		}
		m.step++
		if m.active == 0 {
			m.done = true
			m.res.Gen = m.gen
			out.Finished = append(out.Finished, m)
		}
	}
	return nil
}

// Close releases the batch's tensors; groups still in it get no result.
func (b *Batch) Close() {
	if b.cross != nil {
		b.cross.Close()
		b.cross = nil
	}
	if b.cache != nil {
		b.cache.Close()
		b.cache = nil
	}
}

func minStart(start []int32) int32 {
	if len(start) == 0 {
		return 0
	}
	m := start[0]
	for _, s := range start[1:] {
		m = min(m, s)
	}
	return m
}
