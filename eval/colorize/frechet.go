package colorize

import (
	"fmt"
	"math"
)

// MeanCov returns the mean and the sample covariance (divisor N−1, as
// numpy.cov and pytorch-fid use) of the rows of x. It needs two rows or
// more, all of the same length, with finite values.
func MeanCov(x [][]float64) (mu []float64, cov [][]float64, err error) {
	if len(x) < 2 {
		return nil, nil, fmt.Errorf("need at least 2 feature vectors, got %d", len(x))
	}
	d := len(x[0])
	if d == 0 {
		return nil, nil, fmt.Errorf("empty feature vectors")
	}
	mu = make([]float64, d)
	for i, row := range x {
		if len(row) != d {
			return nil, nil, fmt.Errorf("feature vector %d has %d values, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("feature vector %d: value %d is %v", i, j, v)
			}
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(len(x))
	}
	cov = make([][]float64, d)
	for i := range cov {
		cov[i] = make([]float64, d)
	}
	dev := make([]float64, d)
	for _, row := range x {
		for j, v := range row {
			dev[j] = v - mu[j]
		}
		for i := range d {
			for j := i; j < d; j++ {
				cov[i][j] += dev[i] * dev[j]
			}
		}
	}
	den := float64(len(x) - 1)
	for i := range d {
		for j := i; j < d; j++ {
			cov[i][j] /= den
			cov[j][i] = cov[i][j]
		}
	}
	return mu, cov, nil
}

// FrechetDistance is the Fréchet distance between Gaussians fitted to two
// sets of feature vectors (rows), the FID formula.
func FrechetDistance(a, b [][]float64) (float64, error) {
	mu1, s1, err := MeanCov(a)
	if err != nil {
		return 0, fmt.Errorf("first set: %w", err)
	}
	mu2, s2, err := MeanCov(b)
	if err != nil {
		return 0, fmt.Errorf("second set: %w", err)
	}
	return FrechetFromStats(mu1, s1, mu2, s2)
}

// FrechetFromStats is ||μ1−μ2||² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½). The trace of
// (Σ1Σ2)^½ is taken as Tr((Σ1^½ Σ2 Σ1^½)^½), the same value (the two are
// similar matrices) computed from symmetric eigendecompositions only, which
// stays real and stable where Σ1Σ2 is singular. Tiny negative results from
// rounding are returned as 0.
func FrechetFromStats(mu1 []float64, s1 [][]float64, mu2 []float64, s2 [][]float64) (float64, error) {
	d := len(mu1)
	if d == 0 || len(mu2) != d {
		return 0, fmt.Errorf("mean sizes %d and %d", len(mu1), len(mu2))
	}
	for name, s := range map[string][][]float64{"first": s1, "second": s2} {
		if err := checkCov(s, d); err != nil {
			return 0, fmt.Errorf("%s covariance: %w", name, err)
		}
	}
	dist := 0.0
	for i := range d {
		if math.IsNaN(mu1[i]) || math.IsInf(mu1[i], 0) || math.IsNaN(mu2[i]) || math.IsInf(mu2[i], 0) {
			return 0, fmt.Errorf("mean value %d is not finite", i)
		}
		dm := mu1[i] - mu2[i]
		dist += dm*dm + s1[i][i] + s2[i][i]
	}
	r1 := sqrtPSD(symmetrize(s1))
	m := symmetrize(matMul(matMul(r1, s2), r1))
	vals := symEigenvalues(m)
	trSqrt := 0.0
	for _, l := range vals {
		trSqrt += math.Sqrt(max(l, 0))
	}
	dist -= 2 * trSqrt
	return max(dist, 0), nil
}

func checkCov(s [][]float64, d int) error {
	if len(s) != d {
		return fmt.Errorf("%d rows, want %d", len(s), d)
	}
	for i, row := range s {
		if len(row) != d {
			return fmt.Errorf("row %d has %d values, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("value (%d,%d) is %v", i, j, v)
			}
		}
	}
	return nil
}

// symmetrize returns (a + aᵀ)/2, removing rounding asymmetry.
func symmetrize(a [][]float64) [][]float64 {
	n := len(a)
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, n)
		for j := range n {
			out[i][j] = (a[i][j] + a[j][i]) / 2
		}
	}
	return out
}
