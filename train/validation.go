package train

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"rewardvision/dataset/coco"
	"rewardvision/eval/captions"
	"rewardvision/eval/cocoeval"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// imagesTensor stacks the normalised images idx of s: [len, size, size, 3].
func imagesTensor(s *split, idx []int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(flatImages(s, idx), len(idx), s.size, s.size, 3)
}

// flatImages is the normalised images idx of s, one after the other
// (what ONNX Runtime's runner takes).
func flatImages(s *split, idx []int) []float32 {
	per := s.size * s.size * 3
	flat := make([]float32, len(idx)*per)
	for j, i := range idx {
		s.normalize(i, flat[j*per:(j+1)*per])
	}
	return flat
}

// decoded is one generated sequence up to its EOS with each token's
// probability (from log-probabilities).
func decoded(tokens []int32, logProbs []float32) ([]int32, []float32) {
	toks := codec.UpToEOS(tokens)
	probs := make([]float32, len(toks))
	for k := range toks {
		probs[k] = float32(math.Exp(float64(logProbs[k])))
	}
	return toks, probs
}

// greedy decodes the first n images of s (all when n is 0 or more than
// there are) in batches, under mask; fn receives each image index with its
// tokens up to EOS and their probabilities.
func greedy(m *seq.Model, s *split, n, batch int, mask []float32, fn func(i int, tokens []int32, probs []float32) error) error {
	return inBatches(s, n, batch, func(idx []int) ([][]int32, [][]float32, error) {
		gen, err := m.Generate(imagesTensor(s, idx), seq.GenerateOptions{Mask: mask})
		if err != nil {
			return nil, nil, err
		}
		return gen.Tokens, gen.LogProbs, nil
	}, fn)
}

// inBatches runs generate on the first n images of s, batch at a time,
// and hands fn each image's tokens up to EOS with their probabilities.
func inBatches(s *split, n, batch int, generate func(idx []int) ([][]int32, [][]float32, error), fn func(i int, tokens []int32, probs []float32) error) error {
	if n <= 0 || n > s.len() {
		n = s.len()
	}
	for lo := 0; lo < n; lo += batch {
		idx := make([]int, 0, batch)
		for i := lo; i < min(n, lo+batch); i++ {
			idx = append(idx, i)
		}
		tokens, logProbs, err := generate(idx)
		if err != nil {
			return fmt.Errorf("validation images %d..%d: %w", lo, lo+len(idx)-1, err)
		}
		for j, i := range idx {
			toks, probs := decoded(tokens[j], logProbs[j])
			if err := fn(i, toks, probs); err != nil {
				return err
			}
		}
	}
	return nil
}

// results are the outputs an evaluation scored, as a COCO results list.
type results interface {
	// save writes them atomically to path, in the form `eval coco` or
	// `eval captions` reads.
	save(path string) error
}

type detectionResults []coco.Detection

func (r detectionResults) save(path string) error { return coco.SaveDetections(path, r) }

type captionResults []coco.CaptionResult

func (r captionResults) save(path string) error { return coco.SaveCaptionResults(path, r) }

// decodeFunc calls fn with each decoded image (see greedy).
type decodeFunc func(fn func(i int, tokens []int32, probs []float32) error) error

// evaluate: greedy decodes → boxes in source pixels → COCO box AP of the
// first n validation images against their own ground truth, and the
// teacher-forced loss by token kind (nll_coord, nll_class, nll_eos): which
// part of the task the model has learned.
func (t *detectionTask) evaluate(m *seq.Model, val *split, n, batch int) (map[string]float64, results, error) {
	metrics, res, err := t.score(val, n, func(fn func(int, []int32, []float32) error) error {
		return greedy(m, val, n, batch, t.mask(), fn)
	})
	if err != nil {
		return nil, nil, err
	}
	nll, err := validationNLL(m, val, t, n, batch, func(tok int32) string {
		switch {
		case t.codec.IsCoord(tok):
			return "coord"
		case t.codec.IsClass(tok):
			return "class"
		}
		return "eos"
	})
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(metrics, nll)
	return metrics, res, nil
}

// validationNLL is the teacher-forced negative log-likelihood (nats per
// token, under the grammar mask) of the first n images' targets, overall
// ("nll") and by the kind of target token ("nll_<kind>"; kind may
// return "" for none). Each image's
// target is drawn with a fixed seed, so the value is comparable across
// steps and runs.
func validationNLL(m *seq.Model, s *split, spec taskSpec, n, batch int, kind func(tok int32) string) (map[string]float64, error) {
	if n <= 0 || n > s.len() {
		n = s.len()
	}
	L := spec.seqLen()
	sum, count := map[string]float64{}, map[string]float64{}
	for lo := 0; lo < n; lo += batch {
		var idx []int
		var in, tg []int32
		var w []float32
		for i := lo; i < min(n, lo+batch); i++ {
			tokens, err := spec.target(s, i, rand.New(rand.NewPCG(uint64(i), 0x76616c)))
			if err != nil {
				return nil, err
			}
			a, b, c, err := codec.TeacherForcing(tokens, L)
			if err != nil {
				return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
			}
			idx, in, tg, w = append(idx, i), append(in, a...), append(tg, b...), append(w, c...)
		}
		lp, err := m.TokenLogProbs(imagesTensor(s, idx),
			tensors.FromFlatDataAndDimensions(in, len(idx), L), tensors.FromFlatDataAndDimensions(tg, len(idx), L), spec.mask())
		if err != nil {
			return nil, fmt.Errorf("validation loss, images %d..%d: %w", lo, lo+len(idx)-1, err)
		}
		for j, v := range tensors.MustCopyFlatData[float32](lp) {
			if w[j] == 0 {
				continue
			}
			if k := kind(tg[j]); k != "" {
				sum[k] -= float64(v)
				count[k]++
			}
			sum[""] -= float64(v)
			count[""]++
		}
	}
	out := map[string]float64{}
	for k, v := range sum {
		name := "nll"
		if k != "" {
			name += "_" + k
		}
		out[name] = v / count[k]
	}
	return out, nil
}

