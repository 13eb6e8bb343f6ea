package export

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"rewardvision/dataset/shapes"
	"rewardvision/models/codec"
	"rewardvision/models/ortrun"
	"rewardvision/models/runner"
	"rewardvision/models/seq"
)

// Tolerance is the largest |logit difference| between ONNX Runtime and
// GoMLX that Verify accepts.
const Tolerance = 1e-4

// VerifyOptions control Verify.
type VerifyOptions struct {
	Images  int   // images to decode; default 4
	Seed    int64 // seed of the generated shapes images
	Device  ortrun.Device
	Threads int // ONNX Runtime intra-op threads; 0: its default
}

// ImageCheck is one verified image.
type ImageCheck struct {
	Index       int
	ORTTokens   []int32
	GoTokens    []int32 // up to EOS
	TokensAgree bool
	ORTDecoded  string // boxes or caption, from the ORT tokens
	GoDecoded   string // from the GoMLX tokens
}

// Report is the outcome of Verify.
type Report struct {
	MaxLogitDiff float64 // over every step compared, every image
	MaxCrossDiff float64 // encoder outputs
	// CodeDiff: the code decoder on the ORT greedy codes, ORT against the
	// same graph in GoMLX: colorization's largest chroma difference
	// (levels), panoptic's count of pixels whose label differs (-1: no
	// code decoder).
	CodeDiff    float64
	Panoptic    bool // CodeDiff counts pixels
	Steps       int  // decoder steps compared
	TokensAgree bool
	Images      []ImageCheck
	ORT, GoMLX  time.Duration // greedy decoding time of each
}

// OK reports whether the export passed: logits within Tolerance, the same
// greedy tokens, and the code decoder's outputs within Tolerance
// (colorization) or identical (panoptic: no pixel with another label).
func (r *Report) OK() bool {
	code := r.CodeDiff <= Tolerance
	if r.Panoptic {
		code = r.CodeDiff == 0
	}
	return r.TokensAgree && r.MaxLogitDiff <= Tolerance && r.MaxCrossDiff <= Tolerance && code
}

