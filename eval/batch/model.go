package batch

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"rewardvision/dataset/coco"
	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// ModelInfo identifies an evaluated model.
type ModelInfo struct {
	Entry   string `json:"entry"` // as given on the command line (or the server's model name)
	Name    string `json:"name"`
	Version int    `json:"version"`
	Task    string `json:"task"`
	Variant string `json:"variant"`
	// Key names the model in the run folder and in metrics.json: the
	// variant, with the name added where two would collide.
	Key string `json:"key"`
	// Labels maps the model's class index to the dataset category id
	// (detection).
	Labels map[int]int `json:"-"`
	// LabelNames maps category ids to names, for the report.
	LabelNames map[int]string `json:"-"`
}

// Output is one image's model output, in the source image's pixels.
type Output struct {
	Detections []Det   `json:"detections,omitempty"`
	Caption    *string `json:"caption,omitempty"`
	// Colorization and panoptic: the model's Grid² codes (in-process
	// only; the server answers the image).
	Codes []int32 `json:"codes,omitempty"`
	// Colorization: the colorized PNG, relative to the model's folder in
	// the run (Run writes Image there and sets it).
	Colorized string `json:"colorized,omitempty"`
	// Panoptic: the predicted segments_info and the id-map PNG (COCO
	// panoptic), relative to the model's folder in the run (Run writes
	// Map there and sets it).
	Segments []coco.Segment `json:"segments_info,omitempty"`
	Panoptic string         `json:"panoptic,omitempty"`
	// Image (colorization) and Map (panoptic) are the output as Predict
	// returns it, at the source resolution; never stored in the JSONL.
	Image image.Image `json:"-"`
	Map   *coco.IDMap `json:"-"`
}

// Det is one detection, as a COCO results record holds it.
type Det struct {
	CategoryID int        `json:"category_id"`
	BBox       [4]float64 `json:"bbox"`
	Score      float64    `json:"score"`
}

// Model predicts one image at a time; implementations are safe for
// concurrent use.
type Model interface {
	Info() ModelInfo
	Predict(ctx context.Context, img image.Image) (Output, error)
	Close() error
}

// ResolveEntry turns ENTRY (an entry folder or its model.json, or
// REPO/NAME[@VERSION] with the highest version by default) into the entry
// folder.
func ResolveEntry(entry string) (string, error) {
	if st, err := os.Stat(entry); err == nil {
		if !st.IsDir() {
			if filepath.Base(entry) != repo.ManifestFile {
				return "", fmt.Errorf("model %q: a file, but not a %s: want an entry folder, its %s or REPO/NAME[@VERSION]", entry, repo.ManifestFile, repo.ManifestFile)
			}
			return filepath.Dir(entry), nil
		}
		if _, err := os.Stat(filepath.Join(entry, repo.ManifestFile)); err == nil {
			return entry, nil
		}
	}
	base, ver, hasVer := strings.Cut(entry, "@")
	if hasVer {
		v, err := strconv.Atoi(ver)
		if err != nil || v < 1 {
			return "", fmt.Errorf("model %q: version %q is not a positive integer", entry, ver)
		}
		dir := filepath.Join(base, ver)
		if _, err := os.Stat(filepath.Join(dir, repo.ManifestFile)); err != nil {
			return "", fmt.Errorf("model %q: no %s in %s", entry, repo.ManifestFile, dir)
		}
		return dir, nil
	}
	des, err := os.ReadDir(base)
	if err != nil {
		return "", fmt.Errorf("model %q: not an entry folder, a model.json or REPO/NAME[@VERSION]: %w", entry, err)
	}
	best := 0
	for _, de := range des {
		if v, err := strconv.Atoi(de.Name()); err == nil && v > best && de.IsDir() {
			if _, err := os.Stat(filepath.Join(base, de.Name(), repo.ManifestFile)); err == nil {
				best = v
			}
		}
	}
	if best == 0 {
		return "", fmt.Errorf("model %q: no version folder with a %s under %s", entry, repo.ManifestFile, base)
	}
	return filepath.Join(base, strconv.Itoa(best)), nil
}

