package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/models/seq"
)

// Position initialisations of the encoder's learned patch positions.
const (
	PosInitSinCos = "sincos" // 2-D sine-cosine table (as MAE), then learned
	PosInitRandom = "random" // models/nn's default: normal, stddev 0.02
)

// initPositions sets the encoder's position table (scope
// /encoder/position, variable "embeddings", as nn.AddPositionEmbedding
// names it) to a 2-D sine-cosine table before the first step. Why: with
// the default 0.02 normal initialisation the positions are ~25× weaker than
// the patch embeddings, and the model spent its first hundreds of steps as
// a bag of patches (colours and counts learned, locations and shapes not:
// detection AP stayed 0). The table stays trainable. A resumed run's
// checkpoint overwrites it.
func initPositions(m *seq.Model, mode string) error {
	switch mode {
	case PosInitRandom, "":
		return nil
	case PosInitSinCos:
	default:
		return fmt.Errorf("position init %q: want %s or %s", mode, PosInitSinCos, PosInitRandom)
	}
	cfg := m.Cfg
	side := cfg.ImageSize / cfg.PatchSize
	table := SinCos2D(side, cfg.Width)
	ctx := m.Context().Checked(false).In("encoder").In("position")
	if v := ctx.GetVariable("embeddings"); v != nil {
		return v.SetValue(tensors.FromFlatDataAndDimensions(table, side*side, cfg.Width))
	}
	ctx.VariableWithValue("embeddings", tensors.FromFlatDataAndDimensions(table, side*side, cfg.Width))
	return nil
}

// SinCos2D is the [side·side, width] row-major table of a side×side patch
// grid (patches row-major, as seq.Patchify orders them): the first half
// of the width encodes the row, the second the column, each as sines then
// cosines of the position at width/4 geometric frequencies. A width not
// divisible by 4 leaves the last columns zero.
func SinCos2D(side, width int) []float32 {
	out := make([]float32, side*side*width)
	q := width / 4
	for r := range side {
		for c := range side {
			row := out[(r*side+c)*width:]
			for k := range q {
				omega := 1 / math.Pow(10000, float64(k)/float64(max(1, q)))
				row[k] = float32(math.Sin(float64(r) * omega))
				row[q+k] = float32(math.Cos(float64(r) * omega))
				row[2*q+k] = float32(math.Sin(float64(c) * omega))
				row[3*q+k] = float32(math.Cos(float64(c) * omega))
			}
		}
	}
	return out
}
