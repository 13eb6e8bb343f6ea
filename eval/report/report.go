// Package report renders a scored eval run (eval/batch) as one
// self-contained HTML file (inline CSS, inline SVG charts from internal/plot,
// images inlined as PNG data URIs; nothing fetched from the network) and a
// Markdown summary.
package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"rewardvision/eval/batch"
	"rewardvision/internal/atomicfile"
	"rewardvision/internal/plot"
	"rewardvision/models/task"
)

// Files written into the run folder.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	// HistogramFile is the reward-distribution chart on its own, for
	// pages (a README) that link it.
	HistogramFile = "rewards.svg"
	// GridFile is the figure of colorization and panoptic: a row per
	// example image, with the input, each model's output and the ground
	// truth.
	GridFile = "examples.png"
)

// MaxExamples is the number of largest-difference images shown.
const MaxExamples = 8

// histBins is the number of reward histogram bins.
const histBins = 20

// Write renders DIR/report.html and DIR/report.md.
func Write(dir string, sc *batch.Scored) error {
	page, err := buildPage(sc)
	if err != nil {
		return err
	}
	var h bytes.Buffer
	if err := pageTmpl.Execute(&h, page); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, HTMLFile), h.Bytes()); err != nil {
		return err
	}
	hist := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + string(page.HistSVG)
	if err := atomicfile.WriteBytes(filepath.Join(dir, HistogramFile), []byte(hist)); err != nil {
		return err
	}
	if page.grid != nil {
		if err := writeGrid(filepath.Join(dir, GridFile), page.grid); err != nil {
			return err
		}
	}
	var md bytes.Buffer
	writeMarkdown(&md, page)
	return atomicfile.WriteBytes(filepath.Join(dir, MarkdownFile), md.Bytes())
}

// PrintSummary writes the Markdown summary's tables to w (the terminal).
func PrintSummary(w io.Writer, sc *batch.Scored) error {
	page, err := buildPage(sc)
	if err != nil {
		return err
	}
	page.Examples = nil
	var md bytes.Buffer
	writeMarkdown(&md, page)
	_, err = w.Write(md.Bytes())
	return err
}

// page is what the templates render.
type page struct {
	Task, Ann, Images, Reward string
	NImages, Skipped          int
	Variants                  []string // keys, A first
	Models                    []batch.ModelInfo
	Rows                      []row
	HasAB                     bool
	A, B                      string
	WTL                       batch.WinTieLoss
	Resamples                 int
	Seed                      uint64
	HistSVG                   template.HTML
	DeltaSVG                  template.HTML
	Examples                  []example
	ExamplesTitle             string
	// Definitions of the metrics (colorization, panoptic), in metric order.
	Definitions []definition
	// Colorization, panoptic: the examples' images for GridFile, and its
	// columns.
	grid        [][]image.Image
	GridColumns []string
}

type definition struct{ Metric, Text string }

type row struct {
	Metric string
	Values []string // per variant
	Delta  string
	CI     string
	Signif string // "B better", "A better", "" (interval covers 0)
}

type example struct {
	ImageID int
	File    string
	Reward  []string // per variant
	Diff    string
	Panels  []template.HTML // per variant: the image with its output drawn
	Texts   []string        // captioning: the caption per variant
	Refs    []string        // captioning: references
	// Colorization, panoptic: the input and the ground truth beside the
	// outputs, and a line of scores per variant and for the truth.
	Input, Truth template.HTML
	Scores       []string
	TruthScores  string
}

