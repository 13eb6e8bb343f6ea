// Package seq is the image-to-sequence model of rewardvision, of the
// pix2seq / UViM stage-II family: a ViT encoder turns an image into memory
// tokens, and an autoregressive Transformer decoder (causal self-attention,
// cross-attention to the memory) predicts output tokens — detection boxes,
// caption words or UViM codes, as laid out by models/codec.
//
// The same layer functions build every graph, so they cannot drift apart:
//
//   - training: Encode → CrossKV → Decode over the whole teacher-forced
//     sequence (causal mask), with MLELoss or ReinforceLoss;
//   - inference, encoder: EncoderOutputs, image → the cross-attention keys
//     and values of every decoder layer, computed once per image;
//   - inference, decoder step: DecoderStep (or SampleStep, which also
//     samples), one token with a fixed-size KV cache written by masked
//     update, the graph exported to ONNX and run by ONNX Runtime;
//   - full-prefix recompute: Decode on the prefix, for tests and checks.
//
// Graph functions are pure functions of (context variables, input nodes)
// with static shapes and no Go control flow on tensor values. Model wraps
// them with compiled executables for Go callers.
package seq

import "rewardvision/models/arch"

// Config is the architecture of a model (see arch.Config). It is saved with
// checkpoints; a checkpoint only loads into a model of the same Config.
type Config = arch.Config

// DetectionConfig is arch.DetectionConfig.
func DetectionConfig(vocabSize, seqLen int) Config { return arch.DetectionConfig(vocabSize, seqLen) }

// CaptionConfig is arch.CaptionConfig.
func CaptionConfig(vocabSize, seqLen int) Config { return arch.CaptionConfig(vocabSize, seqLen) }