// runnerModel runs an entry in-process with models/runner: the server's
// code path.
type runnerModel struct {
	info ModelInfo
	r    *runner.Runner
	opts runner.GenerateOptions
}

// OpenEntry opens ENTRY on ONNX Runtime and checks that its task is
// wantTask.
func OpenEntry(entry, wantTask string, rt *ortrun.Runtime, dev ortrun.Device, opts runner.Options) (Model, error) {
	dir, err := ResolveEntry(entry)
	if err != nil {
		return nil, err
	}
	// The manifest first: a model of another task is refused before its
	// graphs are loaded.
	m, _, err := repo.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if m.Task != wantTask {
		return nil, fmt.Errorf("model %s is a %s model (%s), but --task is %s", dir, m.Task, filepath.Join(dir, repo.ManifestFile), wantTask)
	}
	r, err := runner.OpenWith(dir, rt, dev, opts)
	if err != nil {
		return nil, fmt.Errorf("open model %s: %w", dir, err)
	}
	return &runnerModel{info: infoFromManifest(entry, r.Manifest), r: r, opts: r.DefaultOptions()}, nil
}

func infoFromManifest(entry string, m *repo.Manifest) ModelInfo {
	info := ModelInfo{Entry: entry, Name: m.Name, Version: m.Version, Task: m.Task, Variant: m.Variant,
		Labels: map[int]int{}, LabelNames: map[int]string{}}
	for _, l := range m.Labels {
		info.Labels[l.Index] = l.CategoryID
		info.LabelNames[l.CategoryID] = l.Name
	}
	return info
}

func (m *runnerModel) Info() ModelInfo { return m.info }
func (m *runnerModel) Close() error    { return m.r.Close() }

func (m *runnerModel) Predict(ctx context.Context, img image.Image) (Output, error) {
	preds, err := m.r.PredictContext(ctx, []image.Image{img}, m.opts)
	if err != nil {
		return Output{}, err
	}
	p := preds[0]
	var out Output
	switch m.info.Task {
	case task.Detection:
		out.Detections = make([]Det, 0, len(p.Boxes))
		for _, b := range p.Boxes {
			cat, ok := m.info.Labels[b.Class]
			if !ok {
				cat = b.Class + 1 // a manifest without labels: COCO's 1-based ids
			}
			out.Detections = append(out.Detections, Det{CategoryID: cat, BBox: b.XYWH(), Score: b.Score})
		}
	case task.Captioning:
		c := p.Caption
		out.Caption = &c
	case task.Colorization:
		if p.Colorized == nil {
			return Output{}, fmt.Errorf("model %s returned no colorized image", m.info.Key)
		}
		out.Codes, out.Image = p.Codes, p.Colorized
	case task.Panoptic:
		pm := p.Panoptic
		if pm == nil {
			return Output{}, fmt.Errorf("model %s returned no panoptic map", m.info.Key)
		}
		out.Codes, out.Map = p.Codes, &coco.IDMap{Width: pm.Width, Height: pm.Height, IDs: pm.IDs}
		out.Segments = make([]coco.Segment, len(pm.Segments))
		for i, g := range pm.Segments {
			out.Segments[i] = cocoSegment(int64(g.ID), g.CategoryID, g.IsCrowd, g.Area,
				[4]float64{float64(g.BBox[0]), float64(g.BBox[1]), float64(g.BBox[2]), float64(g.BBox[3])})
		}
	}
	return out, nil
}

// AssignKeys sets each model's Key: its variant, or variant-name where two
// models share a variant (variant-name-vN where that collides too).
func AssignKeys(infos []ModelInfo) error {
	count := map[string]int{}
	for _, in := range infos {
		count[in.Variant]++
	}
	seen := map[string]bool{}
	for i := range infos {
		k := infos[i].Variant
		if count[k] > 1 {
			k += "-" + infos[i].Name
			if seen[k] {
				k += "-v" + strconv.Itoa(infos[i].Version)
			}
		}
		if seen[k] {
			return fmt.Errorf("models %q: the same entry twice", infos[i].Entry)
		}
		seen[k] = true
		infos[i].Key = k
	}
	return nil
}
