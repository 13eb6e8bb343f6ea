package onnx

import (
	"slices"
	"strconv"
	"strings"
)

// poly is a dimension as a polynomial with integer coefficients over the
// dynamic symbols (batch, past_len, ...): e.g. 8·batch, past_len+1,
// batch·seq. Terms are kept sorted by their symbol lists, with no zero
// coefficients, so equal polynomials have equal keys.
type poly []term

// term is coef × Π syms (symbol indices, sorted, repeats allowed).
type term struct {
	coef int64
	syms []int
}

func constPoly(c int64) poly {
	if c == 0 {
		return nil
	}
	return poly{{coef: c}}
}

func symPoly(s int) poly { return poly{{coef: 1, syms: []int{s}}} }

func symsKey(s []int) string {
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(v))
	}
	return b.String()
}

func cmpSyms(a, b []int) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return slices.Compare(a, b)
}

// normalize merges equal monomials, drops zeros and sorts.
func (p poly) normalize() poly {
	out := make(poly, 0, len(p))
	for _, t := range p {
		t.syms = slices.Clone(t.syms)
		slices.Sort(t.syms)
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b term) int { return cmpSyms(a.syms, b.syms) })
	merged := out[:0]
	for _, t := range out {
		if n := len(merged); n > 0 && cmpSyms(merged[n-1].syms, t.syms) == 0 {
			merged[n-1].coef += t.coef
			continue
		}
		merged = append(merged, t)
	}
	res := merged[:0]
	for _, t := range merged {
		if t.coef != 0 {
			res = append(res, t)
		}
	}
	if len(res) == 0 {
		return nil
	}
	return res
}

func (p poly) add(q poly) poly { return append(slices.Clone(p), q...).normalize() }

func (p poly) scale(k int64) poly {
	out := make(poly, len(p))
	for i, t := range p {
		out[i] = term{coef: t.coef * k, syms: t.syms}
	}
	return out.normalize()
}

func (p poly) sub(q poly) poly { return p.add(q.scale(-1)) }

func (p poly) mul(q poly) poly {
	var out poly
	for _, a := range p {
		for _, b := range q {
			out = append(out, term{coef: a.coef * b.coef, syms: append(slices.Clone(a.syms), b.syms...)})
		}
	}
	return out.normalize()
}

// constant reports whether p has no symbols, and its value.
func (p poly) constant() (int64, bool) {
	switch len(p) {
	case 0:
		return 0, true
	case 1:
		if len(p[0].syms) == 0 {
			return p[0].coef, true
		}
	}
	return 0, false
}

func (p poly) eval(vals []int64) int64 {
	var s int64
	for _, t := range p {
		v := t.coef
		for _, x := range t.syms {
			v *= vals[x]
		}
		s += v
	}
	return s
}

func (p poly) equal(q poly) bool { return p.key() == q.key() }

// key is a canonical text form, used for caches and equality.
func (p poly) key() string {
	var b strings.Builder
	for i, t := range p {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.FormatInt(t.coef, 10))
		if len(t.syms) > 0 {
			b.WriteByte('*')
			b.WriteString(symsKey(t.syms))
		}
	}
	return b.String()
}

// name renders p with symbol names for ONNX dim_param, e.g. "past_len_plus_1",
// "batch_times_seq", "2_times_batch_minus_1".
func (p poly) name(symNames []string) string {
	// Highest degree first: "past_len_plus_1", not "1_plus_past_len".
	ordered := slices.Clone(p)
	slices.SortStableFunc(ordered, func(a, b term) int { return len(b.syms) - len(a.syms) })
	var b strings.Builder
	for i, t := range ordered {
		coef := t.coef
		switch {
		case i > 0 && coef < 0:
			b.WriteString("_minus_")
			coef = -coef
		case i > 0:
			b.WriteString("_plus_")
		case coef < 0:
			b.WriteString("minus_")
			coef = -coef
		}
		var parts []string
		if coef != 1 || len(t.syms) == 0 {
			parts = append(parts, strconv.FormatInt(coef, 10))
		}
		for _, s := range t.syms {
			parts = append(parts, symNames[s])
		}
		b.WriteString(strings.Join(parts, "_times_"))
	}
	return b.String()
}

// factor splits p into an integer coefficient and "atoms": single symbols
// and primitive multi-term polynomials (e.g. 8·batch·(past_len+1) gives 8
// and [batch, past_len+1]). Reshape targets are matched against atoms.
func (p poly) factor() (int64, []poly) {
	if c, ok := p.constant(); ok {
		return c, nil
	}
	// Symbols common to every term.
	common := slices.Clone(p[0].syms)
	for _, t := range p[1:] {
		common = intersectSorted(common, t.syms)
	}
	rest := make(poly, len(p))
	var g int64
	for i, t := range p {
		rest[i] = term{coef: t.coef, syms: removeSorted(t.syms, common)}
		g = gcd(g, abs64(t.coef))
	}
	if rest[len(rest)-1].coef < 0 {
		g = -g
	}
	var atoms []poly
	for _, s := range common {
		atoms = append(atoms, symPoly(s))
	}
	for i := range rest {
		rest[i].coef /= g
	}
	rest = rest.normalize()
	if _, ok := rest.constant(); !ok {
		if len(rest) == 1 {
			// A single monomial left: its symbols are atoms of their own.
			for _, s := range rest[0].syms {
				atoms = append(atoms, symPoly(s))
			}
			g *= rest[0].coef
		} else {
			atoms = append(atoms, rest)
		}
	} else if c, _ := rest.constant(); c != 0 {
		g *= c
	}
	return g, atoms
}

func intersectSorted(a, b []int) []int {
	var out []int
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return out
}

// removeSorted removes the multiset rm from a (both sorted).
func removeSorted(a, rm []int) []int {
	var out []int
	j := 0
	for _, v := range a {
		if j < len(rm) && rm[j] == v {
			j++
			continue
		}
		out = append(out, v)
	}
	return out
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}
