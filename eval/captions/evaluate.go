package captions

import (
	"errors"
	"fmt"
	"slices"
)

// Result holds the corpus scores of one set of predictions. All are
// fractions except CIDEr-D, which is on its usual 0..10 scale.
type Result struct {
	BLEU           [4]float64      // BLEU-1..BLEU-4
	ROUGEL         float64         // mean per-image ROUGE-L
	CIDErD         float64         // mean of PerImageCIDErD
	PerImageCIDErD map[int]float64 // per image id
}

// Evaluate scores one predicted caption per image against the reference
// captions of that image, as pycocoevalcap's COCOEvalCap.evaluate does for
// Bleu(4), Rouge and Cider: both sides are tokenized (see Tokenize), the
// CIDEr-D document frequencies come from refs. The two key sets must be
// equal and every image needs at least one reference; otherwise the error
// names the first offending image id.
func Evaluate(refs map[int][]string, preds map[int]string) (*Result, error) {
	s, err := Score(refs, preds)
	if err != nil {
		return nil, err
	}
	return s.Result(), nil
}

// EvaluateOrdered is Evaluate with the captions tokenized as pycocoevalcap
// tokenizes them, two runs of the Java tokenizer over the images in order
// (the references of each image in their order, then the predictions):
// whether a caption's last period stays can depend on the start of the next
// caption (see TokenizeStream).
// order lists image ids as the reference file's "images" does (ids it
// lacks follow in ascending order).
func EvaluateOrdered(refs map[int][]string, preds map[int]string, order []int) (*Result, error) {
	ids, err := checkKeys(refs, preds)
	if err != nil {
		return nil, err
	}
	pos := make(map[int]int, len(ids)) // id → index in ids
	for i, id := range ids {
		pos[id] = i
	}
	stream := make([]int, 0, len(ids)) // indexes into ids, in pycocoevalcap's order
	seen := make([]bool, len(ids))
	for _, id := range order {
		if i, ok := pos[id]; ok && !seen[i] {
			seen[i] = true
			stream = append(stream, i)
		}
	}
	for i := range ids {
		if !seen[i] {
			stream = append(stream, i)
		}
	}
	var refCaps, predCaps []string
	for _, i := range stream {
		refCaps = append(refCaps, refs[ids[i]]...)
		predCaps = append(predCaps, preds[ids[i]])
	}
	refStream, predStream := TokenizeStream(refCaps), TokenizeStream(predCaps)
	refToks := make([][][]string, len(ids))
	predToks := make([][]string, len(ids))
	k := 0
	for j, i := range stream {
		n := len(refs[ids[i]])
		refToks[i], predToks[i] = refStream[k:k+n:k+n], predStream[j]
		k += n
	}
	return scoreTokens(ids, refToks, predToks).Result(), nil
}

// checkKeys enforces pycocoevalcap's assertions (equal key sets, at least
// one reference per image) and returns the image ids in ascending order.
func checkKeys(refs map[int][]string, preds map[int]string) ([]int, error) {
	if len(refs) == 0 && len(preds) == 0 {
		return nil, errors.New("no images to evaluate")
	}
	ids := make([]int, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if len(refs[id]) == 0 {
			return nil, fmt.Errorf("image %d has no reference captions", id)
		}
		if _, ok := preds[id]; !ok {
			return nil, fmt.Errorf("image %d has reference captions but no prediction", id)
		}
	}
	if len(preds) != len(refs) {
		extra := make([]int, 0, len(preds))
		for id := range preds {
			if _, ok := refs[id]; !ok {
				extra = append(extra, id)
			}
		}
		slices.Sort(extra)
		return nil, fmt.Errorf("prediction for image %d, which has no reference captions (%d such images)", extra[0], len(extra))
	}
	return ids, nil
}

// PredictedOnly returns the references of the images that have a
// prediction, and the ids of the reference images without one (ascending).
// pycocoevalcap scores the predicted images only (coco-caption's example
// sets params["image_id"] to the results' images), CIDEr-D's document
// frequencies included; Evaluate(PredictedOnly(refs, preds)) does the same.
func PredictedOnly(refs map[int][]string, preds map[int]string) (map[int][]string, []int) {
	out := make(map[int][]string, len(preds))
	var left []int
	for id, r := range refs {
		if _, ok := preds[id]; ok {
			out[id] = r
		} else {
			left = append(left, id)
		}
	}
	slices.Sort(left)
	return out, left
}
