package plot

import (
	"math"
	"strconv"
)

// Ticks returns "nice" tick values for an axis showing [lo, hi]: the
// multiples of a step of 1, 2 or 5 times a power of ten, about target
// intervals (at most target+2 ticks), from the largest multiple ≤ lo to the
// smallest ≥ hi, so the first and last ticks are the axis range. lo and hi
// may come in either order; an empty range (lo == hi, or a width below
// 1e-9 of their magnitude) is padded by 10% of |lo| (±1 around 0). It
// returns nil when lo or hi is not finite or hi−lo overflows.
func Ticks(lo, hi float64, target int) []float64 {
	ax, ok := niceAxis(lo, hi, target)
	if !ok {
		return nil
	}
	out := make([]float64, 0, ax.k1-ax.k0+1)
	for k := ax.k0; k <= ax.k1; k++ {
		out = append(out, ax.value(k))
	}
	return out
}

// axis is a tick layout: ticks k·m·10^e for k in [k0, k1].
type axis struct {
	k0, k1 int64
	m      int64 // 1, 2 or 5
	e      int
}

func (a axis) lo() float64 { return a.value(a.k0) }
func (a axis) hi() float64 { return a.value(a.k1) }

// value is k·m·10^e, computed so that it is the float64 nearest the
// decimal (0.3, not 0.30000000000000004): an exact integer times or divided
// by an exact power of ten, rounded once.
func (a axis) value(k int64) float64 {
	n := float64(k * a.m)
	if a.e >= 0 {
		return n * math.Pow10(a.e)
	}
	if a.e < -22 { // 10^-e is no longer exact: two roundings
		return n * math.Pow10(a.e)
	}
	return n / math.Pow10(-a.e)
}

// label formats tick k with the decimals the step needs, the same for
// every tick of the axis ("0.0 0.5 1.0"); steps of 10^7 and more or 10^-7
// and less in exponent form ("2e+07").
func (a axis) label(k int64) string {
	v := a.value(k)
	if a.e >= 7 || a.e <= -7 {
		if v == 0 {
			return "0"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', max(0, -a.e), 64)
}

func niceAxis(lo, hi float64, target int) (axis, bool) {
	if !finite(lo) || !finite(hi) {
		return axis{}, false
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	lo, hi = pad(lo, hi)
	target = min(max(1, target), 1000)
	raw := hi/float64(target) - lo/float64(target)
	if !finite(raw) { // a range wider than float64 (±MaxFloat64 with target 1)
		return axis{}, false
	}
	e := int(math.Floor(math.Log10(raw)))
	f := raw / math.Pow10(e)
	// Log10 may be off by one ulp at exact powers of ten.
	if f < 1 {
		e--
		f *= 10
	} else if f >= 10 {
		e++
		f /= 10
	}
	const eps = 1e-9
	var m int64
	switch {
	case f <= 1+eps:
		m = 1
	case f <= 2+eps:
		m = 2
	case f <= 5+eps:
		m = 5
	default:
		m, e = 1, e+1
	}
	a := axis{m: m, e: e}
	step := a.value(1)
	a.k0 = int64(math.Floor(lo/step + eps))
	a.k1 = int64(math.Ceil(hi/step - eps))
	if a.k1 <= a.k0 {
		a.k1 = a.k0 + 1
	}
	if !finite(a.lo()) || !finite(a.hi()) { // a nice end beyond float64
		return axis{}, false
	}
	return a, true
}

// pad widens an empty (or numerically empty) range.
func pad(lo, hi float64) (float64, float64) {
	mag := max(math.Abs(lo), math.Abs(hi))
	if hi-lo > 1e-9*mag && hi-lo > 0 {
		return lo, hi
	}
	mid := lo/2 + hi/2
	if mid == 0 {
		return -1, 1
	}
	d := math.Abs(mid) / 10
	return mid - d, mid + d
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
