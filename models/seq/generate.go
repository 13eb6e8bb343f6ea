package seq

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/models/codec"
)

// GenerateOptions control Model.Generate.
type GenerateOptions struct {
	Temperature float64   // ≤ 0: greedy (argmax); 1: sampling from the model (REINFORCE)
	Seed        uint64    // seed of the Gumbel noise, when sampling
	Mask        []float32 // grammar mask [SeqLen·vocab] row-major; nil for none
	// FullRecompute decodes the whole prefix again at every step instead of
	// using the KV-cached DecoderStep: slow, kept to check the cache.
	FullRecompute bool
	KeepLogits    bool // keep each step's logits in Generation.Logits
}

// Generation is the output of Model.Generate: per image, the generated
// tokens (no BOS; rows run past their EOS when others are still going —
// cut them with codec.UpToEOS) and each token's log-probability under the
// distribution it was drawn from (mask and temperature applied).
type Generation struct {
	Tokens   [][]int32
	LogProbs [][]float32
	Logits   [][]float32 // with KeepLogits: [step][batch·vocab]
}

// Generate decodes images autoregressively, up to SeqLen tokens or until
// every sequence has produced EOS. The noise is drawn in Go from Seed and
// fed to the graph, so the cached and the full-recompute paths (and ONNX
// Runtime, given the same noise) make the same choices.
func (m *Model) Generate(images *tensors.Tensor, opts GenerateOptions) (*Generation, error) {
	if math.IsNaN(opts.Temperature) || math.IsInf(opts.Temperature, 0) {
		return nil, fmt.Errorf("generate: temperature %g", opts.Temperature)
	}
	mask, err := m.maskTensor(opts.Mask)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	cross, err := m.Encode(images)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg := m.Cfg
	batch := images.Shape().Dimensions[0]
	var step *context.Exec
	if opts.FullRecompute {
		step, err = m.exec(&m.fullExec, m.fullStepGraph)
	} else {
		step, err = m.exec(&m.stepExec, m.cachedStepGraph)
	}
	if err != nil {
		return nil, err
	}

	gen := &Generation{Tokens: make([][]int32, batch), LogProbs: make([][]float32, batch)}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	noise := make([]float32, batch*cfg.VocabSize)
	temperature := tensors.FromScalar(float32(opts.Temperature))
	prefix := make([]int32, batch*cfg.SeqLen) // full-recompute input: BOS, generated tokens, PAD
	token := make([]int32, batch)
	for b := range batch {
		prefix[b*cfg.SeqLen] = codec.BOS
		token[b] = codec.BOS
	}
	var past []*tensors.Tensor
	if !opts.FullRecompute {
		for range 2 * cfg.DecDepth {
			past = append(past, tensors.FromShape(CacheShape(cfg, batch)))
		}
	}
	done := make([]bool, batch)
	for pos := range cfg.SeqLen {
		if opts.Temperature > 0 {
			for i := range noise {
				noise[i] = float32(rng.Float64())
			}
		}
		args := []any{nil, tensors.FromScalar(int32(pos)), mask,
			tensors.FromFlatDataAndDimensions(append([]float32(nil), noise...), batch, cfg.VocabSize), temperature}
		if opts.FullRecompute {
			args[0] = tensors.FromFlatDataAndDimensions(append([]int32(nil), prefix...), batch, cfg.SeqLen)
		} else {
			args[0] = tensors.FromFlatDataAndDimensions(append([]int32(nil), token...), batch)
		}
		for _, t := range cross {
			args = append(args, t)
		}
		for _, t := range past {
			args = append(args, t)
		}
		out, err := run(step, fmt.Sprintf("generate step %d", pos), args...)
		if err != nil {
			return nil, err
		}
		next := tensors.MustCopyFlatData[int32](out[0])
		logp := tensors.MustCopyFlatData[float32](out[1])
		if opts.KeepLogits {
			gen.Logits = append(gen.Logits, tensors.MustCopyFlatData[float32](out[2]))
		}
		if !opts.FullRecompute {
			past = out[3:]
		}
		allDone := true
		for b := range batch {
			gen.Tokens[b] = append(gen.Tokens[b], next[b])
			gen.LogProbs[b] = append(gen.LogProbs[b], logp[b])
			token[b] = next[b]
			if pos+1 < cfg.SeqLen {
				prefix[b*cfg.SeqLen+pos+1] = next[b]
			}
			done[b] = done[b] || next[b] == codec.EOS
			allDone = allDone && done[b]
		}
		if allDone {
			break
		}
	}
	return gen, nil
}

// cachedStepGraph: [token, pos, mask, uniform, temperature, cross k/v...,
// past k/v...] → [next, logProb, logits, present k/v...].
func (m *Model) cachedStepGraph(ctx *context.Context, in []*Node) []*Node {
	n := 2 * m.Cfg.DecDepth
	crossK, crossV := deinterleave(in[5 : 5+n])
	pastK, pastV := deinterleave(in[5+n : 5+2*n])
	next, logp, logits, presK, presV := SampleStep(ctx, m.Cfg, in[0], in[1], crossK, crossV, pastK, pastV, in[2], in[3], in[4])
	return append([]*Node{next, logp, logits}, interleave(presK, presV)...)
}

// fullStepGraph: [prefix [batch, SeqLen], pos, mask, uniform, temperature,
// cross k/v...] → [next, logProb, logits] from the whole-prefix decoder.
func (m *Model) fullStepGraph(ctx *context.Context, in []*Node) []*Node {
	crossK, crossV := deinterleave(in[5 : 5+2*m.Cfg.DecDepth])
	logits := Decode(ctx, m.Cfg, in[0], crossK, crossV) // [batch, SeqLen, vocab]
	// Row pos, by a one-hot reduction (no dynamic slicing).
	row := graph.OneHot(in[1], m.Cfg.SeqLen, logits.DType())
	logits = graph.ReduceSum(graph.Mul(logits, graph.Reshape(row, 1, m.Cfg.SeqLen, 1)), 1)
	mask := graph.Gather(in[2], graph.Reshape(in[1], 1, 1))
	next, logp := Sample(logits, mask, in[3], in[4])
	return []*Node{next, logp, logits}
}
