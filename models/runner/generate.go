package runner

import (
	"context"
	"fmt"
	"math"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// GenerateOptions control Generate.
type GenerateOptions struct {
	// Temperature 0 (or less) decodes greedily; 1 samples from the model
	// (REINFORCE rollouts).
	Temperature float64
	// MaxTokens caps the generated tokens per image, EOS included; 0 means
	// the model's max_len.
	MaxTokens int
	// Seed seeds the sampling noise (unused when greedy).
	Seed uint64
	// GrammarMask is an additive logit mask [max_len·vocab] row-major: row
	// p constrains the p-th generated token. nil: no mask (Predict uses the
	// task's grammar by default).
	GrammarMask []float32
	// KeepLogits keeps every step's raw logits in Generation.Logits.
	KeepLogits bool
	// TopK, when > 0, samples only among the K most likely tokens of each
	// step (after temperature and mask). Ignored when greedy.
	TopK int
	// TopP, when in (0, 1), samples only among the smallest set of most
	// likely tokens whose probability reaches TopP (nucleus sampling); 0
	// or 1 turns it off. Ignored when greedy. With TopK and TopP unset the
	// samples are exactly models/seq's for the same seed.
	TopP float64
}

// Generation is the output of Generate, per image: the generated tokens
// (no BOS; up to and including EOS, or MaxTokens of them), each token's
// log-probability under the distribution it was drawn from (temperature
// and mask applied), and with KeepLogits the logits of each step
// (len(Tokens[b])·vocab values).
type Generation struct {
	Tokens   [][]int32
	LogProbs [][]float32
	Logits   [][]float32
	Steps    int // decoder steps run
}

// DefaultOptions are the manifest's decoding defaults with the task's
// grammar mask.
func (r *Runner) DefaultOptions() GenerateOptions {
	d := r.Manifest.Decoding
	return GenerateOptions{Temperature: d.Temperature, MaxTokens: d.MaxTokens, GrammarMask: r.GrammarMask()}
}

func (r *Runner) checkOptions(o *GenerateOptions) error {
	t := r.Manifest.Tokens
	if math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0) {
		return badInput("temperature", "temperature %g: want a finite value", o.Temperature)
	}
	if o.MaxTokens < 0 || o.MaxTokens > t.MaxLen {
		return badInput("max_tokens", "max tokens %d: want 0..%d", o.MaxTokens, t.MaxLen)
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = t.MaxLen
	}
	if o.GrammarMask != nil && len(o.GrammarMask) != t.MaxLen*t.VocabSize {
		return badInput("grammar_mask", "grammar mask has %d values, want max_len×vocab = %d×%d", len(o.GrammarMask), t.MaxLen, t.VocabSize)
	}
	if o.TopK < 0 {
		return badInput("top_k", "top_k %d: want ≥ 0 (0: off)", o.TopK)
	}
	if !(o.TopP >= 0 && o.TopP <= 1) {
		return badInput("top_p", "top_p %g: want a value in [0, 1] (0 or 1: off)", o.TopP)
	}
	return nil
}

// Generate decodes n preprocessed images (see CheckImages) together. Each
// row stops at its EOS; finished rows leave the batch (their cache rows
// are dropped), so the step cost follows the rows still running. The noise
// is drawn as models/seq's Model.Generate draws it, so the same seed gives
// the same samples as the GoMLX model (up to float rounding at near-ties).
func (r *Runner) Generate(images []float32, n int, opts GenerateOptions) (*Generation, error) {
	return r.GenerateContext(context.Background(), images, n, opts)
}

// GenerateContext is Generate, stopping between decoder steps once ctx is
// done (a client that went away); it then returns ctx's error, wrapped.
// Errors are ErrBadInput for bad images or options and ErrEngine for
// ONNX Runtime failures (see errors.go).
func (r *Runner) GenerateContext(ctx context.Context, images []float32, n int, opts GenerateOptions) (*Generation, error) {
	if err := r.CheckImages(images, n); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := r.checkOptions(&opts); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	// A batch of one group: the decoding loop of every caller.
	res, err := r.generateGroups(images, []Group{{Ctx: ctx, N: n, Opts: opts}})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return res[0].Gen, res[0].Err
}

