package batch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"rewardvision/dataset/coco"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/task"
)

// MetricsFile is metrics.json.
type MetricsFile struct {
	Task    string `json:"task"`
	Images  int    `json:"images"`
	Skipped int    `json:"skipped"`
	Reward  string `json:"reward_definition"`
	// Definitions say what metrics whose names do not say enough measure
	// (colorization).
	Definitions map[string]string `json:"metric_definitions,omitempty"`
	// Variants maps a model key to its metrics (MetricNames).
	Variants map[string]map[string]float64 `json:"variants"`
	Models   map[string]ModelInfo          `json:"models"`
	// AB is B − A per metric with the bootstrap interval; ABInfo says
	// which models and how.
	AB     map[string]ABMetric `json:"ab,omitempty"`
	ABInfo *ABInfo             `json:"ab_info,omitempty"`
}

// ABInfo describes metrics.json's "ab".
type ABInfo struct {
	A          string     `json:"a"`
	B          string     `json:"b"`
	Resamples  int        `json:"resamples"`
	Seed       uint64     `json:"seed"`
	CI         string     `json:"ci"`
	WinTieLoss WinTieLoss `json:"reward_win_tie_loss"`
}

// Metrics builds metrics.json's content.
func Metrics(ev *Evaluation, ab *AB) *MetricsFile {
	mf := &MetricsFile{Task: ev.Task, Images: len(ev.ImageIDs), Skipped: len(ev.Skipped), Reward: ev.Reward,
		Definitions: MetricDefinitions(ev.Task),
		Variants:    map[string]map[string]float64{}, Models: map[string]ModelInfo{}}
	for _, v := range ev.Variants {
		mf.Variants[v.Info.Key] = v.Metrics
		mf.Models[v.Info.Key] = v.Info
	}
	if ab != nil {
		mf.AB = ab.Metrics
		mf.ABInfo = &ABInfo{A: ab.A, B: ab.B, Resamples: ab.Resamples, Seed: ab.Seed,
			CI:         "paired bootstrap over images, percentiles 2.5 and 97.5 of B − A (numpy linear interpolation)",
			WinTieLoss: ab.Rewards}
	}
	return mf
}

// WriteOutputs writes each variant's COCO results file (colorization:
// scores.csv, every per-image score; panoptic: the COCO panoptic
// prediction panoptic.json; their PNGs are already there) and per-image
// rewards under dir.
func WriteOutputs(dir string, ev *Evaluation) error {
	for _, v := range ev.Variants {
		vdir := filepath.Join(dir, v.Info.Key)
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return err
		}
		switch ev.Task {
		case task.Detection:
			var dets []coco.Detection
			for i, id := range ev.ImageIDs {
				for _, d := range v.Outputs[i].Detections {
					b := coco.BBox(d.BBox)
					dets = append(dets, coco.Detection{ImageID: int64(id), CategoryID: int64(d.CategoryID), BBox: &b, Score: d.Score})
				}
			}
			if dets == nil {
				dets = []coco.Detection{}
			}
			if err := coco.SaveDetections(filepath.Join(vdir, "results.json"), dets); err != nil {
				return err
			}
		case task.Captioning:
			res := make([]coco.CaptionResult, len(ev.ImageIDs))
			for i, id := range ev.ImageIDs {
				res[i].ImageID = int64(id)
				if c := v.Outputs[i].Caption; c != nil {
					res[i].Caption = *c
				}
			}
			if err := coco.SaveCaptionResults(filepath.Join(vdir, "results.json"), res); err != nil {
				return err
			}
		case task.Colorization:
			if err := writeColorScores(filepath.Join(vdir, ScoresFile), ev, v); err != nil {
				return fmt.Errorf("write scores of %s: %w", v.Info.Key, err)
			}
		case task.Panoptic:
			if err := writePanopticFile(filepath.Join(vdir, PanopticFile), ev, v, ev.panoptic); err != nil {
				return fmt.Errorf("write %s of %s: %w", PanopticFile, v.Info.Key, err)
			}
		}
		err := atomicfile.Write(filepath.Join(vdir, "rewards.csv"), func(w io.Writer) error {
			var b bytes.Buffer
			b.WriteString("image_id,reward\n")
			for i, id := range ev.ImageIDs {
				b.WriteString(strconv.Itoa(id))
				b.WriteByte(',')
				b.WriteString(strconv.FormatFloat(v.Rewards[i], 'g', -1, 64))
				b.WriteByte('\n')
			}
			_, err := w.Write(b.Bytes())
			return err
		})
		if err != nil {
			return fmt.Errorf("write rewards of %s: %w", v.Info.Key, err)
		}
	}
	return nil
}

// WriteMetrics writes metrics.json atomically.
func WriteMetrics(path string, mf *MetricsFile) error {
	data, err := json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return fmt.Errorf("metrics.json: %w", err)
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}
