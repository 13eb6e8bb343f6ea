package batch

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"

	"rewardvision/api"
	"rewardvision/dataset/coco"
	"rewardvision/models/repo"
	"rewardvision/models/task"
)

// routes maps a model task to the server's route name.
var routes = map[string]string{task.Detection: api.TaskDetect, task.Captioning: api.TaskCaption,
	task.Colorization: api.TaskColorize, task.Panoptic: api.TaskPanoptic}

// serverModel evaluates through a running server (`rewardvision serve`)
// with api.Client: the same images, the same answers as in-process, plus
// everything between the client and the model (HTTP, decoding, limits).
type serverModel struct {
	c     *api.Client
	info  ModelInfo
	route string
}

// OpenServer picks the model of task wantTask and the given variant
// among those the server at c serves (the highest version when several);
// every request asks for that variant, and an answer from another model
// is an error.
func OpenServer(ctx context.Context, c *api.Client, base, variant, wantTask string) (Model, error) {
	route, ok := routes[wantTask]
	if !ok {
		return nil, unsupportedTask(wantTask)
	}
	list, err := c.Models(ctx)
	if err != nil {
		return nil, fmt.Errorf("server %s: list models: %w", base, err)
	}
	var best *api.ModelInfo
	var variants []string
	for i, m := range list.Models {
		if m.Task != route {
			continue
		}
		variants = append(variants, m.Variant)
		if m.Variant == variant && (best == nil || m.Version > best.Version) {
			best = &list.Models[i]
		}
	}
	if best == nil {
		return nil, fmt.Errorf("server %s serves no %s model of variant %q (its %s variants: %v)", base, wantTask, variant, wantTask, variants)
	}
	man, err := repo.Parse(best.Manifest)
	if err != nil {
		return nil, fmt.Errorf("server %s: model %s: %w", base, best.Name, err)
	}
	info := infoFromManifest(base+"#"+variant, man)
	return &serverModel{c: c, info: info, route: route}, nil
}

func (m *serverModel) Info() ModelInfo { return m.info }
func (m *serverModel) Close() error    { return nil }

// Predict uploads img as PNG: lossless, so the server decodes exactly the
// pixels the in-process path would see (EXIF orientation already applied).
func (m *serverModel) Predict(ctx context.Context, img image.Image) (Output, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Output{}, fmt.Errorf("encode image: %w", err)
	}
	up := api.Image{Data: buf.Bytes(), ContentType: "image/png"}
	req := api.RequestOptions{Variant: m.info.Variant}
	var out Output
	var served api.ModelRef
	switch m.route {
	case api.TaskDetect:
		r, err := m.c.Detect(ctx, up, api.DetectOptions{RequestOptions: req})
		if err != nil {
			return Output{}, err
		}
		served = r.Model
		out.Detections = make([]Det, 0, len(r.Detections))
		for _, d := range r.Detections {
			out.Detections = append(out.Detections, Det{CategoryID: d.CategoryID, BBox: d.BBox, Score: d.Score})
		}
	case api.TaskCaption:
		r, err := m.c.Caption(ctx, up, api.CaptionOptions{RequestOptions: req})
		if err != nil {
			return Output{}, err
		}
		served = r.Model
		out.Caption = &r.Caption
	case api.TaskColorize:
		r, err := m.c.Colorize(ctx, up, api.ColorizeOptions{RequestOptions: req})
		if err != nil {
			return Output{}, err
		}
		served = r.Model
		// The answer is a PNG; savePNG checks its size.
		if out.Image, err = png.Decode(bytes.NewReader(r.PNG)); err != nil {
			return Output{}, fmt.Errorf("the server's colorized PNG: %w", err)
		}
	case api.TaskPanoptic:
		r, err := m.c.Panoptic(ctx, up, api.PanopticOptions{RequestOptions: req})
		if err != nil {
			return Output{}, err
		}
		served = r.Model
		// savePNG checks the map's size; scoring, its segments.
		if out.Map, err = coco.DecodeIDMap(bytes.NewReader(r.PNG)); err != nil {
			return Output{}, fmt.Errorf("the server's panoptic PNG: %w", err)
		}
		out.Segments = make([]coco.Segment, len(r.SegmentsInfo))
		for i, g := range r.SegmentsInfo {
			out.Segments[i] = cocoSegment(int64(g.ID), g.CategoryID, g.IsCrowd, g.Area, g.BBox)
		}
	}
	if served.Name != m.info.Name || served.Version != m.info.Version {
		return Output{}, fmt.Errorf("the server answered with %s/%d, not %s/%d (was the repository reloaded?)", served.Name, served.Version, m.info.Name, m.info.Version)
	}
	return out, nil
}
