package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"

	"rewardvision/eval/colorize"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// colorizationTask is stage II of the UViM-style colorization model: the
// sequence model reads the gray image and predicts the Grid² codes of the
// stage-I chroma codebook (see codec.Chroma and RunVQ).
type colorizationTask struct {
	cb *codec.Chroma
}

// newColorizationTask loads the stage-I codebook (see loadStageI).
func newColorizationTask(cfg *Config, train *split) (*colorizationTask, error) {
	cb, err := loadStageI(cfg, codec.LoadChroma, codec.SaveChroma, func(cb *codec.Chroma) error {
		return sameSize(cb.Size, train.size)
	})
	if err != nil {
		return nil, err
	}
	return &colorizationTask{cb: cb}, nil
}

// loadStageI loads a dense task's stage-I code: on --resume the one the
// run saved in outDir (a --vq naming another code is an error), else
// cfg.VQ (a `train vq` folder or its codebook file), saved into outDir so
// that the run folder is a complete checkpoint. check refuses a code
// that does not fit the run before anything is written.
func loadStageI[T any](cfg *Config, load func(string) (T, error), save func(T, string) error, check func(T) error) (T, error) {
	var zero T
	own := filepath.Join(cfg.OutDir, CodebookFile)
	var given T
	haveGiven := cfg.VQ != ""
	if haveGiven {
		src := cfg.VQ
		if st, err := os.Stat(src); err == nil && st.IsDir() {
			src = filepath.Join(src, CodebookFile)
		}
		var err error
		if given, err = load(src); err != nil {
			return zero, fmt.Errorf("--vq: %w", err)
		}
	}
	if cfg.Resume {
		saved, err := load(own)
		if err != nil {
			return zero, fmt.Errorf("resume: %w", err)
		}
		if haveGiven && !reflect.DeepEqual(given, saved) {
			return zero, fmt.Errorf("resume: --vq %s is not the codebook the run in %s trains on", cfg.VQ, cfg.OutDir)
		}
		if err := check(saved); err != nil {
			return zero, fmt.Errorf("resume: %s: %w", own, err)
		}
		return saved, nil
	}
	if !haveGiven {
		return zero, fmt.Errorf("%s needs --vq, the stage-I codebook from `train vq`", cfg.Task)
	}
	if err := check(given); err != nil {
		return zero, fmt.Errorf("--vq %s: %w", cfg.VQ, err)
	}
	// A fresh run replaces a codebook left by a run stopped before its
	// first checkpoint.
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return zero, fmt.Errorf("create %s: %w", cfg.OutDir, err)
	}
	if err := save(given, own); err != nil {
		return zero, err
	}
	return given, nil
}

// denseSpec is a dense task's spec: it writes its stage-I code (into a
// run or shipped folder, beside the weights).
type denseSpec interface {
	saveCode(path string) error
}

func (t *colorizationTask) saveCode(path string) error { return codec.SaveChroma(t.cb, path) }
func (t *panopticTask) saveCode(path string) error     { return codec.SavePanoptic(t.p, path) }

func sameSize(code, model int) error {
	if code != model {
		return fmt.Errorf("the codebook codes %d² images, the model reads %d²", code, model)
	}
	return nil
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

func (t *colorizationTask) fillMeta(meta *checkpoint.Meta) {
	meta.Input.Gray = true
	meta.Colorization = &checkpoint.Codebook{CodebookFile: CodebookFile, Grid: t.cb.Grid(), Codes: t.cb.K()}
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
	var res codeResults
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
		res = append(res, codeResult{ImageID: val.ids[i], Codes: codes})
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

// codeResult is one image's decoded codes (the results file of `train
// validate --results` for colorization and panoptic).
type codeResult struct {
	ImageID int64   `json:"image_id"`
	Codes   []int32 `json:"codes"`
}

type codeResults []codeResult

func (r codeResults) save(path string) error {
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
