package nn

import (
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ParamStockGradients is the context parameter (bool, default false) that
// switches layers to graph.DotGeneral with GoMLX's own, slow, gradient.
const ParamStockGradients = "nn_stock_gradients"

// Dot is DotGeneral, or graph.DotGeneral when ctx has ParamStockGradients
// set: the switch every layer uses for its matrix products.
func Dot(ctx *context.Context, lhs *Node, lhsContracting, lhsBatch []int, rhs *Node, rhsContracting, rhsBatch []int) *Node {
	if context.GetParamOr(ctx, ParamStockGradients, false) {
		return graph.DotGeneral(lhs, lhsContracting, lhsBatch, rhs, rhsContracting, rhsBatch)
	}
	return DotGeneral(lhs, lhsContracting, lhsBatch, rhs, rhsContracting, rhsBatch)
}

// DotGeneral is graph.DotGeneral (same arguments and output layout:
// batch axes, then lhs free axes, then rhs free axes) with a gradient made
// of two DotGenerals plus a transpose each, instead of GoMLX's broadcast
// multiply-and-reduce.
//
// How: the inputs pass through IdentityWithCustomGradient nodes, and so does
// the output. Reverse autodiff visits nodes in decreasing creation order, so
// the output's gradient function runs first and records the adjoint v; the
// input identities' gradient functions then return v·rhsᵀ and lhsᵀ·v and
// ignore the stock gradient that reached them. That stock gradient is never
// consumed, so simplego (which only runs nodes an output depends on) never
// computes it.
func DotGeneral(lhs *Node, lhsContracting, lhsBatch []int, rhs *Node, rhsContracting, rhsBatch []int) *Node {
	lc, lb := normAxes(lhs.Rank(), lhsContracting), normAxes(lhs.Rank(), lhsBatch)
	rc, rb := normAxes(rhs.Rank(), rhsContracting), normAxes(rhs.Rank(), rhsBatch)
	st := &dotState{lhs: lhs, rhs: rhs, lc: lc, lb: lb, rc: rc, rb: rb}
	lhsID := graph.IdentityWithCustomGradient(lhs, func(_, _ *Node) *Node { return st.gradLHS() })
	rhsID := graph.IdentityWithCustomGradient(rhs, func(_, _ *Node) *Node { return st.gradRHS() })
	out := graph.DotGeneral(lhsID, lc, lb, rhsID, rc, rb)
	return graph.IdentityWithCustomGradient(out, func(_, v *Node) *Node {
		st.v = v
		return v
	})
}

// MatMul multiplies matrices stored in the last two axes, with equal leading
// (batch) axes: [..., M, K] × [..., K, N] → [..., M, N].
func MatMul(ctx *context.Context, a, b *Node) *Node {
	r := a.Rank()
	batch := make([]int, r-2)
	for i := range batch {
		batch[i] = i
	}
	return Dot(ctx, a, []int{r - 1}, batch, b, []int{r - 2}, batch)
}

// dotState carries the adjoint of one DotGeneral's output to the gradient
// functions of its inputs.
type dotState struct {
	lhs, rhs       *Node
	lc, lb, rc, rb []int
	v              *Node // adjoint of the output, set during Gradient
}

// gradLHS returns dL/dlhs = v contracted with rhs over rhs's free axes.
func (s *dotState) gradLHS() *Node {
	if s.v == nil {
		return nil // no gradient reached the output
	}
	return dotInputGrad(s.v, s.rhs, s.lhs.Rank(), s.lc, s.lb, s.rc, s.rb, true)
}

// gradRHS returns dL/drhs = v contracted with lhs over lhs's free axes.
func (s *dotState) gradRHS() *Node {
	if s.v == nil {
		return nil
	}
	return dotInputGrad(s.v, s.lhs, s.rhs.Rank(), s.rc, s.rb, s.lc, s.lb, false)
}

// dotInputGrad computes the gradient for one operand ("this", of rank
// thisRank, with contracting/batch axes tc/tb) from the adjoint v of the
// output and the other operand (with oc/ob). thisIsLHS says which side of
// the output's free axes belongs to "this".
func dotInputGrad(v, other *Node, thisRank int, tc, tb, oc, ob []int, thisIsLHS bool) *Node {
	nb := len(tb)
	thisFree := freeAxes(thisRank, tc, tb)
	otherFree := freeAxes(other.Rank(), oc, ob)
	// Positions of the other operand's free axes in the output (and in v).
	var vOther []int
	if thisIsLHS {
		vOther = iotaFrom(nb+len(thisFree), len(otherFree))
	} else {
		vOther = iotaFrom(nb, len(otherFree))
	}
	vBatch := iotaFrom(0, nb)
	// grad = DotGeneral(v, other) contracting other's free axes. Its layout:
	// [batch..., this's free axes..., other's contracting axes in increasing
	// order] — each of the latter pairs with one of this's contracting axes.
	g := graph.DotGeneral(v, vOther, vBatch, other, otherFree, ob)
	src := make([]int, 0, thisRank) // src[i]: the axis of "this" that g's axis i is
	src = append(src, tb...)
	src = append(src, thisFree...)
	sortedOC := slices.Clone(oc)
	slices.Sort(sortedOC)
	for _, a := range sortedOC {
		src = append(src, tc[slices.Index(oc, a)])
	}
	perm := make([]int, thisRank)
	identity := true
	for i, a := range src {
		perm[a] = i
	}
	for i, p := range perm {
		if i != p {
			identity = false
		}
	}
	if identity {
		return g
	}
	return graph.TransposeAllAxes(g, perm...)
}

// freeAxes lists, in increasing order, the axes that are neither
// contracting nor batch.
func freeAxes(rank int, contracting, batch []int) []int {
	var free []int
	for a := range rank {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			free = append(free, a)
		}
	}
	return free
}

func iotaFrom(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

// normAxes turns negative axes into positive ones (a copy).
func normAxes(rank int, axes []int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		out[i] = a
	}
	return out
}
