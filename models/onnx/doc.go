// Package onnx exports GoMLX graph-building functions to ONNX: the same
// model code that training runs is traced through an ONNX-emitting GoMLX
// backend (Name "onnx"), so there is no second, hand-written copy of the
// model.
//
// Trace builds the function on a backend whose Builder appends ONNX nodes
// (opset 18, IR version 8) for each GoMLX op. Context variables become
// raw_data initializers named after their scope ("encoder.block_0.dense.weights"),
// or, with WeightsAs Inputs, extra graph inputs: a trainer then refreshes
// weights by feeding tensors, without re-serialising the model. With
// initializers, Model.UpdateWeights re-encodes only the weights (the graph
// structure is encoded once).
//
// # Dynamic axes
//
// GoMLX shapes are static, so dynamic axes (Dynamic("batch"),
// Dynamic("past_len")) are traced at sentinel sizes (DefaultSentinels:
// primes near 10^4, far apart). Every value carries its dims as polynomials
// of the dynamic axes (8·batch, past_len+1, batch·seq); sizes that reach the
// backend as plain numbers (Reshape targets, broadcast shapes, Iota) are
// mapped back by matching them against the factors of the input dims. Ops
// that need a size at run time compute it from Shape(input)[axis]; Reshape
// uses ONNX's 0 (copy) and -1 (infer) where it can, and Slice counts from
// the end on dynamic axes. Output dims get dim_param names such as
// "past_len_plus_1". A size that leaks into a constant's value is rewritten
// into a run-time value when the constant is a scalar equal to the size or
// its reciprocal (GoMLX's ReduceMean multiplies by 1/n), and rejected with a
// DynamicShapeError otherwise.
//
// # Op mapping
//
//	Parameter        graph input (Spec.Inputs) or weight (initializer / input)
//	Constant         initializer (scalars of a dynamic size: Cast(size), Reciprocal)
//	Identity         no node
//	DotGeneral       MatMul, with Transpose only for out-of-order axes and Reshape
//	                 only for several contracting or rhs free axes (Spec.Dot =
//	                 DotEinsum writes one Einsum; MatMul measured faster in ORT:
//	                 see BenchmarkDotForms)
//	Dot              MatMul
//	Reshape          Reshape (0 / -1 / run-time shape)
//	Transpose        Transpose
//	BroadcastInDim   Unsqueeze + Expand (Expand only on axes that grow)
//	Iota             constant (≤ 4096) or Range, Cast, Unsqueeze, Expand
//	Concatenate      Concat
//	Slice            Slice (ends past the size = INT64_MAX; dynamic axes: no
//	                 stride other than 1)
//	Reverse          Slice with step -1
//	Pad              Pad (constant; no interior padding)
//	Gather           Gather(axis 0) for one index component, else GatherND, in
//	                 the graph.Gather form only; indices clamped into range as
//	                 GoMLX does (Clip / Min+Max)
//	ReduceSum/Max/Min/Product   ReduceSum/ReduceMax/ReduceMin/ReduceProd, axes input
//	ReduceLogicalAnd/Or         Cast to int32 + ReduceMin/ReduceMax + Cast
//	ArgMinMax        ArgMin/ArgMax (+ Cast from int64)
//	ConvertDType     Cast
//	Where            Where
//	Clamp            Clip (scalar bounds) or Min + Max
//	Add Sub Mul Div Pow Max Min          same name
//	Rem              Mod(fmod=1)
//	Equal, GreaterThan, GreaterOrEqual, LessThan, LessOrEqual   Equal, Greater, …
//	NotEqual         Not(Equal)
//	LogicalAnd/Or/Xor/Not, BitwiseAnd/Or/Xor/Not                And, Or, Xor, Not, Bitwise*
//	Abs Neg Sign Exp Log Sqrt Tanh Erf Floor Ceil Round Cos Sin IsNaN   same name
//	Logistic         Sigmoid
//	Rsqrt            Reciprocal(Sqrt)
//	Log1p, Expm1     Log(x+1), Exp(x)-1
//	IsFinite         Not(Or(IsInf, IsNaN))
//
// Any other op (convolutions, pooling, scatter, RNG, dynamic slices, FFT,
// total-order comparisons, ...) fails the export with an
// *UnsupportedOpError naming the op and the model function that called it.
//
// # Fusion
//
// After tracing, the thirteen nodes of a models/nn layer norm become one
// LayerNormalization and the seven of a last-axis softmax one Softmax, when
// no other node reads their intermediate values (fuse.go); ONNX Runtime
// does not fuse these forms itself, and runs each node as a kernel over
// the whole tensor. On the shipped models this cut the encoder's time by
// 13–19% and a whole greedy decode at batch 1 by 17–31%.
package onnx
