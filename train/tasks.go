package train

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"rewardvision/eval/captions"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// VocabFile is the captioning vocabulary's file name in the output folder.
const VocabFile = "vocab.json"

// taskSpec is what differs between detection and captioning: the token
// layout, the target of one training sample, the validation metric and the
// task part of meta.json.
type taskSpec interface {
	vocabSize() int
	seqLen() int
	mask() []float32 // grammar mask [seqLen·vocab]
	// target returns the token sequence (ending with EOS) of training image i.
	target(s *split, i int, rng *rand.Rand) ([]int32, error)
	// evaluate scores greedy decodes of the first n validation images and
	// returns them too, as COCO results.
	evaluate(m *seq.Model, val *split, n, batch int) (map[string]float64, results, error)
	fillMeta(meta *checkpoint.Meta)
	headline() string // the metric named in logs and the README
}

type detectionTask struct {
	codec *codec.Detection
	cats  []string
	ids   []int64
}

func newDetectionTask(cfg *Config, train *split) (*detectionTask, error) {
	bins := cfg.Bins
	if bins == 0 {
		// size+1 bins over [0, size]: bin b is pixel b, so whole-pixel
		// boxes encode exactly.
		bins = train.size + 1
	}
	boxes := cfg.Boxes
	if boxes == 0 {
		boxes = min(16, max(1, train.maxBoxes()))
	}
	c, err := codec.NewDetection(bins, len(train.cats), boxes)
	if err != nil {
		return nil, err
	}
	c.ClassFirst = cfg.BoxOrder == BoxOrderClass
	t := &detectionTask{codec: c}
	for _, k := range train.cats {
		t.cats = append(t.cats, k.Name)
		t.ids = append(t.ids, k.ID)
	}
	return t, nil
}

func (t *detectionTask) vocabSize() int   { return t.codec.VocabSize() }
func (t *detectionTask) seqLen() int      { return t.codec.SeqLen() }
func (t *detectionTask) mask() []float32  { return t.codec.GrammarMask() }
func (t *detectionTask) headline() string { return "AP" }

// target: the image's boxes in a random order (pix2seq), at most MaxBoxes.
func (t *detectionTask) target(s *split, i int, rng *rand.Rand) ([]int32, error) {
	tokens, err := t.codec.Encode(s.boxes[i], float64(s.size), float64(s.size), rng)
	if err != nil {
		return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
	}
	return tokens, nil
}

func (t *detectionTask) fillMeta(meta *checkpoint.Meta) {
	meta.Detection = &checkpoint.DetectionCodec{Bins: t.codec.Bins, NumClasses: t.codec.NumClasses, MaxBoxes: t.codec.MaxBoxes, ClassFirst: t.codec.ClassFirst}
	for k, name := range t.cats {
		meta.Labels = append(meta.Labels, checkpoint.Label{Index: k, CategoryID: int(t.ids[k]), Name: name})
	}
}

type captionTask struct {
	vocab  *codec.Vocab
	maxLen int
}

// newCaptionTask loads the vocabulary saved in outDir (a resumed run) or
// builds it from the training captions with the caption metric's
// tokenizer, so that training tokens are the words CIDEr-D scores.
func newCaptionTask(cfg *Config, train *split) (*captionTask, error) {
	path := filepath.Join(cfg.OutDir, VocabFile)
	var v *codec.Vocab
	if _, err := os.Stat(path); err == nil {
		if v, err = codec.LoadVocab(path, captions.Tokenize); err != nil {
			return nil, err
		}
	} else {
		var all []string
		for _, cs := range train.captions {
			all = append(all, cs...)
		}
		if v, err = codec.BuildVocab(all, 1, captions.Tokenize, "ptb"); err != nil {
			return nil, fmt.Errorf("build vocabulary from %s: %w", train.dir, err)
		}
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, err
		}
		if err := codec.SaveVocab(v, path); err != nil {
			return nil, err
		}
	}
	maxLen := cfg.MaxLen
	if maxLen == 0 {
		longest := 0
		for _, cs := range train.captions {
			for _, c := range cs {
				longest = max(longest, len(captions.Tokenize(c)))
			}
		}
		maxLen = min(32, longest+1)
	}
	if maxLen < 2 {
		return nil, fmt.Errorf("caption length %d: need at least 2 positions (a word and EOS)", maxLen)
	}
	return &captionTask{vocab: v, maxLen: maxLen}, nil
}

func (t *captionTask) vocabSize() int   { return t.vocab.VocabSize() }
func (t *captionTask) seqLen() int      { return t.maxLen }
func (t *captionTask) mask() []float32  { return t.vocab.GrammarMask(t.maxLen) }
func (t *captionTask) headline() string { return "CIDEr-D" }

// target: one of the image's reference captions, drawn by rng.
func (t *captionTask) target(s *split, i int, rng *rand.Rand) ([]int32, error) {
	cs := s.captions[i]
	tokens, err := t.vocab.Encode(cs[rng.IntN(len(cs))], t.maxLen)
	if err != nil {
		return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
	}
	return tokens, nil
}

func (t *captionTask) fillMeta(meta *checkpoint.Meta) { meta.VocabFile = VocabFile }
