package serve

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"slices"
	"strings"
	"time"

	"rewardvision/api"
	"rewardvision/dataset/coco"
	"rewardvision/models/runner"
)

// Request is one inference request, as the HTTP handlers and
// `rewardvision predict` (in-process) build it.
type Request struct {
	Task     string     // route: detect, caption, panoptic, colorize
	Image    []byte     // encoded image
	Params   url.Values // options (api.Param*)
	Variant  string     // the X-Model-Variant header; the variant parameter wins
	ClientID string     // the X-Client-Id header, for sticky A/B assignment
}

// Result is Predict's answer.
type Result struct {
	Body    any        // *api.DetectResponse, *api.CaptionResponse, *api.ColorizeResponse or api.CompareResponse of them
	Timing  api.Timing // of the first model run (the only one unless compare)
	Variant string     // the variant served, "compare" for compare=true
	Model   string     // name of the model served ("" for compare)
}

// Predict runs one request: parameters, routing, image decoding, then
// each model's preprocess → queue → inference → postprocess, each stage
// timed. Errors are classified by classify (errors.go).
func (s *Server) Predict(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if _, ok := knownParams[req.Task]; !ok {
		return nil, errorf(ErrNotFound, "no task %q", req.Task)
	}
	p, err := parseParams(req.Task, req.Params)
	if err != nil {
		return nil, err
	}
	if len(s.reg.Variants(req.Task)) == 0 {
		return nil, errorf(ErrNotFound, "no model for task %s", req.Task)
	}
	var models []*Model
	variant := "compare"
	if p.compare {
		for _, v := range s.reg.Variants(req.Task) {
			// Acquire: a reload meanwhile lets this request finish on
			// the model it got (reload.go).
			m, err := s.reg.Acquire(req.Task, v)
			if err != nil {
				continue // unloaded since Variants
			}
			defer m.Release()
			models = append(models, m)
		}
		if len(models) == 0 {
			return nil, errorf(ErrNotFound, "no model for task %s", req.Task)
		}
	} else {
		variant = s.chooseVariant(req.Task, p.variant, strings.TrimSpace(req.Variant), req.ClientID)
		m, err := s.reg.Acquire(req.Task, variant)
		if err != nil {
			return nil, err
		}
		defer m.Release()
		models = []*Model{m}
	}

	t0 := time.Now()
	img, format, err := DecodeImage(req.Image, s.cfg.MaxPixels)
	if err != nil {
		return nil, err
	}
	decode := time.Since(t0)
	b := img.Bounds()
	info := api.ImageInfo{Width: b.Dx(), Height: b.Dy(), Format: format}

	res := &Result{Variant: variant}
	var bodies []any
	for i, m := range models {
		tm := api.Timing{DecodeMS: ms(decode)}
		var body any
		switch req.Task {
		case api.TaskDetect:
			body, err = s.detect(ctx, m, img, info, p, &tm)
		case api.TaskCaption:
			body, err = s.caption(ctx, m, img, info, p, &tm)
		case api.TaskColorize:
			body, err = s.colorize(ctx, m, img, info, p, &tm)
		case api.TaskPanoptic:
			body, err = s.segment(ctx, m, img, info, p, &tm)
		default:
			err = errorf(ErrNotFound, "no pipeline for task %s", req.Task)
		}
		if err != nil {
			return nil, err
		}
		tm.TotalMS = ms(time.Since(start))
		setTotal(body, tm.TotalMS)
		s.metrics.stages.WithLabelValues(req.Task, m.Ref.Variant, "decode").Observe(decode.Seconds())
		if i == 0 {
			res.Timing, res.Model = tm, m.Ref.Name
		}
		bodies = append(bodies, body)
	}
	if !p.compare {
		res.Body = bodies[0]
		return res, nil
	}
	res.Model = ""
	switch req.Task {
	case api.TaskDetect:
		out := api.CompareResponse[*api.DetectResponse]{Task: req.Task}
		for _, b := range bodies {
			out.Results = append(out.Results, b.(*api.DetectResponse))
		}
		res.Body = out
	case api.TaskCaption:
		out := api.CompareResponse[*api.CaptionResponse]{Task: req.Task}
		for _, b := range bodies {
			out.Results = append(out.Results, b.(*api.CaptionResponse))
		}
		res.Body = out
	case api.TaskColorize:
		res.Body = compareOf[*api.ColorizeResponse](req.Task, bodies)
	case api.TaskPanoptic:
		res.Body = compareOf[*api.PanopticResponse](req.Task, bodies)
	}
	return res, nil
}

func compareOf[T any](task string, bodies []any) api.CompareResponse[T] {
	out := api.CompareResponse[T]{Task: task}
	for _, b := range bodies {
		out.Results = append(out.Results, b.(T))
	}
	return out
}

