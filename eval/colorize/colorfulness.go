package colorize

import (
	"math"
	"math/big"
)

// Components are the statistics entering M3, over all pixels:
// rg = R − G, yb = (R + G)/2 − B, population standard deviations.
type Components struct {
	StdRG, StdYB, MeanRG, MeanYB float64
	// M3 = sqrt(StdRG² + StdYB²) + 0.3·sqrt(MeanRG² + MeanYB²).
	M3 float64
}

// Colorfulness is Hasler & Süsstrunk's M3 of m (0 for gray images; ~33
// "moderately", ~59 "quite", ~109 "extremely colourful").
func Colorfulness(m *RGB) float64 { return ColorfulnessComponents(m).M3 }

// ColorfulnessComponents computes M3 and its parts. Sums are exact integers
// and the variances exact rationals rounded once to float64, so only the
// final square roots round: the result equals the fixture's exact value.
// A malformed or empty image gives zeros.
func ColorfulnessComponents(m *RGB) Components {
	if m.check() != nil {
		return Components{}
	}
	// d = R + G − 2B = 2·yb keeps everything integral.
	var sRG, sRG2, sD, sD2 int64
	pix := m.Pix
	for i := 0; i+2 < len(pix); i += 3 {
		r, g, b := int64(pix[i]), int64(pix[i+1]), int64(pix[i+2])
		rg, d := r-g, r+g-2*b
		sRG += rg
		sRG2 += rg * rg
		sD += d
		sD2 += d * d
	}
	n := int64(m.Width) * int64(m.Height)
	// var(rg) = (n·ΣRG² − (ΣRG)²)/n², var(yb) = (n·ΣD² − (ΣD)²)/(4n²).
	varRG := ratio(sub(mul(n, sRG2), mul(sRG, sRG)), mul(n, n))
	varYB := ratio(sub(mul(n, sD2), mul(sD, sD)), mul(4*n, n))
	varSum := ratio(new(big.Int).Add(
		new(big.Int).Mul(big.NewInt(4), sub(mul(n, sRG2), mul(sRG, sRG))),
		sub(mul(n, sD2), mul(sD, sD))), mul(4*n, n))
	meanSq := ratio(new(big.Int).Add(
		new(big.Int).Mul(big.NewInt(4), mul(sRG, sRG)), mul(sD, sD)), mul(4*n, n))
	return Components{
		StdRG:  math.Sqrt(varRG),
		StdYB:  math.Sqrt(varYB),
		MeanRG: float64(sRG) / float64(n),
		MeanYB: float64(sD) / float64(2*n),
		M3:     math.Sqrt(varSum) + 0.3*math.Sqrt(meanSq),
	}
}

func mul(a, b int64) *big.Int { return new(big.Int).Mul(big.NewInt(a), big.NewInt(b)) }

func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

// ratio is num/den correctly rounded to float64.
func ratio(num, den *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}