func buildPage(sc *batch.Scored) (*page, error) {
	ev := sc.Eval
	p := &page{Task: ev.Task, Ann: sc.Info.Ann, Images: sc.Info.Images, Reward: ev.Reward,
		NImages: len(ev.ImageIDs), Skipped: len(ev.Skipped)}
	order := make([]int, len(ev.Variants))
	for i := range order {
		order[i] = i
	}
	ab := sc.AB
	if ab != nil {
		p.HasAB, p.A, p.B, p.WTL, p.Resamples, p.Seed = true, ab.A, ab.B, ab.Rewards, ab.Resamples, ab.Seed
		if ev.Variants[0].Info.Key != ab.A {
			order = []int{1, 0}
		}
	}
	for _, i := range order {
		p.Variants = append(p.Variants, ev.Variants[i].Info.Key)
		p.Models = append(p.Models, ev.Variants[i].Info)
	}
	defs := batch.MetricDefinitions(ev.Task)
	for _, name := range batch.MetricNames(ev.Task) {
		r := row{Metric: name}
		for _, i := range order {
			r.Values = append(r.Values, metricNum(ev.Task, name, ev.Variants[i].Metrics[name]))
		}
		if ab != nil {
			if m, ok := ab.Metrics[name]; ok {
				r.Delta = signed(m.Delta)
				r.CI = fmt.Sprintf("[%s, %s]", signed(m.CI95[0]), signed(m.CI95[1]))
				better, worse := ab.B, ab.A
				if batch.LowerIsBetter(ev.Task, name) {
					better, worse = worse, better
				}
				switch {
				case m.CI95[0] > 0:
					r.Signif = better + " better"
				case m.CI95[1] < 0:
					r.Signif = worse + " better"
				}
			}
		}
		p.Rows = append(p.Rows, r)
		if d, ok := defs[name]; ok {
			p.Definitions = append(p.Definitions, definition{name, d})
		}
	}
	var err error
	if p.HistSVG, err = histogramSVG(ev, order); err != nil {
		return nil, err
	}
	if f, ok := figureOf(sc); ok {
		if err := figureExamples(p, sc, order, f); err != nil {
			return nil, err
		}
	} else if ab != nil {
		p.ExamplesTitle = "Largest reward differences"
		if p.Examples, err = examples(sc, order); err != nil {
			return nil, err
		}
	}
	if ab != nil {
		if p.DeltaSVG, err = deltaSVG(ev, order); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// figureOf is the figure of a task whose outputs are images.
func figureOf(sc *batch.Scored) (figure, bool) {
	switch sc.Eval.Task {
	case task.Colorization:
		return colorFigure(sc), true
	case task.Panoptic:
		return panopticFigure(sc), true
	}
	return figure{}, false
}

func num(v float64) string {
	if v == -1 {
		return "-1 (n/a)"
	}
	return fmt.Sprintf("%.4f", v)
}

// metricNum is a metric's value, "-1 (n/a)" where it is undefined.
func metricNum(taskName, name string, v float64) string {
	if batch.Undefined(taskName, name, v) {
		return "-1 (n/a)"
	}
	return fmt.Sprintf("%.4f", v)
}

func signed(v float64) string { return fmt.Sprintf("%+.4f", v) }

// histogramSVG draws the per-image reward distribution of every variant
// (the paper's figure) as step lines over shared bins.
func histogramSVG(ev *batch.Evaluation, order []int) (template.HTML, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range ev.Variants {
		for _, r := range v.Rewards {
			lo, hi = min(lo, r), max(hi, r)
		}
	}
	if hi <= lo {
		lo, hi = lo-0.5, hi+0.5
	}
	w := (hi - lo) / histBins
	ch := plot.Chart{Title: "per-image reward distribution", XLabel: "reward", YLabel: "images"}
	for _, i := range order {
		v := ev.Variants[i]
		h := batch.Histogram(v.Rewards, lo, hi, histBins)
		s := plot.Series{Name: v.Info.Key, Width: 2}
		for b, c := range h {
			x0 := lo + float64(b)*w
			s.Points = append(s.Points, plot.Point{X: x0, Y: float64(c)}, plot.Point{X: x0 + w, Y: float64(c)})
		}
		ch.Series = append(ch.Series, s)
	}
	return svg(ch)
}

// deltaSVG draws the sorted per-image reward differences B − A.
func deltaSVG(ev *batch.Evaluation, order []int) (template.HTML, error) {
	a, b := ev.Variants[order[0]], ev.Variants[order[1]]
	d := make([]float64, len(a.Rewards))
	for i := range d {
		d[i] = b.Rewards[i] - a.Rewards[i]
	}
	slices.Sort(d)
	s := plot.Series{Name: b.Info.Key + " − " + a.Info.Key, Width: 2}
	for i, v := range d {
		s.Points = append(s.Points, plot.Point{X: float64(i+1) / float64(len(d)), Y: v})
	}
	zero := plot.Series{Name: "0", Color: "#7f7f7f", Width: 1,
		Points: []plot.Point{{X: 0, Y: 0}, {X: 1, Y: 0}}}
	return svg(plot.Chart{Title: "per-image reward difference, sorted", XLabel: "fraction of images", YLabel: "reward difference", Series: []plot.Series{s, zero}})
}

func svg(ch plot.Chart) (template.HTML, error) {
	var b bytes.Buffer
	if err := ch.WriteSVG(&b, 760); err != nil {
		return "", err
	}
	out := b.String()
	// Inline in HTML: drop the XML declaration if any.
	if i := strings.Index(out, "<svg"); i > 0 {
		out = out[i:]
	}
	return template.HTML(out), nil // #nosec: generated by internal/plot, text escaped there
}

// examples returns the images with the largest reward differences.
func examples(sc *batch.Scored, order []int) ([]example, error) {
	ev := sc.Eval
	var out []example
	for _, pos := range sc.AB.Diffs[:min(MaxExamples, len(sc.AB.Diffs))] {
		im := ev.Images[pos]
		ex := example{ImageID: im.ID, File: im.Path}
		ra, rb := ev.Variants[order[0]].Rewards[pos], ev.Variants[order[1]].Rewards[pos]
		ex.Diff = signed(rb - ra)
		for _, i := range order {
			v := ev.Variants[i]
			ex.Reward = append(ex.Reward, num(v.Rewards[pos]))
			panel, err := drawPanel(sc, im, v, pos)
			if err != nil {
				return nil, err
			}
			ex.Panels = append(ex.Panels, panel)
			if ev.Task == task.Captioning {
				c := ""
				if v.Outputs[pos].Caption != nil {
					c = *v.Outputs[pos].Caption
				}
				ex.Texts = append(ex.Texts, c)
			}
		}
		if ev.Task == task.Captioning {
			ex.Refs = sc.Dataset.Refs[im.ID]
		}
		out = append(out, ex)
	}
	return out, nil
}
