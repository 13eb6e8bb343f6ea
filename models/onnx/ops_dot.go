package onnx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"rewardvision/models/onnx/onnxpb"
)

// dotAxes are the normalised axes of a DotGeneral.
type dotAxes struct {
	lc, lb, rc, rb []int
	lf, rf         []int // free axes, in order
}

func freeAxes(rank int, used ...[]int) []int {
	var out []int
	for k := 0; k < rank; k++ {
		in := false
		for _, u := range used {
			in = in || slices.Contains(u, k)
		}
		if !in {
			out = append(out, k)
		}
	}
	return out
}

// dotShape checks a DotGeneral and returns its output shape and dims: batch
// axes, then lhs free axes, then rhs free axes.
func (b *Builder) dotShape(l, r *value, ax *dotAxes) (shapes.Shape, []poly, error) {
	check := func(name string, axes []int, rank int) error {
		seen := map[int]bool{}
		for _, a := range axes {
			if a < 0 || a >= rank || seen[a] {
				return fmt.Errorf("DotGeneral: bad %s axes %v for rank %d", name, axes, rank)
			}
			seen[a] = true
		}
		return nil
	}
	if len(ax.lc) != len(ax.rc) || len(ax.lb) != len(ax.rb) {
		return shapes.Shape{}, nil, fmt.Errorf("DotGeneral: contracting %v/%v or batch %v/%v axes differ in count", ax.lc, ax.rc, ax.lb, ax.rb)
	}
	for _, c := range []struct {
		name string
		axes []int
		rank int
	}{{"lhs contracting", ax.lc, l.shape.Rank()}, {"lhs batch", ax.lb, l.shape.Rank()},
		{"rhs contracting", ax.rc, r.shape.Rank()}, {"rhs batch", ax.rb, r.shape.Rank()}} {
		if err := check(c.name, c.axes, c.rank); err != nil {
			return shapes.Shape{}, nil, err
		}
	}
	if l.shape.DType != r.shape.DType {
		return shapes.Shape{}, nil, fmt.Errorf("DotGeneral: dtypes %s and %s differ", l.shape.DType, r.shape.DType)
	}
	for i := range ax.lc {
		if l.shape.Dimensions[ax.lc[i]] != r.shape.Dimensions[ax.rc[i]] {
			return shapes.Shape{}, nil, fmt.Errorf("DotGeneral: contracting sizes differ: %s vs %s", l.shape, r.shape)
		}
	}
	for i := range ax.lb {
		if l.shape.Dimensions[ax.lb[i]] != r.shape.Dimensions[ax.rb[i]] {
			return shapes.Shape{}, nil, fmt.Errorf("DotGeneral: batch sizes differ: %s vs %s", l.shape, r.shape)
		}
	}
	ax.lf = freeAxes(l.shape.Rank(), ax.lc, ax.lb)
	ax.rf = freeAxes(r.shape.Rank(), ax.rc, ax.rb)
	var sizes []int
	var dims []poly
	for _, a := range ax.lb {
		sizes, dims = append(sizes, l.shape.Dimensions[a]), append(dims, l.dims[a])
	}
	for _, a := range ax.lf {
		sizes, dims = append(sizes, l.shape.Dimensions[a]), append(dims, l.dims[a])
	}
	for _, a := range ax.rf {
		sizes, dims = append(sizes, r.shape.Dimensions[a]), append(dims, r.dims[a])
	}
	return shapes.Make(l.shape.DType, sizes...), dims, nil
}

// DotGeneral implements backends.Builder, as MatMul (default) or Einsum.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op, rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	vs, err := b.vals(lhs, rhs)
	if err != nil {
		return nil, err
	}
	ax := &dotAxes{lc: lhsContractingAxes, lb: lhsBatchAxes, rc: rhsContractingAxes, rb: rhsBatchAxes}
	shape, dims, err := b.dotShape(vs[0], vs[1], ax)
	if err != nil {
		return nil, err
	}
	if b.spec.Dot == DotEinsum {
		return b.dotEinsum(vs[0], vs[1], ax, shape, dims), nil
	}
	return b.dotMatMul(vs[0], vs[1], ax, shape, dims), nil
}

// dotEinsum writes one Einsum node.
func (b *Builder) dotEinsum(l, r *value, ax *dotAxes, shape shapes.Shape, dims []poly) *value {
	letter := 'a'
	next := func() byte { c := byte(letter); letter++; return c }
	ll := make([]byte, l.shape.Rank())
	rl := make([]byte, r.shape.Rank())
	var out []byte
	for i := range ax.lb {
		c := next()
		ll[ax.lb[i]], rl[ax.rb[i]] = c, c
		out = append(out, c)
	}
	for i := range ax.lc {
		c := next()
		ll[ax.lc[i]], rl[ax.rc[i]] = c, c
	}
	for _, a := range ax.lf {
		c := next()
		ll[a] = c
		out = append(out, c)
	}
	for _, a := range ax.rf {
		c := next()
		rl[a] = c
		out = append(out, c)
	}
	eq := strings.Join([]string{string(ll), string(rl)}, ",") + "->" + string(out)
	name := b.emit("Einsum", []string{l.name, r.name}, onnxpb.AttrStringValue("equation", eq))
	return b.newValue(name, shape, dims)
}

