package batch

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// Scored is a finished run: every model scored and, for two models, the A/B.
type Scored struct {
	Info    RunInfo
	Dataset *Dataset
	Eval    *Evaluation
	AB      *AB // nil unless exactly two models
	Metrics *MetricsFile
}

// ScoreRun scores a complete run folder (a single run, or a merge of all
// its shards) and writes each model's results file and rewards. ds may be
// nil (loaded from info).
func ScoreRun(dir string, info RunInfo, ds *Dataset, opt ABOptions, log *slog.Logger) (*Scored, error) {
	if log == nil {
		log = slog.Default()
	}
	if info.Shards > 1 {
		return nil, fmt.Errorf("%s holds shard %d/%d: merge the shards with eval merge", dir, info.Shard, info.Shards)
	}
	var err error
	if ds == nil {
		if ds, err = LoadDataset(info.Task, info.Ann, info.Images); err != nil {
			return nil, err
		}
	}
	src, err := LoadTrainRewards(info.Task, info.TrainAnn, ds)
	if err != nil {
		return nil, err
	}
	ev, err := Score(ds, ds.Subset(info.Limit, 0, 1), info.Models, dir, src)
	if err != nil {
		return nil, err
	}
	for _, v := range ev.Variants {
		if v.DroppedUnknownCategory > 0 {
			log.Warn("outputs of categories not in the dataset left out", "model", v.Info.Key, "task", ev.Task, "count", v.DroppedUnknownCategory)
		}
	}
	if err := WriteOutputs(dir, ev); err != nil {
		return nil, err
	}
	out := &Scored{Info: info, Dataset: ds, Eval: ev}
	if a, b, ok := PickAB(ev); ok {
		if out.AB, err = Compare(ev, a, b, opt); err != nil {
			return nil, err
		}
	} else if len(ev.Variants) > 2 {
		log.Info("A/B needs exactly two models; none computed", "models", len(ev.Variants))
	}
	out.Metrics = Metrics(ev, out.AB)
	return out, nil
}

// MetricsPath is DIR/metrics.json.
func MetricsPath(dir string) string { return filepath.Join(dir, "metrics.json") }

// RemoveStaleMetrics deletes a metrics.json from an earlier, different
// pass, so a folder never shows numbers that its outputs no longer back.
func RemoveStaleMetrics(dir string) error {
	err := os.Remove(MetricsPath(dir))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
