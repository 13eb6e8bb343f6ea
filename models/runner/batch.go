package runner

import (
	"context"
	"fmt"

	"rewardvision/models/codec"
)

// Group is one caller's share of a batch that GenerateGroups runs: N
// consecutive images of the batch, decoded with Opts, given up when Ctx
// is done (a nil Ctx never is).
type Group struct {
	Ctx  context.Context
	N    int
	Opts GenerateOptions
}

// GroupResult is one group's outcome: its generation, or why it has none
// (bad options, its context ended).
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
	in := r.Manifest.Input
	per := in.Size * in.Size * in.Channels
	total := 0
	for _, g := range groups {
		if g.N < 1 {
			return nil, fmt.Errorf("generate groups: %w", badInput("images", "group of %d images, want ≥ 1", g.N))
		}
		total += g.N
	}
	if err := r.CheckImages(images, total); err != nil {
		return nil, fmt.Errorf("generate groups: %w", err)
	}
	res := make([]GroupResult, len(groups))
	// Groups that cannot start leave before the encoder runs.
	var run []int
	var batch []float32
	off := 0
	for i := range groups {
		g := &groups[i]
		if g.Ctx == nil {
			g.Ctx = context.Background()
		}
		imgs := images[off*per : (off+g.N)*per]
		off += g.N
		if err := r.checkOptions(&g.Opts); err != nil {
			res[i].Err = fmt.Errorf("generate: %w", err)
			continue
		}
		if err := g.Ctx.Err(); err != nil {
			res[i].Err = fmt.Errorf("generate: %w", err)
			continue
		}
		run = append(run, i)
		if len(run) == 1 && len(groups) == 1 {
			batch = imgs // one group: no copy
		} else {
			batch = append(batch, imgs...)
		}
	}
	if len(run) == 0 {
		return res, nil
	}
	n := len(batch) / per
	r.bindMu.RLock()
	defer r.bindMu.RUnlock()
	cross, err := r.encode(batch, n)
	if err != nil {
		return nil, fmt.Errorf("generate groups: %w", err)
	}
	defer cross.Close()
	if err := r.decodeGroups(cross, groups, run, res); err != nil {
		return nil, fmt.Errorf("generate groups: %w", err)
	}
	return res, nil
}

// groupState is a running group's decoding state.
type groupState struct {
	g      *Group
	gen    *Generation
	noise  *noiseStream
	active int // rows of the group still in the batch
	done   bool
}

// decodeGroups is decode for several groups sharing one batch: rows
// are laid out group after group in cross, as run lists the groups.
func (r *Runner) decodeGroups(cross *Cross, groups []Group, run []int, res []GroupResult) error {
	vocab := r.Manifest.Architecture.VocabSize
	states := make([]*groupState, len(groups))
	var rows []batchRow
	maxSteps := 0
	for _, gi := range run {
		g := &groups[gi]
		st := &groupState{g: g, active: g.N,
			gen: &Generation{Tokens: make([][]int32, g.N), LogProbs: make([][]float32, g.N)}}
		if g.Opts.KeepLogits {
			st.gen.Logits = make([][]float32, g.N)
		}
		if g.Opts.Temperature > 0 {
			st.noise = newNoise(g.Opts.Seed, g.N*vocab)
		}
		states[gi] = st
		for k := range g.N {
			rows = append(rows, batchRow{gi, k})
		}
		maxSteps = max(maxSteps, g.Opts.MaxTokens)
	}
	token := make([]int32, len(rows))
	for j := range token {
		token[j] = codec.BOS
	}
	cache, err := r.NewCache(len(rows))
	if err != nil {
		return err
	}
	defer func() { cache.Close() }()
	noise := make([][]float32, len(groups))
	var scratch []scored
	for pos := 0; pos < maxSteps && len(rows) > 0; pos++ {
		// A group whose caller went away leaves before the step runs.
		keep := make([]int, 0, len(rows))
		for j, rw := range rows {
			st := states[rw.grp]
			if !st.done {
				if err := st.g.Ctx.Err(); err != nil {
					st.done = true
					res[rw.grp].Err = fmt.Errorf("generate: step %d: %w", pos, err)
				}
			}
			if !st.done {
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if len(keep) < len(rows) {
			if rows, token, err = r.dropRows(cross, cache, rows, token, keep); err != nil {
				return err
			}
		}
		logits, next, err := r.step1(token, cross, cache)
		if err != nil {
			return fmt.Errorf("step %d: %w", pos, err)
		}
		cache.Close()
		cache = next
		// Each group with rows left draws its step's noise, as it would alone.
		for _, gi := range run {
			st := states[gi]
			noise[gi] = nil
			if st.noise != nil && st.active > 0 && !st.done {
				noise[gi] = st.noise.next()
			}
			if st.active > 0 && !st.done {
				st.gen.Steps++
			}
		}
		keep = keep[:0]
		for j, rw := range rows {
			st := states[rw.grp]
			o := &st.g.Opts
			lg := logits[j*vocab : (j+1)*vocab]
			var rowNoise, mask []float32
			if u := noise[rw.grp]; u != nil {
				rowNoise = u[rw.idx*vocab : (rw.idx+1)*vocab]
			}
			if o.GrammarMask != nil {
				mask = o.GrammarMask[pos*vocab : (pos+1)*vocab]
			}
			var tok int32
			var lp float32
			if o.Temperature > 0 && (o.TopK > 0 || (o.TopP > 0 && o.TopP < 1)) {
				tok, lp, scratch = pickTruncated(lg, mask, rowNoise, o.Temperature, o.TopK, o.TopP, scratch)
			} else {
				tok, lp = pick(lg, mask, rowNoise, o.Temperature)
			}
			g := st.gen
			g.Tokens[rw.idx] = append(g.Tokens[rw.idx], tok)
			g.LogProbs[rw.idx] = append(g.LogProbs[rw.idx], lp)
			if o.KeepLogits {
				g.Logits[rw.idx] = append(g.Logits[rw.idx], lg...)
			}
			token[j] = tok
			if tok != codec.EOS && pos+1 < o.MaxTokens {
				keep = append(keep, j)
			} else {
				st.active--
			}
		}
		for _, gi := range run {
			if st := states[gi]; st.active == 0 && !st.done {
				st.done = true
				res[gi].Gen = st.gen
			}
		}
		if len(keep) == 0 {
			break
		}
		if len(keep) < len(rows) {
			if rows, token, err = r.dropRows(cross, cache, rows, token, keep); err != nil {
				return err
			}
		}
	}
	for _, gi := range run {
		if st := states[gi]; !st.done {
			res[gi].Gen = st.gen
		}
	}
	return nil
}

// batchRow is a row of a grouped batch: its group and its index within it.
type batchRow struct{ grp, idx int }

// dropRows keeps the given rows (positions in rows) of the batch: of the
// cache, the encoder outputs and the running tokens.
func (r *Runner) dropRows(cross *Cross, cache *Cache, rows []batchRow, token []int32, keep []int) ([]batchRow, []int32, error) {
	if err := compact(cache.values, keep); err != nil {
		return nil, nil, err
	}
	if err := compact(cross.values, keep); err != nil {
		return nil, nil, err
	}
	cache.Batch, cross.Batch = len(keep), len(keep)
	nr := make([]batchRow, len(keep))
	nt := make([]int32, len(keep))
	for k, j := range keep {
		nr[k], nt[k] = rows[j], token[j]
	}
	return nr, nt, nil
}