// dotMatMul writes DotGeneral as MatMul: lhs to [batch…, free…, K] and rhs
// to [batch…, K, N] (transposes only when the axes are out of order,
// reshapes only when several axes contract or rhs has several free axes);
// extra lhs free axes ride on MatMul's broadcasting through size-1 axes
// unsqueezed into rhs, so [B,T,D]·[D,F] is a single MatMul and attention
// scores a Transpose + MatMul.
func (b *Builder) dotMatMul(l, r *value, ax *dotAxes, shape shapes.Shape, dims []poly) *value {
	dt := l.shape.DType
	nb := len(ax.lb)
	// lhs: [lb…, lf…, lc…]
	lp := append(append(slices.Clone(ax.lb), ax.lf...), ax.lc...)
	lv := b.transpose(l, permShape(l.shape, lp), lp)
	// rhs: [rb…, rc…, rf…]
	rp := append(append(slices.Clone(ax.rb), ax.rc...), ax.rf...)
	rv := b.transpose(r, permShape(r.shape, rp), rp)

	prod := func(v *value, from, to int) (int, poly) {
		n, p := 1, constPoly(1)
		for k := from; k < to; k++ {
			n *= v.shape.Dimensions[k]
			p = p.mul(v.dims[k])
		}
		return n, p
	}
	merge := func(v *value, from, to int) *value {
		// Merge axes [from, to) of v into one.
		if to-from == 1 {
			return v
		}
		n, p := prod(v, from, to)
		sizes := append(append(slices.Clone(v.shape.Dimensions[:from]), n), v.shape.Dimensions[to:]...)
		ds := append(append(slices.Clone(v.dims[:from]), p), v.dims[to:]...)
		return b.reshapeTo(v, shapes.Make(dt, sizes...), ds)
	}
	nlf, nrf, nc := len(ax.lf), len(ax.rf), len(ax.lc)
	// Contracting axes → one K (K = 1 when none).
	lv = merge(lv, nb+nlf, nb+nlf+nc)
	rv = merge(rv, nb, nb+nc)
	// rhs free axes → one N.
	rv = merge(rv, nb+1, nb+1+nrf)
	// lhs free axes: none → M = 1; several → broadcast through rhs.
	if nlf == 0 {
		lv = merge(lv, nb, nb) // inserts M = 1
	}
	if nlf > 1 && nb > 0 {
		ones := make([]int64, nlf-1)
		sizes := slices.Clone(rv.shape.Dimensions)
		ds := slices.Clone(rv.dims)
		for i := range ones {
			ones[i] = int64(nb + i)
			sizes = slices.Insert(sizes, nb, 1)
			ds = slices.Insert(ds, nb, constPoly(1))
		}
		rv = b.newValue(b.emit("Unsqueeze", []string{rv.name, b.vecI64(ones...)}), shapes.Make(dt, sizes...), ds)
	}
	mm := b.emit("MatMul", []string{lv.name, rv.name})
	// MatMul output: [batch…, lf… (or 1), N]; restore [batch…, lf…, rf…].
	var mmSizes []int
	var mmDims []poly
	mmSizes = append(mmSizes, lv.shape.Dimensions[:len(lv.shape.Dimensions)-1]...)
	mmDims = append(mmDims, lv.dims[:len(lv.dims)-1]...)
	mmSizes = append(mmSizes, rv.shape.Dimensions[len(rv.shape.Dimensions)-1])
	mmDims = append(mmDims, rv.dims[len(rv.dims)-1])
	out := b.newValue(mm, shapes.Make(dt, mmSizes...), mmDims)
	return b.reshapeTo(out, shape, dims)
}

func permShape(s shapes.Shape, perm []int) shapes.Shape {
	sizes := make([]int, len(perm))
	for i, p := range perm {
		sizes[i] = s.Dimensions[p]
	}
	return shapes.Make(s.DType, sizes...)
}

// Dot implements backends.Builder: ONNX MatMul has the same semantics for
// ranks 1 and 2.
func (b *Builder) Dot(lhs, rhs backends.Op) (backends.Op, error) {
	vs, err := b.vals(lhs, rhs)
	if err != nil {
		return nil, err
	}
	l, r := vs[0], vs[1]
	if l.shape.Rank() < 1 || l.shape.Rank() > 2 || r.shape.Rank() < 1 || r.shape.Rank() > 2 {
		return nil, &UnsupportedOpError{Op: "Dot", Reason: fmt.Sprintf("ranks %d and %d", l.shape.Rank(), r.shape.Rank()), Where: callerOutside()}
	}
	ax := &dotAxes{lc: []int{l.shape.Rank() - 1}, rc: []int{0}}
	shape, dims, err := b.dotShape(l, r, ax)
	if err != nil {
		return nil, err
	}
	return b.newValue(b.emit("MatMul", []string{l.name, r.name}), shape, dims), nil
}
