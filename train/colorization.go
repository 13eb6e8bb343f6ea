package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"

	"rewardvision/eval/colorize"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
	"rewardvision/models/task"
)

// colorizationTask is stage II of the UViM-style colorization model: the
// sequence model reads the gray image and predicts the Grid² codes of the
// stage-I chroma codebook (see codec.Chroma and RunVQ).
type colorizationTask struct {
	cb *codec.Chroma
}

// newColorizationTask loads the stage-I codebook: on --resume the one the
// run saved in outDir (a --vq naming another codebook is an error), else
// cfg.VQ (a `train vq` folder or codebook file), saved into outDir so that
// the run folder is a complete checkpoint.
func newColorizationTask(cfg *Config, train *split) (*colorizationTask, error) {
	own := filepath.Join(cfg.OutDir, CodebookFile)
	var given *codec.Chroma
	if cfg.VQ != "" {
		src := cfg.VQ
		if st, err := os.Stat(src); err == nil && st.IsDir() {
			src = filepath.Join(src, CodebookFile)
		}
		var err error
		if given, err = codec.LoadChroma(src); err != nil {
			return nil, err
		}
	}
	var cb *codec.Chroma
	if cfg.Resume {
		saved, err := codec.LoadChroma(own)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if given != nil && !reflect.DeepEqual(given, saved) {
			return nil, fmt.Errorf("resume: --vq %s is not the codebook the run in %s trains on", cfg.VQ, cfg.OutDir)
		}
		cb = saved
	} else {
		if given == nil {
			return nil, errors.New("colorization needs --vq, the stage-I codebook from `train vq`")
		}
		cb = given
	}
	if cb.Size != train.size {
		return nil, fmt.Errorf("the codebook codes %d² images, the model reads %d²", cb.Size, train.size)
	}
	if !cfg.Resume {
		// A fresh run replaces a codebook left by a run stopped before its
		// first checkpoint.
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, err
		}
		if err := codec.SaveChroma(cb, own); err != nil {
			return nil, err
		}
	}
	return &colorizationTask{cb: cb}, nil
}

func (t *colorizationTask) vocabSize() int   { return t.cb.VocabSize() }
func (t *colorizationTask) seqLen() int      { return t.cb.SeqLen() }
func (t *colorizationTask) mask() []float32  { return t.cb.GrammarMask() }
func (t *colorizationTask) headline() string { return "PSNR" }

// target: the codes of the image's colour, then EOS.
func (t *colorizationTask) target(s *split, i int, _ *rand.Rand) ([]int32, error) {
	codes, err := t.cb.Encode(s.pixels[i])
	if err != nil {
		return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
	}
	return t.cb.Tokens(codes), nil
}

func (t *colorizationTask) fillMeta(meta *task.Meta) {
	meta.Input.Gray = true
	meta.Colorization = &task.ColorizationCodec{CodebookFile: CodebookFile, Grid: t.cb.Grid(), Codes: t.cb.K()}
}

// evaluate: greedy codes decoded onto each validation image's luminance →
// PSNR, SSIM, colourfulness and reward against the colour image, and the
// teacher-forced loss (nll).
func (t *colorizationTask) evaluate(m *seq.Model, val *split, n, batch int) (map[string]float64, results, error) {
	return scoreGreedyWithNLL(m, val, n, batch, t, t.score)
}

// score colorizes the images decode yields and scores them.
func (t *colorizationTask) score(val *split, n int, decode decodeFunc) (map[string]float64, results, error) {
	var outs, gts [][]uint8
	var res colorResults
	err := decode(func(i int, toks []int32, _ []float32) error {
		codes, err := t.cb.Codes(toks)
		if err != nil {
			return fmt.Errorf("image id %d: %w", val.ids[i], err)
		}
		out, err := colorizeCodes(t.cb, codes, val.pixels[i])
		if err != nil {
			return err
		}
		outs, gts = append(outs, out), append(gts, val.pixels[i])
		res = append(res, colorResult{ImageID: val.ids[i], Codes: codes})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sc, err := scoreColorizations(outs, gts, val.size)
	if err != nil {
		return nil, nil, err
	}
	return sc.Map(), res, nil
}

// colorResult is one image's decoded codes (the results file of `train
// validate --results` for colorization).
type colorResult struct {
	ImageID int64   `json:"image_id"`
	Codes   []int32 `json:"codes"`
}

type colorResults []colorResult

func (r colorResults) save(path string) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, data)
}

// colorizationRewarder is the paper's colorization reward
// (colorize.ColorizationReward): colourfulness of the output plus the
// weighted luminance similarity to the input.
type colorizationRewarder struct {
	cb     *codec.Chroma
	weight float64
}

func (c *colorizationRewarder) score(s *split, i int, tokens []int32) float64 {
	codes, err := c.cb.Codes(tokens)
	if err != nil {
		return 0 // not reachable under the grammar mask
	}
	out, err := colorizeCodes(c.cb, codes, s.pixels[i])
	if err != nil {
		return 0
	}
	// The reward sees the target's luminance only, never its colours.
	r, err := colorize.ColorizationReward(&colorize.RGB{Width: s.size, Height: s.size, Pix: out},
		&colorize.RGB{Width: s.size, Height: s.size, Pix: s.pixels[i]}, c.weight)
	if err != nil {
		return 0
	}
	return r.Total
}

// size is the distinct codes of the output, a measure of its variety.
func (c *colorizationRewarder) size(tokens []int32) int {
	seen := map[int32]bool{}
	for _, t := range tokens {
		if t >= codec.CodeOffset {
			seen[t] = true
		}
	}
	return len(seen)
}

func (c *colorizationRewarder) describe() string {
	return fmt.Sprintf("colourfulness (Hasler & Süsstrunk M3) + %g × luminance similarity to the input", c.weight)
}