func setTotal(body any, total float64) {
	switch b := body.(type) {
	case *api.DetectResponse:
		b.Timing.TotalMS = total
	case *api.CaptionResponse:
		b.Timing.TotalMS = total
	case *api.ColorizeResponse:
		b.Timing.TotalMS = total
	case *api.PanopticResponse:
		b.Timing.TotalMS = total
	}
}

// infer runs the stages shared by the sequence tasks: preprocess, queue,
// inference on n copies of img (n > 1: several samples of one image).
func (s *Server) infer(ctx context.Context, m *Model, img image.Image, n int, opts runner.GenerateOptions, tm *api.Timing) (*runner.Generation, runner.Prepared, error) {
	stage := func(name string, d time.Duration) float64 {
		s.metrics.stages.WithLabelValues(m.Route, m.Ref.Variant, name).Observe(d.Seconds())
		return ms(d)
	}
	t := time.Now()
	prep, err := m.Runner.Preprocess([]image.Image{img})
	if err != nil {
		return nil, runner.Prepared{}, err
	}
	batch := prep[0].Pixels
	if n > 1 {
		batch = slices.Repeat(prep[0].Pixels, n)
	}
	tm.PreprocessMS = stage("preprocess", time.Since(t))

	gen, err := s.generate(ctx, m, batch, n, opts, tm) // batch.go
	if err != nil {
		return nil, runner.Prepared{}, err
	}
	return gen, prep[0], nil
}

func (s *Server) detect(ctx context.Context, m *Model, img image.Image, info api.ImageInfo, p requestParams, tm *api.Timing) (*api.DetectResponse, error) {
	opts, dec := p.generateOptions(m.Runner)
	gen, prep, err := s.infer(ctx, m, img, 1, opts, tm)
	if err != nil {
		return nil, err
	}
	t := time.Now()
	pred, err := m.Runner.DecodeTokens(gen.Tokens[0], gen.LogProbs[0], prep.Letterbox)
	if err != nil {
		return nil, fmt.Errorf("decoding the model's tokens: %w", err)
	}
	labels := m.Runner.Manifest.Labels
	dets := []api.Detection{}
	for _, bx := range pred.Boxes {
		if bx.Score < p.scoreThreshold {
			continue
		}
		d := api.Detection{ImageID: p.imageID, CategoryID: bx.Class, Score: round(bx.Score, 4),
			BBox: [4]float64{round(bx.XMin, 2), round(bx.YMin, 2), round(bx.XMax-bx.XMin, 2), round(bx.YMax-bx.YMin, 2)}}
		if bx.Class >= 0 && bx.Class < len(labels) {
			d.CategoryID, d.Label = labels[bx.Class].CategoryID, labels[bx.Class].Name
		}
		dets = append(dets, d)
	}
	// Best first, stable so equal scores keep the model's order.
	slices.SortStableFunc(dets, func(a, b api.Detection) int { return cmp.Compare(b.Score, a.Score) })
	if p.maxDetections > 0 && len(dets) > p.maxDetections {
		dets = dets[:p.maxDetections]
	}
	tm.PostprocessMS = ms(time.Since(t))
	s.metrics.stages.WithLabelValues(m.Route, m.Ref.Variant, "postprocess").Observe(time.Since(t).Seconds())
	return &api.DetectResponse{Model: m.Ref, Image: info, Decoding: dec, Detections: dets, Timing: *tm}, nil
}

func (s *Server) caption(ctx context.Context, m *Model, img image.Image, info api.ImageInfo, p requestParams, tm *api.Timing) (*api.CaptionResponse, error) {
	opts, dec := p.generateOptions(m.Runner)
	n := max(p.numSamples, 1)
	gen, prep, err := s.infer(ctx, m, img, n, opts, tm)
	if err != nil {
		return nil, err
	}
	t := time.Now()
	out := &api.CaptionResponse{Model: m.Ref, Image: info, Decoding: dec, ImageID: p.imageID}
	best := -1
	for i := range n {
		pred, err := m.Runner.DecodeTokens(gen.Tokens[i], gen.LogProbs[i], prep.Letterbox)
		if err != nil {
			return nil, fmt.Errorf("decoding the model's tokens: %w", err)
		}
		var lp float64
		for _, v := range gen.LogProbs[i] {
			lp += float64(v)
		}
		c := api.CaptionCandidate{Caption: pred.Caption, LogProb: round(lp, 4)}
		if n > 1 {
			out.Candidates = append(out.Candidates, c)
		}
		if best < 0 || c.LogProb > out.LogProb {
			best, out.Caption, out.LogProb = i, c.Caption, c.LogProb
		}
	}
	tm.PostprocessMS = ms(time.Since(t))
	s.metrics.stages.WithLabelValues(m.Route, m.Ref.Variant, "postprocess").Observe(time.Since(t).Seconds())
	out.Timing = *tm
	return out, nil
}

