package onnx

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// DefaultSentinels are the sizes dynamic axes get while tracing, in the
// order the axes are first named in Spec.Inputs. They are primes, more than
// 500 apart, and far from round numbers and powers of two, so that a size
// derived from one (k·S, S±k, S1·S2) is not mistaken for a static size or
// for a size derived from another, and a static size is not mistaken for
// either.
var DefaultSentinels = []int{9973, 9257, 8693, 7919, 7351, 6791}

// symbol is one dynamic axis name (e.g. "batch"): its sentinel size and the
// graph input axis it is read from at run time.
type symbol struct {
	name     string
	sentinel int64
	input    string // ONNX name of the graph input that owns the axis
	axis     int
}

// symbols holds the dynamic axes and every "atom" (symbol or primitive
// polynomial such as past_len+1) seen in a value's dimensions while
// tracing: numbers in static shapes (Reshape targets, broadcast shapes,
// Iota) are mapped back to polynomials over these atoms.
type symbols struct {
	syms  []symbol
	vals  []int64
	atoms map[string]poly
}

func (s *symbols) names() []string {
	out := make([]string, len(s.syms))
	for i, y := range s.syms {
		out[i] = y.name
	}
	return out
}

func (s *symbols) isStatic() bool { return len(s.syms) == 0 }

// register records the atoms of p.
func (s *symbols) register(p poly) {
	if _, ok := p.constant(); ok {
		return
	}
	_, atoms := p.factor()
	for _, a := range atoms {
		s.atoms[a.key()] = a
	}
}

// sortedAtoms lists the atoms by decreasing value (then key, for
// determinism).
func (s *symbols) sortedAtoms() []poly {
	out := make([]poly, 0, len(s.atoms))
	for _, a := range s.atoms {
		if a.eval(s.vals) > 1 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		vi, vj := out[i].eval(s.vals), out[j].eval(s.vals)
		if vi != vj {
			return vi > vj
		}
		return out[i].key() < out[j].key()
	})
	return out
}

// resolve maps a size n seen in a static shape to a polynomial: first one
// of the hints (usually the dimensions of the op's inputs) with that value,
// else a product of known atoms times a static coefficient, else the
// constant n. It fails when what is left still divides by a sentinel: a
// size derived from a dynamic axis in a way this package cannot follow.
func (s *symbols) resolve(n int64, hints ...[]poly) (poly, error) {
	if s.isStatic() || n <= 1 {
		return constPoly(n), nil
	}
	for _, hs := range hints {
		for _, h := range hs {
			if h.eval(s.vals) == n {
				return h, nil
			}
		}
	}
	c, atoms := s.decompose(n, s.sortedAtoms())
	p := constPoly(c)
	for _, a := range atoms {
		p = p.mul(a)
	}
	if err := s.checkStatic(c); err != nil {
		return nil, fmt.Errorf("size %d: %w", n, err)
	}
	return p, nil
}

// checkStatic rejects a "static" coefficient that is a multiple of a
// sentinel.
func (s *symbols) checkStatic(c int64) error {
	for _, y := range s.syms {
		if c != 0 && c%y.sentinel == 0 {
			return fmt.Errorf("it is a multiple of the tracing size %d of dynamic axis %q, but not an expression of the dynamic axes this exporter can follow", y.sentinel, y.name)
		}
	}
	return nil
}

// decompose finds the multiset of atoms with the largest product P that
// divides n, and returns n/P and the atoms.
func (s *symbols) decompose(n int64, atoms []poly) (int64, []poly) {
	vals := make([]int64, len(atoms))
	for i, a := range atoms {
		vals[i] = a.eval(s.vals)
	}
	bestP := int64(1)
	var best, cur []int
	var dfs func(start int, rem, prod int64)
	dfs = func(start int, rem, prod int64) {
		if prod > bestP {
			bestP = prod
			best = slices.Clone(cur)
		}
		for i := start; i < len(vals); i++ {
			if rem%vals[i] == 0 {
				cur = append(cur, i)
				dfs(i, rem/vals[i], prod*vals[i])
				cur = cur[:len(cur)-1]
			}
		}
	}
	dfs(0, n, 1)
	out := make([]poly, len(best))
	for i, k := range best {
		out[i] = atoms[k]
	}
	return n / bestP, out
}

// matchFloat reports whether x is (within float32 rounding) an integer
// multiple c·P of a product P of atoms, P > 1: the signature of a size of a
// dynamic axis that leaked into a value. It returns the polynomial c·P.
func (s *symbols) matchFloat(x float64) (poly, bool) {
	if s.isStatic() || math.IsNaN(x) || math.IsInf(x, 0) || x < 2 || x > 1<<50 {
		return nil, false
	}
	atoms := s.sortedAtoms()
	vals := make([]float64, len(atoms))
	for i, a := range atoms {
		vals[i] = float64(a.eval(s.vals))
	}
	const tol = 2e-6 // float32 has a 6e-8 relative step; leave room for a few roundings
	// Keep the match with the largest product (smallest coefficient):
	// 2·batch·seq rather than 18514·batch.
	bestProd := 1.0
	var best []int
	var dfs func(start int, prod float64, cur []int)
	dfs = func(start int, prod float64, cur []int) {
		if len(cur) > 0 && prod > bestProd {
			c := math.Round(x / prod)
			if c >= 1 && math.Abs(x-c*prod) <= tol*x {
				bestProd, best = prod, slices.Clone(cur)
			}
		}
		for i := start; i < len(vals); i++ {
			if prod*vals[i] <= x*(1+tol) {
				dfs(i, prod*vals[i], append(cur, i))
			}
		}
	}
	dfs(0, 1, nil)
	if best == nil {
		return nil, false
	}
	p := constPoly(int64(math.Round(x / bestProd)))
	for _, k := range best {
		p = p.mul(atoms[k])
	}
	return p, true
}
