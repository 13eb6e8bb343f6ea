package onnx

import (
	"fmt"
	"regexp"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Spec says what to export: the graph's inputs (with their dynamic axes),
// the names of its outputs, and how the weights travel.
type Spec struct {
	// Name of the ONNX graph (and of the GoMLX graph traced).
	Name string
	// Inputs of the traced function, in order.
	Inputs []Input
	// Outputs names the function's results, in order.
	Outputs []string
	// WeightsAs says whether context variables become initializers
	// (stored in the file) or extra graph inputs (fed at each run).
	WeightsAs WeightsMode
	// Dot selects how DotGeneral is written (default DotMatMul).
	Dot DotMode
	// Sentinels overrides the tracing sizes of dynamic axes by name (see
	// DefaultSentinels); only needed when a model's static sizes collide
	// with the defaults.
	Sentinels map[string]int
	// DocString is stored in the model.
	DocString string
	// Metadata is stored as the model's metadata_props.
	Metadata map[string]string
}

// Input is one graph input.
type Input struct {
	Name  string
	DType dtypes.DType
	Dims  []Dim
}

// Dim is an input axis: Fixed(n) or Dynamic(name). Inputs that name the
// same dynamic axis share it (e.g. "batch" on image and tokens).
type Dim struct {
	size int
	name string
}

// Fixed is an axis of static size n.
func Fixed(n int) Dim { return Dim{size: n} }

// Dynamic is an axis whose size is chosen at run time, named in the ONNX
// file's dim_param.
func Dynamic(name string) Dim { return Dim{name: name} }

// IsDynamic reports whether the axis is dynamic.
func (d Dim) IsDynamic() bool { return d.name != "" }

// Size is a fixed axis' size (0 for a dynamic one).
func (d Dim) Size() int { return d.size }

// Name is a dynamic axis' name ("" for a fixed one).
func (d Dim) Name() string { return d.name }

func (d Dim) String() string {
	if d.IsDynamic() {
		return d.name
	}
	return fmt.Sprint(d.size)
}

// WeightsMode says where weights (context variables) go.
type WeightsMode int

const (
	// Initializers stores weights in the file (raw_data initializers).
	Initializers WeightsMode = iota
	// Inputs makes every weight an extra graph input, after Spec.Inputs,
	// so that new weights can be fed without re-serialising the model.
	Inputs
)

func (w WeightsMode) String() string {
	switch w {
	case Initializers:
		return "initializers"
	case Inputs:
		return "inputs"
	}
	return fmt.Sprintf("WeightsMode(%d)", int(w))
}

// DotMode selects the ONNX form of DotGeneral.
type DotMode int

const (
	// DotMatMul writes Transpose/Reshape + MatMul (default: faster in ONNX
	// Runtime on CPU, see BenchmarkDotForms).
	DotMatMul DotMode = iota
	// DotEinsum writes one Einsum node.
	DotEinsum
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:/-]*$`)

// validate checks the spec and assigns sentinels to dynamic axes.
func (s *Spec) validate() (*symbols, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("spec: empty Name")
	}
	if len(s.Outputs) == 0 {
		return nil, fmt.Errorf("spec %q: no Outputs", s.Name)
	}
	if s.WeightsAs != Initializers && s.WeightsAs != Inputs {
		return nil, fmt.Errorf("spec %q: unknown WeightsAs %d", s.Name, int(s.WeightsAs))
	}
	if s.Dot != DotMatMul && s.Dot != DotEinsum {
		return nil, fmt.Errorf("spec %q: unknown Dot mode %d", s.Name, int(s.Dot))
	}
	seen := map[string]string{}
	use := func(name, what string) error {
		if !identRE.MatchString(name) {
			return fmt.Errorf("spec %q: %s name %q is not a valid identifier", s.Name, what, name)
		}
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("spec %q: %s name %q already used by an %s", s.Name, what, name, prev)
		}
		seen[name] = what
		return nil
	}
	syms := &symbols{atoms: map[string]poly{}}
	symIdx := map[string]int{}
	for i, in := range s.Inputs {
		if err := use(in.Name, "input"); err != nil {
			return nil, err
		}
		if _, ok := dtypeOK(in.DType); !ok {
			return nil, fmt.Errorf("spec %q: input %d (%s): dtype %s is not supported", s.Name, i, in.Name, in.DType)
		}
		for axis, d := range in.Dims {
			if !d.IsDynamic() {
				if d.size < 0 {
					return nil, fmt.Errorf("spec %q: input %s axis %d: negative size %d", s.Name, in.Name, axis, d.size)
				}
				continue
			}
			if !identRE.MatchString(d.name) {
				return nil, fmt.Errorf("spec %q: input %s axis %d: dynamic axis name %q is not a valid identifier", s.Name, in.Name, axis, d.name)
			}
			if _, ok := symIdx[d.name]; !ok {
				symIdx[d.name] = len(syms.syms)
				syms.syms = append(syms.syms, symbol{name: d.name, input: in.Name, axis: axis})
			}
		}
	}
	// Sentinels: overrides first, then unused defaults in order.
	used := map[int64]string{}
	for name, v := range s.Sentinels {
		k, ok := symIdx[name]
		if !ok {
			return nil, fmt.Errorf("spec %q: Sentinels names %q, which is not a dynamic axis of any input", s.Name, name)
		}
		if v < 1000 || v > 1<<20 {
			return nil, fmt.Errorf("spec %q: sentinel %d for axis %q is out of range [1000, 2^20]", s.Name, v, name)
		}
		if prev, ok := used[int64(v)]; ok {
			return nil, fmt.Errorf("spec %q: dynamic axes %q and %q share the sentinel %d", s.Name, prev, name, v)
		}
		used[int64(v)] = name
		syms.syms[k].sentinel = int64(v)
	}
	next := 0
	for k := range syms.syms {
		if syms.syms[k].sentinel != 0 {
			continue
		}
		for next < len(DefaultSentinels) && used[int64(DefaultSentinels[next])] != "" {
			next++
		}
		if next == len(DefaultSentinels) {
			return nil, fmt.Errorf("spec %q: more than %d dynamic axes", s.Name, len(DefaultSentinels))
		}
		syms.syms[k].sentinel = int64(DefaultSentinels[next])
		used[syms.syms[k].sentinel] = syms.syms[k].name
	}
	for k, y := range syms.syms {
		syms.vals = append(syms.vals, y.sentinel)
		syms.register(symPoly(k))
	}
	for _, o := range s.Outputs {
		if err := use(o, "output"); err != nil {
			return nil, err
		}
	}
	return syms, nil
}

// inputDims are the symbolic dims of input i.
func (s *Spec) inputDims(syms *symbols, i int) []poly {
	in := s.Inputs[i]
	dims := make([]poly, len(in.Dims))
	for axis, d := range in.Dims {
		if !d.IsDynamic() {
			dims[axis] = constPoly(int64(d.size))
			continue
		}
		for k, y := range syms.syms {
			if y.name == d.name {
				dims[axis] = symPoly(k)
			}
		}
	}
	return dims
}

func dtypeOK(dt dtypes.DType) (dtypes.DType, bool) {
	switch dt {
	case dtypes.Float32, dtypes.Float64, dtypes.Float16, dtypes.BFloat16,
		dtypes.Int8, dtypes.Int16, dtypes.Int32, dtypes.Int64,
		dtypes.Uint8, dtypes.Uint16, dtypes.Uint32, dtypes.Uint64, dtypes.Bool:
		return dt, true
	}
	return dt, false
}
