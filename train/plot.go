package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"rewardvision/internal/plot"
)

// CurveFile is the SVG of a run's log that Ship writes beside the weights.
const CurveFile = "curve.svg"

// lossWindow is the number of logged points in the loss's moving average.
const lossWindow = 10

// Keys of a log line's "eval" object that are not validation metrics:
// bookkeeping ("images", the split size; "step", from Evaluate) and the
// detector's boxes per image, on another scale, plotted in a panel of its
// own.
const (
	evalImages = "images"
	evalStep   = "step"
	evalBoxes  = "boxes_per_image"
)

// PlotLog reads a run's log.jsonl (see LogFile) and writes an SVG of it: a
// panel of the training loss against the step (the logged values as a
// thin line, their centred moving mean over 10 logged points as a thick
// one), a panel of every validation metric of the "eval" objects against
// the step (the task's headline metric first, then by name; the images
// count and step are left out), a panel of the teacher-forced validation
// loss by token kind (nll, nll_coord, ...) when logged, and for detection
// a small panel of the predicted boxes per image. title heads the figure; "" names it after
// the log's folder. Steps that a resumed run logged again replace the
// earlier lines. Errors name the file, and the line for a malformed one.
func PlotLog(logPath, title string, w io.Writer) error {
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if title == "" {
		title = runName(logPath)
	}
	return plotLog(logPath, f, title, w)
}

