package seq

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/nn"
)

// runSample runs Sample on logits [n, vocab] with the given mask ([vocab]
// or nil), noise and temperature; it returns tokens and log-probabilities.
func runSample(t *testing.T, logits [][]float32, mask []float32, noise [][]float32, temperature float32) ([]int32, []float32) {
	t.Helper()
	n, vocab := len(logits), len(logits[0])
	flat := func(rows [][]float32) *tensors.Tensor {
		data := make([]float32, 0, n*vocab)
		for _, r := range rows {
			data = append(data, r...)
		}
		return tensors.FromFlatDataAndDimensions(data, n, vocab)
	}
	maskT := tensors.FromFlatDataAndDimensions(make([]float32, vocab), 1, vocab)
	if mask != nil {
		maskT = tensors.FromFlatDataAndDimensions(mask, 1, vocab)
	}
	var noiseT *tensors.Tensor
	if noise != nil {
		noiseT = flat(noise)
	} else {
		noiseT = tensors.FromShape(flat(logits).Shape())
	}
	e := graph.MustNewExec(testBackend(t), func(l, m, u, temp *graph.Node) []*graph.Node {
		tok, lp := Sample(l, m, u, temp)
		return []*graph.Node{tok, lp}
	})
	defer e.Finalize()
	out, err := e.Exec(flat(logits), maskT, noiseT, tensors.FromScalar(temperature))
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[int32](out[0]), tensors.MustCopyFlatData[float32](out[1])
}

func softmax(logits []float32, temperature float64, mask []float32) []float64 {
	p := make([]float64, len(logits))
	m := math.Inf(-1)
	for i, l := range logits {
		p[i] = float64(l) / temperature
		if mask != nil {
			p[i] += float64(mask[i])
		}
		m = max(m, p[i])
	}
	sum := 0.0
	for i := range p {
		p[i] = math.Exp(p[i] - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// TestSampleFrequencies draws n samples by Gumbel-max from one fixed
// distribution and checks the empirical frequencies against the softmax:
// Pearson's χ² below the 0.1% critical value for vocab−1 degrees of
// freedom, and every frequency within 5 standard errors √(p(1−p)/n).
// The noise is seeded, so the test is deterministic.
func TestSampleFrequencies(t *testing.T) {
	base := []float32{1.0, 0.5, -0.3, 2.0, 0.0, -1.0}
	chi2Crit := map[int]float64{3: 16.27, 5: 20.52} // χ² 0.999 quantiles by degrees of freedom
	tests := []struct {
		temperature float64
		mask        []float32
	}{
		{temperature: 1},
		{temperature: 2},
		{temperature: 0.7, mask: []float32{0, nn.MaskValue, 0, 0, nn.MaskValue, 0}},
	}
	const n = 40000
	for _, tc := range tests {
		t.Run(fmt.Sprintf("T=%g,masked=%v", tc.temperature, tc.mask != nil), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, uint64(tc.temperature*10)))
			logits := make([][]float32, n)
			noise := make([][]float32, n)
			for i := range logits {
				logits[i] = base
				noise[i] = make([]float32, len(base))
				for j := range noise[i] {
					noise[i][j] = float32(rng.Float64())
				}
			}
			tokens, logps := runSample(t, logits, tc.mask, noise, float32(tc.temperature))
			p := softmax(base, tc.temperature, tc.mask)
			counts := make([]float64, len(base))
			for i, tok := range tokens {
				counts[tok]++
				if d := math.Abs(float64(logps[i]) - math.Log(p[tok])); d > 1e-5 {
					t.Fatalf("sample %d: log-prob %g, want %g", i, logps[i], math.Log(p[tok]))
				}
			}
			chi2, dof := 0.0, -1
			for k := range p {
				freq := counts[k] / n
				if p[k] < 1e-12 {
					if counts[k] != 0 {
						t.Fatalf("masked token %d drawn %g times", k, counts[k])
					}
					continue
				}
				dof++
				chi2 += (counts[k] - n*p[k]) * (counts[k] - n*p[k]) / (n * p[k])
				if se := math.Sqrt(p[k] * (1 - p[k]) / n); math.Abs(freq-p[k]) > 5*se {
					t.Errorf("token %d: frequency %.4f, softmax %.4f (5 s.e. = %.4f)", k, freq, p[k], 5*se)
				}
			}
			if chi2 > chi2Crit[dof] {
				t.Errorf("χ² = %.2f > %.2f (%d dof): frequencies %v, want %v", chi2, chi2Crit[dof], dof, counts, p)
			}
			t.Logf("χ² = %.2f (%d dof, critical %.2f)", chi2, dof, chi2Crit[dof])
		})
	}
}

// TestSampleGreedy: temperature 0 (or no noise) is the argmax, with the
// log-probability at temperature 1.
func TestSampleGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, vocab = 50, 9
	logits := make([][]float32, n)
	noise := make([][]float32, n)
	for i := range logits {
		logits[i] = make([]float32, vocab)
		noise[i] = make([]float32, vocab)
		for j := range logits[i] {
			logits[i][j] = float32(rng.NormFloat64() * 3)
			noise[i][j] = float32(rng.Float64())
		}
	}
	for _, withNoise := range []bool{false, true} {
		var u [][]float32
		if withNoise {
			u = noise // ignored at temperature 0
		}
		tokens, logps := runSample(t, logits, nil, u, 0)
		for i, row := range logits {
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			if int(tokens[i]) != best {
				t.Fatalf("row %d: greedy token %d, argmax %d", i, tokens[i], best)
			}
			if want := math.Log(softmax(row, 1, nil)[best]); math.Abs(float64(logps[i])-want) > 1e-5 {
				t.Fatalf("row %d: log-prob %g, want %g", i, logps[i], want)
			}
		}
	}
}