// Cache is the decoder's self-attention KV cache for a batch: per layer
// keys and values [batch, heads, Len, head_dim], interleaved. Row b's
// history is positions Start[b] … Len−1 (a row that joined a running
// batch starts where the cache ended); nil Start means 0 for every row.
type Cache struct {
	Batch, Len int
	Start      []int32
	values     []ort.Value
}

// start is row b's Start.
func (c *Cache) start(b int) int32 {
	if c.Start == nil {
		return 0
	}
	return c.Start[b]
}

// Close releases the cache's tensors.
func (c *Cache) Close() {
	if c != nil {
		destroy(c.values)
		c.values = nil
	}
}

// NewCache returns an empty cache (length 0) for batch rows.
func (r *Runner) NewCache(batch int) (*Cache, error) {
	cfg := r.Manifest.Architecture
	c := &Cache{Batch: batch, values: make([]ort.Value, 2*cfg.DecDepth)}
	for i := range c.values {
		v, err := ort.NewTensor(ort.NewShape(int64(batch), int64(cfg.Heads), 0, int64(cfg.HeadDim())), []float32{})
		if err != nil {
			c.Close()
			return nil, engine("cache", err)
		}
		c.values[i] = v
	}
	return c, nil
}

// Step runs one decoder step: tokens [batch], row b's at position
// past.Len − past.Start[b], with the encoder outputs cross, returning the
// logits [batch·vocab] and the cache one position longer (past stays
// valid; the caller closes both). It is Generate's inner loop, exposed
// for streaming and benchmarks.
func (r *Runner) Step(tokens []int32, cross *Cross, past *Cache) ([]float32, *Cache, error) {
	if len(tokens) != cross.Batch || len(tokens) != past.Batch {
		return nil, nil, fmt.Errorf("step: %d tokens, %d encoded images, cache of %d rows", len(tokens), cross.Batch, past.Batch)
	}
	if past.Start != nil && len(past.Start) != past.Batch {
		return nil, nil, fmt.Errorf("step: %d cache starts for %d rows", len(past.Start), past.Batch)
	}
	for b := range past.Batch {
		s := past.start(b)
		if s < 0 || int(s) > past.Len {
			return nil, nil, fmt.Errorf("step: row %d starts at %d, outside the cache of length %d", b, s, past.Len)
		}
		if pos := past.Len - int(s); pos >= r.Manifest.Tokens.MaxLen {
			return nil, nil, fmt.Errorf("step: row %d at position %d is past max_len %d", b, pos, r.Manifest.Tokens.MaxLen)
		}
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= r.Manifest.Tokens.VocabSize {
			return nil, nil, fmt.Errorf("step: token %d of row %d outside [0, %d)", t, i, r.Manifest.Tokens.VocabSize)
		}
	}
	r.bindMu.RLock()
	defer r.bindMu.RUnlock()
	return r.step1(tokens, cross, past)
}

// step1 runs one decoder step; the caller holds bindMu for reading.
func (r *Runner) step1(token []int32, cross *Cross, past *Cache) ([]float32, *Cache, error) {
	tok, err := ort.NewTensor(ort.NewShape(int64(len(token))), token)
	if err != nil {
		return nil, nil, engine("token tensor", err)
	}
	defer tok.Destroy()
	pos := make([]int32, len(token))
	start := make([]int32, len(token))
	for b := range token {
		start[b] = past.start(b)
		pos[b] = int32(past.Len) - start[b]
	}
	p, err := ort.NewTensor(ort.NewShape(int64(len(token))), pos)
	if err != nil {
		return nil, nil, engine("pos tensor", err)
	}
	defer p.Destroy()
	st, err := ort.NewTensor(ort.NewShape(int64(len(token))), start)
	if err != nil {
		return nil, nil, engine("start tensor", err)
	}
	defer st.Destroy()
	in := make([]ort.Value, 0, 3+len(cross.values)+len(past.values))
	in = append(in, tok, p, st)
	in = append(in, cross.values...)
	in = append(in, past.values...)
	out, err := r.step.run(in)
	if err != nil {
		return nil, nil, err
	}
	defer out[0].Destroy()
	logits, err := floats(out[0], "logits")
	if err != nil {
		destroy(out[1:])
		return nil, nil, engine("logits", err)
	}
	return slices.Clone(logits), &Cache{Batch: past.Batch, Len: past.Len + 1, Start: past.Start, values: out[1:]}, nil
}