// runName is the name of the folder holding the log.
func runName(logPath string) string {
	dir := filepath.Dir(logPath)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

// logRecord is the part of a logLine that the plot reads.
type logRecord struct {
	Step *int     `json:"step"`
	Loss *float64 `json:"loss"` // null: not finite
	// Reward is a reward run's mean sample reward of the step.
	Reward *float64           `json:"reward"`
	Eval   map[string]float64 `json:"eval"`
}

// readLog parses the JSONL records of r (named name in errors), dropping
// earlier records at or after a step that a later record logs again (a
// run resumed from a checkpoint before its last logged step).
func readLog(name string, r io.Reader) ([]logRecord, error) {
	var recs []logRecord
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec logRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if rec.Step == nil {
			return nil, fmt.Errorf("%s:%d: no \"step\"", name, line)
		}
		for len(recs) > 0 && *recs[len(recs)-1].Step >= *rec.Step {
			recs = recs[:len(recs)-1]
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no logged steps", name)
	}
	return recs, nil
}

func plotLog(name string, r io.Reader, title string, w io.Writer) error {
	recs, err := readLog(name, r)
	if err != nil {
		return err
	}
	return logFigure(recs, title).WriteSVG(w)
}

// logFigure lays out the panels of PlotLog.
func logFigure(recs []logRecord, title string) plot.Figure {
	var loss []plot.Point
	metrics, nlls := map[string][]plot.Point{}, map[string][]plot.Point{}
	var boxes, rewards []plot.Point
	var last logRecord // the last validation
	images := math.NaN()
	for _, r := range recs {
		x := float64(*r.Step)
		y := math.NaN()
		if r.Loss != nil {
			y = *r.Loss
		}
		loss = append(loss, plot.Point{X: x, Y: y})
		if r.Reward != nil {
			rewards = append(rewards, plot.Point{X: x, Y: *r.Reward})
		}
		if r.Eval == nil {
			continue
		}
		last = r
		for k, v := range r.Eval {
			switch k {
			case evalImages:
				images = v
			case evalStep:
			case evalBoxes:
				boxes = append(boxes, plot.Point{X: x, Y: v})
			case "nll", "nll_coord", "nll_class", "nll_eos":
				nlls[k] = append(nlls[k], plot.Point{X: x, Y: v})
			default:
				metrics[k] = append(metrics[k], plot.Point{X: x, Y: v})
			}
		}
	}
	first, lastStep := *recs[0].Step, *recs[len(recs)-1].Step
	fig := plot.Figure{
		Title:  fmt.Sprintf("%s: %d logged steps, %d to %d", title, len(recs), first, lastStep),
		ShareX: true,
		Charts: []plot.Chart{{
			Title: "training loss", XLabel: "step", YLabel: "loss",
			Series: []plot.Series{
				{Name: "loss", Points: loss, Color: plot.Palette[0], Width: 1, Opacity: 0.45},
				{Name: fmt.Sprintf("mean of %d", lossWindow), Points: movingMean(loss, lossWindow), Color: plot.Palette[0], Width: 2.5},
			},
		}},
	}
	if len(rewards) > 0 {
		fig.Charts = append(fig.Charts, plot.Chart{
			Title: "mean reward of the step's samples", XLabel: "step", YLabel: "reward", Height: 180,
			Series: []plot.Series{
				{Name: "reward", Points: rewards, Color: plot.Palette[2], Width: 1, Opacity: 0.45},
				{Name: fmt.Sprintf("mean of %d", lossWindow), Points: movingMean(rewards, lossWindow), Color: plot.Palette[2], Width: 2.5},
			},
		})
	}
	names := metricOrder(metrics)
	val := plot.Chart{Title: "validation: none logged", XLabel: "step", YLabel: "metric", Height: 180}
	if len(names) > 0 {
		val.Title = "validation"
		if !math.IsNaN(images) {
			val.Title = fmt.Sprintf("validation (%s images)", fmtValue(images))
		}
		val.Title += fmt.Sprintf("; at step %d: %s %s", *last.Step, names[0], fmtValue(last.Eval[names[0]]))
	}
	for i, k := range names {
		val.Series = append(val.Series, plot.Series{Name: k, Points: metrics[k], Color: plot.Palette[(i+1)%len(plot.Palette)], Markers: true})
	}
	fig.Charts = append(fig.Charts, val)
	if len(nlls) > 0 {
		c := plot.Chart{Title: "validation loss by target token (teacher-forced)", XLabel: "step", YLabel: "nats/token", Height: 180}
		for i, k := range slices.Sorted(maps.Keys(nlls)) {
			c.Series = append(c.Series, plot.Series{Name: k, Points: nlls[k], Color: plot.Palette[(i+4)%len(plot.Palette)], Markers: true})
		}
		fig.Charts = append(fig.Charts, c)
	}
	if len(boxes) > 0 {
		fig.Charts = append(fig.Charts, plot.Chart{
			Title: "predicted boxes per validation image", XLabel: "step", YLabel: "boxes", Height: 110,
			Series: []plot.Series{{Name: "boxes/image", Points: boxes, Color: plot.Palette[7], Markers: true}},
		})
	}
	return fig
}

// metricOrder is the metric names: the task's headline metric first, then
// the rest by name.
func metricOrder(metrics map[string][]plot.Point) []string {
	names := make([]string, 0, len(metrics))
	for k := range metrics {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, h := range []string{(&detectionTask{}).headline(), (&captionTask{}).headline()} {
		if i := slices.Index(names, h); i > 0 {
			names = slices.Insert(slices.Delete(names, i, i+1), 0, h)
		}
	}
	return names
}

// movingMean is the centred moving mean of n points: at point i, the mean
// of the finite values among points i−n/2 … i+(n−1)/2 (NaN where there are
// none). Near an end the window shrinks to as many points on either side
// as the end leaves, so the first and last points are their own mean.
// Centred, it does not lag a falling loss.
func movingMean(pts []plot.Point, n int) []plot.Point {
	out := make([]plot.Point, len(pts))
	for i, p := range pts {
		l, r := min(n/2, i), min((n-1)/2, len(pts)-1-i)
		if l < n/2 {
			r = min(r, l)
		}
		if r < (n-1)/2 {
			l = min(l, r)
		}
		sum, k := 0.0, 0
		for _, q := range pts[i-l : i+r+1] {
			if !math.IsNaN(q.Y) && !math.IsInf(q.Y, 0) {
				sum += q.Y
				k++
			}
		}
		y := math.NaN()
		if k > 0 {
			y = sum / float64(k)
		}
		out[i] = plot.Point{X: p.X, Y: y}
	}
	return out
}

// fmtValue prints a metric with 4 significant digits.
func fmtValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// shipCurve reads from's log.jsonl and renders its curve under the title
// name; nil, nil when from has no log (checkpoints from elsewhere) or an
// empty one (no step logged yet).
func shipCurve(from, name string) (log, svg []byte, err error) {
	path := filepath.Join(from, LogFile)
	log, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(bytes.TrimSpace(log)) == 0 {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	if err := plotLog(path, bytes.NewReader(log), name, &b); err != nil {
		return nil, nil, err
	}
	return log, b.Bytes(), nil
}
