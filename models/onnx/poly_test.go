package onnx

import (
	"math/big"
	"strings"
	"testing"
)

func testSyms() *symbols {
	s := &symbols{atoms: map[string]poly{}}
	for i, name := range []string{"batch", "past_len"} {
		s.syms = append(s.syms, symbol{name: name, sentinel: int64(DefaultSentinels[i])})
		s.vals = append(s.vals, int64(DefaultSentinels[i]))
		s.register(symPoly(i))
	}
	return s
}

func TestDefaultSentinelsArePrimesFarApart(t *testing.T) {
	for i, v := range DefaultSentinels {
		if !big.NewInt(int64(v)).ProbablyPrime(20) {
			t.Errorf("sentinel %d is not prime", v)
		}
		for _, w := range DefaultSentinels[i+1:] {
			if d := v - w; d < 500 && d > -500 {
				t.Errorf("sentinels %d and %d are closer than 500", v, w)
			}
		}
	}
}

func TestPolyNamesAndFactors(t *testing.T) {
	b, l := symPoly(0), symPoly(1)
	names := []string{"batch", "past_len"}
	tests := []struct {
		p         poly
		name      string
		coef      int64
		atomNames []string
	}{
		{b, "batch", 1, []string{"batch"}},
		{l.add(constPoly(1)), "past_len_plus_1", 1, []string{"past_len_plus_1"}},
		{b.mul(l).scale(8), "8_times_batch_times_past_len", 8, []string{"batch", "past_len"}},
		{b.mul(l.add(constPoly(1))).scale(8), "8_times_batch_times_past_len_plus_8_times_batch", 8, []string{"batch", "past_len_plus_1"}},
		{l.sub(constPoly(1)), "past_len_minus_1", 1, []string{"past_len_minus_1"}},
		{l.scale(2).add(constPoly(2)), "2_times_past_len_plus_2", 2, []string{"past_len_plus_1"}},
		{constPoly(64), "64", 64, nil},
	}
	for _, tc := range tests {
		if got := tc.p.name(names); got != tc.name {
			t.Errorf("name(%s) = %q, want %q", tc.p.key(), got, tc.name)
		}
		c, atoms := tc.p.factor()
		var an []string
		for _, a := range atoms {
			an = append(an, a.name(names))
		}
		if c != tc.coef || strings.Join(an, ",") != strings.Join(tc.atomNames, ",") {
			t.Errorf("factor(%s) = %d %v, want %d %v", tc.name, c, an, tc.coef, tc.atomNames)
		}
		// The factors multiply back to p.
		back := constPoly(c)
		for _, a := range atoms {
			back = back.mul(a)
		}
		if !back.equal(tc.p) {
			t.Errorf("factor(%s) multiplies back to %s", tc.name, back.name(names))
		}
	}
}

func TestResolve(t *testing.T) {
	s := testSyms()
	b, l := symPoly(0), symPoly(1)
	s.register(l.add(constPoly(1)))
	B, L := s.vals[0], s.vals[1]
	tests := []struct {
		n       int64
		hints   []poly
		want    string
		wantErr bool
	}{
		{64, nil, "64", false},
		{B, nil, "batch", false},
		{8 * B, nil, "8_times_batch", false},
		{B * L, nil, "batch_times_past_len", false},
		{2 * B * (L + 1), nil, "2_times_batch_times_past_len_plus_2_times_batch", false},
		{L - 1, []poly{l.sub(constPoly(1))}, "past_len_minus_1", false},
		{150528, nil, "150528", false},
	}
	for _, tc := range tests {
		p, err := s.resolve(tc.n, tc.hints)
		if tc.wantErr {
			if err == nil {
				t.Errorf("resolve(%d) = %s, want an error", tc.n, p.name(s.names()))
			}
			continue
		}
		if err != nil || p.name(s.names()) != tc.want {
			t.Errorf("resolve(%d) = %q, %v; want %q", tc.n, p.name(s.names()), err, tc.want)
		}
		if p.eval(s.vals) != tc.n {
			t.Errorf("resolve(%d) evaluates to %d", tc.n, p.eval(s.vals))
		}
	}
	_ = b
}

func TestMatchFloat(t *testing.T) {
	s := testSyms()
	B, L := float64(s.vals[0]), float64(s.vals[1])
	tests := []struct {
		x    float64
		want string // "" for no match
	}{
		{B, "batch"},
		{float64(float32(1 / (B * L))), ""}, // reciprocals are the caller's job
		{1 / float64(float32(1/(B*L))), "batch_times_past_len"},
		{2 * B * L, "2_times_batch_times_past_len"},
		{0.5, ""},
		{1e9, ""},
		{3.4028234663852886e38, ""},
		{12345, ""},
	}
	for _, tc := range tests {
		p, ok := s.matchFloat(tc.x)
		got := ""
		if ok {
			got = p.name(s.names())
		}
		if got != tc.want {
			t.Errorf("matchFloat(%g) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
