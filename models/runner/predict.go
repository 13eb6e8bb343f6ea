package runner

import (
	"context"
	"fmt"
	"image"
	"math"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/loader"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// Prediction is one image's decoded output.
type Prediction struct {
	Tokens   []int32   // generated tokens, EOS included when produced
	LogProbs []float32 // per token
	// Detection: boxes in the source image's pixels (clipped to it), with
	// scores from the token probabilities (see codec.Detection.Decode) and
	// 0-based class indices (Manifest.Labels maps them to categories).
	Boxes []codec.Box
	// Captioning: the caption.
	Caption string
	// Colorization: the Grid² codes, and (from Predict) the colour image at
	// the source resolution, the source's luminance with the model's chroma.
	Codes     []int32
	Colorized *image.RGBA
	// Panoptic: the Grid² codes (Codes), and (from Predict) the panoptic
	// map at the source resolution.
	Panoptic *PanopticMap
}

// Predict preprocesses images, generates, and decodes. A nil
// opts.GrammarMask uses the task's grammar.
func (r *Runner) Predict(imgs []image.Image, opts GenerateOptions) ([]Prediction, error) {
	return r.PredictContext(context.Background(), imgs, opts)
}

// PredictContext is Predict with cancellation (see GenerateContext).
func (r *Runner) PredictContext(ctx context.Context, imgs []image.Image, opts GenerateOptions) ([]Prediction, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	prep, err := r.Preprocess(imgs)
	if err != nil {
		return nil, err
	}
	in := r.Manifest.Input
	batch := make([]float32, 0, len(prep)*in.Size*in.Size*in.Channels)
	for _, p := range prep {
		batch = append(batch, p.Pixels...)
	}
	if opts.GrammarMask == nil {
		opts.GrammarMask = r.mask
	}
	gen, err := r.GenerateContext(ctx, batch, len(prep), opts)
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(prep))
	for i, p := range prep {
		out[i], err = r.DecodeTokens(gen.Tokens[i], gen.LogProbs[i], p.Letterbox)
		if err != nil {
			return nil, fmt.Errorf("predict image %d: %w", i, err)
		}
	}
	if r.chroma != nil {
		if err := r.colorize(imgs, out, prep); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
	}
	if r.pan != nil {
		if err := r.segment(out, prep); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
	}
	return out, nil
}

// DecodeTokens decodes one generated sequence: boxes mapped back through
// the letterbox to source pixels, the caption, or a dense task's codes.
func (r *Runner) DecodeTokens(tokens []int32, logProbs []float32, lb loader.Letterbox) (Prediction, error) {
	p := Prediction{Tokens: tokens, LogProbs: logProbs}
	switch r.Manifest.Task {
	case task.Detection:
		var probs []float32
		if logProbs != nil {
			probs = make([]float32, len(logProbs))
			for i, lp := range logProbs {
				probs[i] = float32(math.Exp(float64(lp)))
			}
		}
		size := float64(r.Manifest.Input.Size)
		boxes, err := r.det.Decode(tokens, probs, size, size)
		if err != nil {
			return p, err
		}
		p.Boxes = boxes
		if lb.SrcW > 0 && lb.SrcH > 0 {
			for i, b := range boxes {
				src := lb.Unbox(coco.BBox{b.XMin, b.YMin, b.XMax - b.XMin, b.YMax - b.YMin})
				w, h := float64(lb.SrcW), float64(lb.SrcH)
				x0, y0 := clip(src[0], w), clip(src[1], h)
				x1, y1 := clip(src[0]+src[2], w), clip(src[1]+src[3], h)
				p.Boxes[i].XMin, p.Boxes[i].YMin, p.Boxes[i].XMax, p.Boxes[i].YMax = x0, y0, x1, y1
			}
		}
	case task.Captioning:
		p.Caption = r.vocab.Decode(tokens)
	case task.Colorization:
		codes, err := r.chroma.Codes(tokens)
		if err != nil {
			return p, err
		}
		p.Codes = codes
	case task.Panoptic:
		codes, err := r.pan.CodesOf(tokens)
		if err != nil {
			return p, err
		}
		p.Codes = codes
	}
	return p, nil
}

func clip(v, hi float64) float64 { return min(max(v, 0), hi) }
