package colorize

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func gaussianSet(rng *rand.Rand, n, d int, scale []float64) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.NormFloat64() * scale[j%len(scale)]
		}
	}
	return x
}

func TestSymEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 5, 17} {
		a := make([][]float64, n)
		for i := range a {
			a[i] = make([]float64, n)
		}
		for i := range n {
			for j := i; j < n; j++ {
				a[i][j] = rng.NormFloat64()
				a[j][i] = a[i][j]
			}
		}
		vals, v := symEigen(a)
		for i := range n {
			for j := range n {
				rec, dot := 0.0, 0.0
				for k := range n {
					rec += v[i][k] * vals[k] * v[j][k]
					dot += v[k][i] * v[k][j]
				}
				if math.Abs(rec-a[i][j]) > 1e-12 {
					t.Errorf("n=%d: V·Λ·Vᵀ[%d][%d] = %v, want %v", n, i, j, rec, a[i][j])
				}
				if want := b2f(i == j); math.Abs(dot-want) > 1e-12 {
					t.Errorf("n=%d: VᵀV[%d][%d] = %v", n, i, j, dot)
				}
			}
		}
	}
	// Known spectrum: [[2,1],[1,2]] has eigenvalues 1 and 3.
	vals, _ := symEigen([][]float64{{2, 1}, {1, 2}})
	lo, hi := min(vals[0], vals[1]), max(vals[0], vals[1])
	if math.Abs(lo-1) > 1e-15 || math.Abs(hi-3) > 1e-15 {
		t.Errorf("eigenvalues %v, want 1, 3", vals)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestFrechetDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := gaussianSet(rng, 200, 6, []float64{1, 2, 0.5})
	if d, err := FrechetDistance(a, a); err != nil || d > 1e-9 {
		t.Errorf("identical sets: %v, %v; want 0", d, err)
	}
	// A shifted copy has the same covariance: distance ||δ||².
	delta := []float64{1, -2, 0.5, 0, 3, 0.25}
	b := make([][]float64, len(a))
	want := 0.0
	for _, v := range delta {
		want += v * v
	}
	for i, row := range a {
		b[i] = make([]float64, len(row))
		for j, v := range row {
			b[i][j] = v + delta[j]
		}
	}
	if d, err := FrechetDistance(a, b); err != nil || math.Abs(d-want) > 1e-9 {
		t.Errorf("shifted sets: %v, %v; want %v", d, err, want)
	}
	// 1-D: (μ1−μ2)² + (σ1−σ2)² with sample variances.
	one := [][]float64{{1}, {3}}  // mean 2, variance 2
	two := [][]float64{{0}, {10}} // mean 5, variance 50
	if d, err := FrechetDistance(one, two); err != nil || math.Abs(d-(9+math.Pow(math.Sqrt(2)-math.Sqrt(50), 2))) > 1e-12 {
		t.Errorf("1-D: %v, %v", d, err)
	}
}

func TestFrechetFromStatsClosedForm(t *testing.T) {
	// Diagonal covariances: Σ(√a − √b)² + ||Δμ||².
	mu1, mu2 := []float64{0, 1, 2}, []float64{1, 1, 0}
	da, db := []float64{4, 1, 0}, []float64{1, 9, 2}
	want := 1.0 + 0 + 4
	s1, s2 := make([][]float64, 3), make([][]float64, 3)
	for i := range 3 {
		s1[i], s2[i] = make([]float64, 3), make([]float64, 3)
		s1[i][i], s2[i][i] = da[i], db[i]
		want += math.Pow(math.Sqrt(da[i])-math.Sqrt(db[i]), 2)
	}
	if d, err := FrechetFromStats(mu1, s1, mu2, s2); err != nil || math.Abs(d-want) > 1e-12 {
		t.Errorf("diagonal: %v, %v; want %v", d, err, want)
	}
	// The same in a rotated basis (commuting covariances R·D·Rᵀ): unchanged.
	c, s := math.Cos(0.7), math.Sin(0.7)
	r := [][]float64{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}
	rt := [][]float64{{c, s, 0}, {-s, c, 0}, {0, 0, 1}}
	rot := func(m [][]float64) [][]float64 { return matMul(matMul(r, m), rt) }
	if d, err := FrechetFromStats(mu1, rot(s1), mu2, rot(s2)); err != nil || math.Abs(d-want) > 1e-12 {
		t.Errorf("rotated: %v, %v; want %v", d, err, want)
	}
	// Non-commuting 2×2 case against Tr((Σ1Σ2)^½) from the 2×2 identity
	// Tr(√M) = sqrt(Tr M + 2·sqrt(det M)) for M with non-negative eigenvalues.
	p := [][]float64{{2, 1}, {1, 2}}
	q := [][]float64{{3, 0}, {0, 1}}
	pq := matMul(p, q)
	tr := math.Sqrt(pq[0][0] + pq[1][1] + 2*math.Sqrt(pq[0][0]*pq[1][1]-pq[0][1]*pq[1][0]))
	want2 := 4 + 4 - 2*tr
	if d, err := FrechetFromStats([]float64{0, 0}, p, []float64{0, 0}, q); err != nil || math.Abs(d-want2) > 1e-12 {
		t.Errorf("non-commuting: %v, %v; want %v", d, err, want2)
	}
}

func TestFrechetErrors(t *testing.T) {
	ok := [][]float64{{1, 2}, {3, 4}, {0, 1}}
	tests := []struct {
		name string
		a, b [][]float64
		want string
	}{
		{"one sample", [][]float64{{1, 2}}, ok, "first set: need at least 2 feature vectors, got 1"},
		{"ragged", ok, [][]float64{{1, 2}, {3}}, "second set: feature vector 1 has 1 values, want 2"},
		{"NaN", [][]float64{{1, math.NaN()}, {1, 2}}, ok, "feature vector 0: value 1 is NaN"},
		{"Inf", ok, [][]float64{{1, 2}, {math.Inf(1), 2}}, "value 0 is +Inf"},
		{"dims differ", ok, [][]float64{{1, 2, 3}, {1, 2, 4}}, "mean sizes 2 and 3"},
		{"empty vectors", [][]float64{{}, {}}, ok, "empty feature vectors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FrechetDistance(tc.a, tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := FrechetFromStats([]float64{0}, [][]float64{{1, 0}}, []float64{0}, [][]float64{{1}}); err == nil {
		t.Error("non-square covariance accepted")
	}
	if _, err := FrechetFromStats([]float64{math.NaN()}, [][]float64{{1}}, []float64{0}, [][]float64{{1}}); err == nil {
		t.Error("NaN mean accepted")
	}
}
