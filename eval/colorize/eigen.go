package colorize

import "math"

// symEigen diagonalises a symmetric matrix with the cyclic Jacobi method:
// a = V·diag(vals)·Vᵀ, V's columns the eigenvectors. a is not modified.
// Jacobi is slow for large n (O(n³) per sweep, ~10 sweeps) but accurate to
// working precision for symmetric positive semi-definite matrices, which is
// what covariances are; feature sizes here are small.
func symEigen(a [][]float64) (vals []float64, v [][]float64) {
	return jacobi(a, true)
}

// symEigenvalues is symEigen without the eigenvectors (a third cheaper).
func symEigenvalues(a [][]float64) []float64 {
	vals, _ := jacobi(a, false)
	return vals
}

func jacobi(a [][]float64, vectors bool) (vals []float64, v [][]float64) {
	n := len(a)
	m := make([][]float64, n)
	for i := range n {
		m[i] = append([]float64(nil), a[i]...)
	}
	if vectors {
		v = make([][]float64, n)
		for i := range n {
			v[i] = make([]float64, n)
			v[i][i] = 1
		}
	}
	for sweep := 0; sweep < 100; sweep++ {
		off, diag := 0.0, 0.0
		for i := range n {
			diag += m[i][i] * m[i][i]
			for j := i + 1; j < n; j++ {
				off += m[i][j] * m[i][j]
			}
		}
		if off == 0 || off <= 1e-32*diag {
			break
		}
		for p := 0; p < n-1; p++ {
			for q := p + 1; q < n; q++ {
				if m[p][q] != 0 {
					rotate(m, v, p, q)
				}
			}
		}
	}
	vals = make([]float64, n)
	for i := range n {
		vals[i] = m[i][i]
	}
	return vals, v
}

// rotate applies the Jacobi rotation that zeroes m[p][q] (and m[q][p]),
// accumulating it into v when v is not nil.
func rotate(m, v [][]float64, p, q int) {
	apq := m[p][q]
	theta := (m[q][q] - m[p][p]) / (2 * apq)
	var t float64 // tan of the rotation angle, the smaller root
	if math.Abs(theta) > 1e150 {
		t = 1 / (2 * theta)
	} else {
		t = 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
		if theta < 0 {
			t = -t
		}
	}
	c := 1 / math.Sqrt(t*t+1)
	s := t * c
	m[p][p] -= t * apq
	m[q][q] += t * apq
	m[p][q], m[q][p] = 0, 0
	for k := range m {
		if k == p || k == q {
			continue
		}
		akp, akq := m[k][p], m[k][q]
		m[k][p] = c*akp - s*akq
		m[k][q] = s*akp + c*akq
		m[p][k], m[q][k] = m[k][p], m[k][q]
	}
	for k := range v {
		vkp, vkq := v[k][p], v[k][q]
		v[k][p] = c*vkp - s*vkq
		v[k][q] = s*vkp + c*vkq
	}
}

// sqrtPSD is the symmetric square root of a positive semi-definite matrix;
// eigenvalues below 0 (rounding) count as 0.
func sqrtPSD(a [][]float64) [][]float64 {
	vals, v := symEigen(a)
	n := len(a)
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, n)
	}
	for k, l := range vals {
		r := math.Sqrt(max(l, 0))
		if r == 0 {
			continue
		}
		for i := range n {
			vi := v[i][k] * r
			for j := range n {
				out[i][j] += vi * v[j][k]
			}
		}
	}
	return out
}

// matMul multiplies square matrices.
func matMul(a, b [][]float64) [][]float64 {
	n := len(a)
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, n)
		for k, aik := range a[i] {
			if aik == 0 {
				continue
			}
			row := b[k]
			for j := range n {
				out[i][j] += aik * row[j]
			}
		}
	}
	return out
}
