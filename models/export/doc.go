// Package export turns a GoMLX checkpoint (models/seq weights plus the
// models/checkpoint meta.json) into a model repository entry (models/repo):
// REPO/<name>/<version>/ with model.json, encoder.onnx, decoder_step.onnx
// and, for captioning, vocab.json.
//
// # One source of truth
//
// The ONNX graphs are not a second, hand-written copy of the model. Each
// role's graph is the same GoMLX graph function training runs
// (seq.EncoderOutputs; seq.DecoderStepDynamic, which calls the same
// decoderLayer as the teacher-forced seq.Decode), traced through
// models/onnx, a GoMLX backend that writes ONNX nodes instead of executing
// them. A change to a layer therefore reaches training, the GoMLX sampler
// and the exported model at once, and an op the exporter cannot write
// fails the export (naming the op and the model function that used it)
// instead of exporting something subtly different. The alternatives were
// worse here: writing the ONNX graph by hand duplicates every layer;
// onnx-gomlx goes the other way (ONNX → GoMLX) and only writes weights
// back into an existing ONNX file.
//
// Verify checks the result numerically: the exported graphs in ONNX
// Runtime and the checkpoint in GoMLX on the same images, comparing every
// decoding step's logits and the greedy tokens.
//
// For REINFORCE, Live keeps ONNX Runtime sessions whose weights are graph
// inputs (onnx.Inputs mode), so a trainer refreshes them after each step
// by feeding tensors instead of re-exporting (see BenchmarkRefresh).
package export