// dense is a dense task's request after inference: its codes decoded
// (pred.Codes), holding a postprocessing slot (s.post) until release.
type dense struct {
	pred    runner.Prediction
	prep    runner.Prepared
	dec     api.Decoding
	start   time.Time // of the postprocessing
	release func()
}

// denseCodes generates the image's codes through the batcher, then takes
// a postprocessing slot (one per core: the code decoder and the PNG cost
// grow with the upload's pixels) and decodes the tokens into codes.
func (s *Server) denseCodes(ctx context.Context, m *Model, img image.Image, p requestParams, tm *api.Timing) (*dense, error) {
	opts, dec := p.generateOptions(m.Runner)
	gen, prep, err := s.infer(ctx, m, img, 1, opts, tm)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	select {
	case s.post <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-s.post }
	pred, err := m.Runner.DecodeTokens(gen.Tokens[0], gen.LogProbs[0], prep.Letterbox)
	if err != nil {
		release()
		return nil, fmt.Errorf("decoding the model's tokens: %w", err)
	}
	return &dense{pred: pred, prep: prep, dec: dec, start: start, release: release}, nil
}

// postprocessed records the postprocessing stage that began at t.
func (s *Server) postprocessed(m *Model, t time.Time, tm *api.Timing) {
	tm.PostprocessMS = ms(time.Since(t))
	s.metrics.stages.WithLabelValues(m.Route, m.Ref.Variant, "postprocess").Observe(time.Since(t).Seconds())
}

// colorize generates the image's codes (denseCodes), then, as
// postprocessing, turns them into the chroma plane with the model's code
// decoder (a codebook lookup, run outside the inference slots), puts it
// on the upload's luminance at the upload's size and encodes the PNG.
func (s *Server) colorize(ctx context.Context, m *Model, img image.Image, info api.ImageInfo, p requestParams, tm *api.Timing) (*api.ColorizeResponse, error) {
	d, err := s.denseCodes(ctx, m, img, p, tm)
	if err != nil {
		return nil, err
	}
	defer d.release()
	pred, prep, t := d.pred, d.prep, d.start
	planes, err := m.Runner.DecodeCodes([][]int32{pred.Codes})
	if err != nil {
		return nil, err
	}
	out, err := m.Runner.Colorize(img, planes[0], prep.Letterbox)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("encoding the PNG: %w", err)
	}
	s.postprocessed(m, t, tm)
	return &api.ColorizeResponse{Model: m.Ref, Image: info, Decoding: d.dec, ImageID: p.imageID, PNG: buf.Bytes(), Timing: *tm}, nil
}

// segment generates the image's codes (denseCodes), then, as
// postprocessing, places their labels on the letterboxed image with the
// model's code decoder, upsamples the label map to the upload's size and
// encodes it as a COCO panoptic PNG.
func (s *Server) segment(ctx context.Context, m *Model, img image.Image, info api.ImageInfo, p requestParams, tm *api.Timing) (*api.PanopticResponse, error) {
	d, err := s.denseCodes(ctx, m, img, p, tm)
	if err != nil {
		return nil, err
	}
	defer d.release()
	pred, prep, t := d.pred, d.prep, d.start
	labels, err := m.Runner.DecodeLabels([][]int32{pred.Codes}, [][]uint8{prep.RGB})
	if err != nil {
		return nil, err
	}
	pm, err := m.Runner.PanopticMap(labels[0], prep.Letterbox)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := coco.EncodeIDMap(&buf, &coco.IDMap{Width: pm.Width, Height: pm.Height, IDs: pm.IDs}); err != nil {
		return nil, fmt.Errorf("encoding the PNG: %w", err)
	}
	names := map[int]string{}
	for _, l := range m.Runner.Manifest.Labels {
		names[l.CategoryID] = l.Name
	}
	segs := make([]api.Segment, len(pm.Segments))
	for i, g := range pm.Segments {
		segs[i] = api.Segment{ID: int(g.ID), CategoryID: g.CategoryID, Label: names[g.CategoryID], Area: g.Area,
			BBox: [4]float64{float64(g.BBox[0]), float64(g.BBox[1]), float64(g.BBox[2]), float64(g.BBox[3])}}
	}
	s.postprocessed(m, t, tm)
	return &api.PanopticResponse{Model: m.Ref, Image: info, Decoding: d.dec, ImageID: p.imageID, SegmentsInfo: segs, PNG: buf.Bytes(), Timing: *tm}, nil
}

func ms(d time.Duration) float64 { return round(float64(d.Nanoseconds())/1e6, 3) }