// Verify runs the exported entry in ONNX Runtime and model (the
// checkpoint) in GoMLX on the same generated images — shapes-world scenes
// rendered at 1.5× the input size, so the letterbox resamples — and
// compares the encoder outputs, every greedy decoding step's logits (up to
// the first step where the tokens differ, past which the prefixes differ)
// and the greedy tokens and their decoding.
func Verify(entryDir string, model *seq.Model, rt *ortrun.Runtime, o VerifyOptions) (*Report, error) {
	if o.Images <= 0 {
		o.Images = 4
	}
	r, err := runner.OpenWith(entryDir, rt, o.Device, runner.Options{IntraOpThreads: o.Threads})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer r.Close()
	if r.Manifest.Architecture != model.Cfg {
		return nil, fmt.Errorf("verify: entry architecture %s, checkpoint %s", r.Manifest.Architecture, model.Cfg)
	}
	imgs := VerifyImages(r.Manifest.Input.Size, o.Images, o.Seed)
	prep, err := r.Preprocess(imgs)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	in := r.Manifest.Input
	n := len(prep)
	batch := make([]float32, 0, n*in.Size*in.Size*in.Channels)
	for _, p := range prep {
		batch = append(batch, p.Pixels...)
	}
	rep := &Report{TokensAgree: true, CodeDiff: -1}

	// Encoder outputs.
	cross, err := r.Encode(batch, n)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	ortCross, err := cross.Float32s()
	cross.Close()
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	images := tensors.FromFlatDataAndDimensions(slices.Clone(batch), n, in.Size, in.Size, in.Channels)
	goCross, err := model.Encode(images)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for i, t := range goCross {
		rep.MaxCrossDiff = max(rep.MaxCrossDiff, maxDiff(ortCross[i], tensors.MustCopyFlatData[float32](t)))
	}

	// Greedy decoding under the task's grammar.
	mask := r.GrammarMask()
	start := time.Now()
	og, err := r.Generate(batch, n, runner.GenerateOptions{GrammarMask: mask, KeepLogits: true})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.ORT = time.Since(start)
	start = time.Now()
	gg, err := model.Generate(images, seq.GenerateOptions{Mask: mask, KeepLogits: true})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.GoMLX = time.Since(start)
	vocab := model.Cfg.VocabSize
	for b := range n {
		goTokens := codec.UpToEOS(gg.Tokens[b])
		ic := ImageCheck{Index: b, ORTTokens: og.Tokens[b], GoTokens: goTokens, TokensAgree: slices.Equal(og.Tokens[b], goTokens)}
		rep.TokensAgree = rep.TokensAgree && ic.TokensAgree
		for s := range min(len(og.Tokens[b]), len(gg.Logits)) {
			a := og.Logits[b][s*vocab : (s+1)*vocab]
			rep.MaxLogitDiff = max(rep.MaxLogitDiff, maxDiff(a, gg.Logits[s][b*vocab:(b+1)*vocab]))
			rep.Steps++
			if og.Tokens[b][s] != gg.Tokens[b][s] {
				break
			}
		}
		op, err := r.DecodeTokens(og.Tokens[b], og.LogProbs[b], prep[b].Letterbox)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		gp, err := r.DecodeTokens(goTokens, gg.LogProbs[b][:len(goTokens)], prep[b].Letterbox)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		caption := r.Vocab() != nil
		ic.ORTDecoded, ic.GoDecoded = describe(op, caption), describe(gp, caption)
		rep.Images = append(rep.Images, ic)
	}
	if cb := r.Chroma(); cb != nil {
		if rep.CodeDiff, err = verifyCodeDecoder(r, model, cb, og.Tokens); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	if p := r.Panoptic(); p != nil {
		rep.Panoptic = true
		if rep.CodeDiff, err = verifyPanopticDecoder(r, model, p, og.Tokens, prep); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	return rep, nil
}

// runCodeDecoder runs a code decoder graph in GoMLX on the model's
// backend and returns its one output.
func runCodeDecoder(model *seq.Model, ctx *context.Context, fn func(*context.Context, []*graph.Node) []*graph.Node, in ...*tensors.Tensor) (*tensors.Tensor, error) {
	e, err := context.NewExec(model.Backend(), ctx.Reuse(), fn)
	if err != nil {
		return nil, fmt.Errorf("compile the code decoder: %w", err)
	}
	defer e.Finalize()
	args := make([]any, len(in))
	for i, t := range in {
		args[i] = t
	}
	out, err := e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("code decoder in GoMLX: %w", err)
	}
	return out[0], nil
}

// verifyCodeDecoder runs the exported code decoder in ONNX Runtime and the
// same graph in GoMLX on the codes of tokens, and returns the largest
// difference of their chroma planes.
func verifyCodeDecoder(r *runner.Runner, model *seq.Model, cb *codec.Chroma, tokens [][]int32) (float64, error) {
	codes := make([][]int32, len(tokens))
	flat := make([]int32, 0, len(tokens)*cb.Grid()*cb.Grid())
	for i, t := range tokens {
		c, err := cb.Codes(t)
		if err != nil {
			return 0, fmt.Errorf("image %d: %w", i, err)
		}
		codes[i] = c
		flat = append(flat, c...)
	}
	ortPlanes, err := r.DecodeCodes(codes)
	if err != nil {
		return 0, err
	}
	out, err := runCodeDecoder(model, CodeDecoderContext(cb), CodeDecoderGraph(cb),
		tensors.FromFlatDataAndDimensions(flat, len(codes), cb.Grid()*cb.Grid()))
	if err != nil {
		return 0, err
	}
	goFlat := tensors.MustCopyFlatData[float32](out)
	per := 2 * cb.Size * cb.Size
	d := 0.0
	for i, p := range ortPlanes {
		d = max(d, maxDiff(p, goFlat[i*per:(i+1)*per]))
	}
	return d, nil
}

// verifyPanopticDecoder runs the exported panoptic code decoder in ONNX
// Runtime and the same graph in GoMLX on the codes of tokens and the
// letterboxed images, and returns the number of pixels whose label differs.
func verifyPanopticDecoder(r *runner.Runner, model *seq.Model, p *codec.Panoptic, tokens [][]int32, prep []runner.Prepared) (float64, error) {
	codes := make([][]int32, len(tokens))
	rgb := make([][]uint8, len(tokens))
	flat := make([]int32, 0, len(tokens)*p.Grid()*p.Grid())
	var pix []float32
	for i, t := range tokens {
		c, err := p.CodesOf(t)
		if err != nil {
			return 0, fmt.Errorf("image %d: %w", i, err)
		}
		codes[i], rgb[i] = c, prep[i].RGB
		flat = append(flat, c...)
		for _, v := range prep[i].RGB {
			pix = append(pix, float32(v))
		}
	}
	ortLabels, err := r.DecodeLabels(codes, rgb)
	if err != nil {
		return 0, err
	}
	out, err := runCodeDecoder(model, PanopticDecoderContext(p), PanopticDecoderGraph(p),
		tensors.FromFlatDataAndDimensions(flat, len(codes), p.Grid()*p.Grid()),
		tensors.FromFlatDataAndDimensions(pix, len(codes), p.Size, p.Size, 3))
	if err != nil {
		return 0, err
	}
	goFlat := tensors.MustCopyFlatData[int32](out)
	per := p.Size * p.Size
	differ := 0
	for i, l := range ortLabels {
		for j, v := range l {
			if int32(v) != goFlat[i*per+j] {
				differ++
			}
		}
	}
	return float64(differ), nil
}

// VerifyImages renders n shapes-world scenes at 1.5× size.
func VerifyImages(size, n int, seed int64) []image.Image {
	cfg := shapes.DefaultConfig()
	cfg.Size = max(8, size*3/2)
	out := make([]image.Image, n)
	for i := range n {
		sc := shapes.Render(cfg, seed, "verify", i)
		img := image.NewNRGBA(image.Rect(0, 0, sc.Size, sc.Size))
		for p := range sc.Size * sc.Size {
			copy(img.Pix[4*p:4*p+3], sc.Pix[3*p:3*p+3])
			img.Pix[4*p+3] = 255
		}
		out[i] = img
	}
	return out
}

// describe renders a prediction in one line: boxes (x0,y0,x1,y1 class
// score) or the caption.
func describe(p runner.Prediction, caption bool) string {
	if caption {
		return fmt.Sprintf("%q", p.Caption)
	}
	if p.Codes != nil {
		distinct := map[int32]bool{}
		for _, c := range p.Codes {
			distinct[c] = true
		}
		return fmt.Sprintf("%d codes, %d distinct", len(p.Codes), len(distinct))
	}
	if len(p.Boxes) == 0 {
		return "no boxes"
	}
	parts := make([]string, len(p.Boxes))
	for i, b := range p.Boxes {
		parts[i] = fmt.Sprintf("[%.1f,%.1f,%.1f,%.1f c%d %.3f]", b.XMin, b.YMin, b.XMax, b.YMax, b.Class, b.Score)
	}
	return strings.Join(parts, " ")
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		x := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(x) {
			return math.Inf(1)
		}
		d = max(d, x)
	}
	return d
}
