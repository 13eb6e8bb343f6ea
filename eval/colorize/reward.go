package colorize

import (
	"fmt"
	"math"
)

// DefaultSimilarityWeight weighs the similarity term of the reward: one
// level of mean luminance error (on 0..255) costs one point of colourfulness.
const DefaultSimilarityWeight = 1.0

// Reward is the colorization reward of one output and its two terms.
type Reward struct {
	Colorfulness float64 // M3 of the output
	// Similarity is −mean|Y(output) − Y(input)| over the pixels, on 0..255,
	// with Y = 0.299R + 0.587G + 0.114B (ITU-R BT.601, PIL's "L" weights,
	// unrounded). 0 when the output keeps the input's luminance exactly.
	Similarity float64
	Total      float64 // Colorfulness + weight·Similarity
}

// ColorizationReward scores a colorization: colourfulness of the output plus
// weight × similarity of its luminance to the input's gray values. input is
// the gray model input (R = G = B) or any colour image whose luminance is the
// target. Colourfulness alone is easy to game with garish colours that break
// the picture; the luminance term keeps the output the input's picture.
// Weight 0 gives colourfulness alone.
func ColorizationReward(output, input *RGB, weight float64) (Reward, error) {
	if math.IsNaN(weight) || math.IsInf(weight, 0) || weight < 0 {
		return Reward{}, fmt.Errorf("similarity weight %v: want a finite value >= 0", weight)
	}
	if err := sameSize(output, input); err != nil {
		return Reward{}, err
	}
	r := Reward{Colorfulness: Colorfulness(output), Similarity: LuminanceSimilarity(output, input)}
	r.Total = r.Colorfulness + weight*r.Similarity
	return r, nil
}

// LuminanceSimilarity is −mean|Y(a) − Y(b)| on 0..255 (see Reward). The
// sum is exact: 1000·Y is an integer. Sizes must match (else NaN).
func LuminanceSimilarity(a, b *RGB) float64 {
	if sameSize(a, b) != nil {
		return math.NaN()
	}
	var sum int64
	for i := 0; i+2 < len(a.Pix); i += 3 {
		d := luma1000(a.Pix[i:i+3:i+3]) - luma1000(b.Pix[i:i+3:i+3])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	if sum == 0 {
		return 0
	}
	return -float64(sum) / (1000 * float64(len(a.Pix)/3))
}

// luma1000 is 1000·Y of one RGB pixel.
func luma1000(p []uint8) int64 {
	return 299*int64(p[0]) + 587*int64(p[1]) + 114*int64(p[2])
}
