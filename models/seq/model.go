package seq

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// Options configure a new Model.
type Options struct {
	Seed         int64   // seed of the weight initialisation
	LearningRate float64 // Adam's learning rate; 0 means 1e-3
}

// Model binds a Config to its variables (a GoMLX context) and a backend,
// and compiles the graph functions of this package on first use: the Go
// API for training steps, encoding, generation and checkpoints.
//
// A Model is safe for use by one goroutine at a time (calls are
// serialised by a mutex).
type Model struct {
	Cfg     Config
	ctx     *context.Context
	backend backends.Backend
	lr      float64

	ckpt *checkpoints.Handler

	mu                                      sync.Mutex
	encExec, stepExec, fullExec, logitsExec *context.Exec
	mleExec, rlExec, logProbExec            *context.Exec
	noMask                                  *tensors.Tensor
}

// New creates a model with freshly initialised weights (initialised on the
// first call that runs a graph).
func New(backend backends.Backend, cfg Config, opts Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(opts.Seed); err != nil {
		return nil, fmt.Errorf("seed model: %w", err)
	}
	ctx.SetParam(ParamConfig, cfg.String())
	return newModel(backend, cfg, ctx, opts.LearningRate), nil
}

func newModel(backend backends.Backend, cfg Config, ctx *context.Context, lr float64) *Model {
	if lr <= 0 {
		lr = 1e-3
	}
	return &Model{Cfg: cfg, ctx: ctx, backend: backend, lr: lr,
		noMask: tensors.FromShape(shapes.Make(dtypes.Float32, cfg.SeqLen, cfg.VocabSize))}
}

// Context returns the model's GoMLX context (variables and parameters), for
// export and custom graphs.
func (m *Model) Context() *context.Context { return m.ctx }

// Backend returns the backend the model runs on.
func (m *Model) Backend() backends.Backend { return m.backend }

// gctx is the context graph functions build on: unchecked, so each of the
// model's executables may create or reuse the same variables.
func (m *Model) gctx(ctx *context.Context) *context.Context { return ctx.Checked(false) }

// resetExecs drops compiled graphs: needed after variables are replaced
// (checkpoint load), since executables keep their own view of them.
func (m *Model) resetExecs() {
	for _, e := range []*context.Exec{m.encExec, m.stepExec, m.fullExec, m.logitsExec, m.mleExec, m.rlExec, m.logProbExec} {
		if e != nil {
			e.Finalize()
		}
	}
	m.encExec, m.stepExec, m.fullExec, m.logitsExec, m.mleExec, m.rlExec, m.logProbExec = nil, nil, nil, nil, nil, nil, nil
}

// exec returns *slot, compiling fn into it on first use.
func (m *Model) exec(slot **context.Exec, fn func(ctx *context.Context, in []*Node) []*Node) (*context.Exec, error) {
	if *slot == nil {
		e, err := context.NewExec(m.backend, m.ctx, func(ctx *context.Context, in []*Node) []*Node { return fn(m.gctx(ctx), in) })
		if err != nil {
			return nil, fmt.Errorf("compile model graph: %w", err)
		}
		*slot = e
	}
	return *slot, nil
}

// run executes e on args, wrapping errors with what.
func run(e *context.Exec, what string, args ...any) ([]*tensors.Tensor, error) {
	out, err := e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Encode runs the encoder on images [batch, size, size, channels] float32
// and returns the cross keys and values, interleaved [k0, v0, k1, v1, ...].
func (m *Model) Encode(images *tensors.Tensor) ([]*tensors.Tensor, error) {
	if err := m.checkImages(images); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.exec(&m.encExec, func(ctx *context.Context, in []*Node) []*Node {
		return EncoderOutputs(ctx, m.Cfg, in[0])
	})
	if err != nil {
		return nil, err
	}
	return run(e, "encode", images)
}

// Logits runs the teacher-forced model: images and input tokens [batch, t]
// → logits [batch, t, vocab].
func (m *Model) Logits(images, inputs *tensors.Tensor) (*tensors.Tensor, error) {
	if err := m.checkImages(images); err != nil {
		return nil, err
	}
	if err := m.checkTokens("inputs", inputs, images.Shape().Dimensions[0]); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.exec(&m.logitsExec, func(ctx *context.Context, in []*Node) []*Node {
		return []*Node{Forward(ctx, m.Cfg, in[0], in[1])}
	})
	if err != nil {
		return nil, err
	}
	out, err := run(e, "logits", images, inputs)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// TokenLogProbs returns log p(target | prefix, image) [batch, t] under the
// grammar mask ([SeqLen·vocab] row-major, nil for none).
func (m *Model) TokenLogProbs(images, inputs, targets *tensors.Tensor, mask []float32) (*tensors.Tensor, error) {
	if _, err := m.checkBatch(images, inputs, targets, nil, nil); err != nil {
		return nil, err
	}
	maskT, err := m.maskTensor(mask)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.exec(&m.logProbExec, func(ctx *context.Context, in []*Node) []*Node {
		logits := Forward(ctx, m.Cfg, in[0], in[1])
		return []*Node{TokenLogProbs(logits, in[2], maskRows(in[3], in[1]))}
	})
	if err != nil {
		return nil, err
	}
	out, err := run(e, "token log-probabilities", images, inputs, targets, maskT)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// maskRows cuts a [SeqLen, vocab] mask to the t rows of a [batch, t]
// sequence, by Gather (no Slice, whose gradient simplego lacks).
func maskRows(mask, tokens *Node) *Node {
	t := tokens.Shape().Dimensions[1]
	if t == mask.Shape().Dimensions[0] {
		return mask
	}
	rows := graph.Iota(mask.Graph(), shapes.Make(dtypes.Int32, t, 1), 0)
	return graph.Gather(mask, rows)
}

// maskTensor makes the [SeqLen, vocab] mask tensor, zeros when mask is nil.
func (m *Model) maskTensor(mask []float32) (*tensors.Tensor, error) {
	if mask == nil {
		return m.noMask, nil
	}
	if want := m.Cfg.SeqLen * m.Cfg.VocabSize; len(mask) != want {
		return nil, fmt.Errorf("grammar mask has %d values, want seq_len×vocab = %d×%d", len(mask), m.Cfg.SeqLen, m.Cfg.VocabSize)
	}
	return tensors.FromFlatDataAndDimensions(append([]float32(nil), mask...), m.Cfg.SeqLen, m.Cfg.VocabSize), nil
}
