// Package nn holds the neural-network layers of rewardvision's models,
// written for GoMLX's pure-Go backend (simplego).
//
// Every matrix product goes through DotGeneral, whose backward pass is two
// ordinary matrix products. GoMLX v0.26.0 differentiates graph.DotGeneral
// with broadcast multiplies and reductions over full-size intermediates,
// which made training ~10x slower and ~8x hungrier for memory on these
// machines (docs/training-speed.md has the numbers).
//
// Layers are pure functions of (context variables, input nodes) built from a
// small set of graph ops, with no Go control flow depending on tensor values,
// so an ONNX-recording backend can capture them unchanged. Variables are
// created with the input's dtype, so the same code runs in float32 for
// training and float64 for exact gradient checks.
//
// Setting the context parameter ParamStockGradients to true makes every
// layer use graph.DotGeneral and GoMLX's own gradient instead: the reference
// the tests and benchmarks compare against.
package nn

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Node is GoMLX's graph node, aliased for brevity.
type Node = graph.Node

// shapeOf is shapes.Make, spelled short for the many shapes built here.
func shapeOf(dtype dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dtype, dims...) }