// score evaluates the token sequences decode yields for the first n images.
func (t *detectionTask) score(val *split, n int, decode decodeFunc) (map[string]float64, detectionResults, error) {
	if n <= 0 || n > val.len() {
		n = val.len()
	}
	var (
		images []cocoeval.Image
		anns   []cocoeval.Annotation
		dets   []cocoeval.Detection
		cats   []cocoeval.Category
		out    detectionResults
	)
	for k, id := range t.ids {
		cats = append(cats, cocoeval.Category{ID: int(id), Name: t.cats[k]})
	}
	known := map[int64]bool{}
	for _, id := range t.ids {
		known[id] = true
	}
	for i := range n {
		images = append(images, cocoeval.Image{ID: int(val.ids[i]), Width: val.widths[i], Height: val.heights[i]})
		for _, a := range val.anns[i] {
			if !known[a.CategoryID] {
				continue
			}
			anns = append(anns, cocoeval.Annotation{ID: int(a.ID), ImageID: int(a.ImageID), CategoryID: int(a.CategoryID),
				BBox: a.BBox, Area: a.Area, IsCrowd: a.IsCrowd != 0})
		}
	}
	gt, err := cocoeval.NewGroundTruth(images, cats, anns)
	if err != nil {
		return nil, nil, fmt.Errorf("validation ground truth of %s: %w", val.dir, err)
	}
	size := float64(val.size)
	err = decode(func(i int, toks []int32, probs []float32) error {
		boxes, err := t.codec.Decode(toks, probs, size, size)
		if err != nil {
			return err
		}
		for _, b := range boxes {
			xywh := b.XYWH()
			src := val.lbs[i].Unbox(coco.BBox(xywh))
			if src[2] <= 0 || src[3] <= 0 {
				continue
			}
			dets = append(dets, cocoeval.Detection{ImageID: int(val.ids[i]), CategoryID: int(t.ids[b.Class]), BBox: src, Score: b.Score})
			out = append(out, coco.Detection{ImageID: val.ids[i], CategoryID: t.ids[b.Class], BBox: &src, Score: b.Score})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	res, err := cocoeval.Evaluate(gt, dets, cocoeval.Params{})
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate detections: %w", err)
	}
	// Class-agnostic AP (pycocotools' useCats=0 reading): every box in one
	// category, so localisation shows apart from classification.
	for i := range anns {
		anns[i].CategoryID = cats[0].ID
	}
	for i := range dets {
		dets[i].CategoryID = cats[0].ID
	}
	gtAny, err := cocoeval.NewGroundTruth(images, cats[:1], anns)
	if err != nil {
		return nil, nil, fmt.Errorf("class-agnostic ground truth of %s: %w", val.dir, err)
	}
	anyRes, err := cocoeval.Evaluate(gtAny, dets, cocoeval.Params{})
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate class-agnostic detections: %w", err)
	}
	return map[string]float64{
		"AP": res.Stats.AP, "AP50": res.Stats.AP50, "AP75": res.Stats.AP75, "AR100": res.Stats.AR100,
		"AP_any_class": anyRes.Stats.AP, "AR100_any_class": anyRes.Stats.AR100,
		"boxes_per_image": float64(len(dets)) / float64(n), "images": float64(n),
	}, out, nil
}

// evaluate: greedy captions → CIDEr-D and BLEU-4 against the references of
// the first n validation images, and the teacher-forced loss (nll).
func (t *captionTask) evaluate(m *seq.Model, val *split, n, batch int) (map[string]float64, results, error) {
	return scoreGreedyWithNLL(m, val, n, batch, t, t.score)
}

// scoreGreedyWithNLL scores greedy decodes of the first n images of val
// with score and adds the teacher-forced loss ("nll"): evaluate for tasks
// whose loss is not split by token kind.
func scoreGreedyWithNLL(m *seq.Model, val *split, n, batch int, spec taskSpec,
	score func(*split, int, decodeFunc) (map[string]float64, results, error)) (map[string]float64, results, error) {
	metrics, res, err := score(val, n, func(fn func(int, []int32, []float32) error) error {
		return greedy(m, val, n, batch, spec.mask(), fn)
	})
	if err != nil {
		return nil, nil, err
	}
	nll, err := validationNLL(m, val, spec, n, batch, func(int32) string { return "" })
	if err != nil {
		return nil, nil, err
	}
	metrics["nll"] = nll["nll"]
	return metrics, res, nil
}

// score evaluates the captions decode yields for the first n images.
func (t *captionTask) score(val *split, n int, decode decodeFunc) (map[string]float64, results, error) {
	refs := map[int][]string{}
	preds := map[int]string{}
	var out captionResults
	err := decode(func(i int, toks []int32, _ []float32) error {
		id := int(val.ids[i])
		refs[id] = val.captions[i]
		preds[id] = t.vocab.Decode(toks)
		out = append(out, coco.CaptionResult{ImageID: val.ids[i], Caption: preds[id]})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	res, err := captions.Evaluate(refs, preds)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate captions: %w", err)
	}
	return map[string]float64{"CIDEr-D": res.CIDErD, "BLEU-4": res.BLEU[3], "ROUGE-L": res.ROUGEL,
		"images": float64(len(preds))}, out, nil
}
