// Package plot writes line charts as SVG, without dependencies: one or more
// panels stacked vertically in one figure, each with a title, axis labels,
// "nice" ticks (steps of 1, 2 or 5 times a power of ten, see Ticks), grid
// lines, named series and a legend to the right of the plot area.
//
// The output is a function of the input: the same Figure writes the same
// bytes (coordinates are rounded to 0.01 px with fixed formatting, colours
// come from a fixed palette by series index). Text is XML-escaped. Points
// with a NaN or infinite coordinate are skipped and break the line there;
// a lone point is drawn as a marker; a series without points appears only
// in the legend; a flat range is padded.
package plot

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Point is one (x, y) sample of a series.
type Point struct{ X, Y float64 }

// Series is a named polyline.
type Series struct {
	Name   string // legend text; "" leaves the series out of the legend
	Points []Point
	// Color is an SVG colour; "" takes Palette[i % len(Palette)] for the
	// series' index i in its chart.
	Color   string
	Width   float64 // stroke width in px; 0 means 1.5
	Opacity float64 // stroke opacity in (0, 1]; 0 means 1
	Markers bool    // draw a circle at every point
}

// Chart is one panel: a plot area with axes, the series and a legend.
type Chart struct {
	Title  string
	XLabel string
	YLabel string
	Series []Series
	// Height of the plot area in px; 0 means 220.
	Height float64
}

// Figure is a stack of charts sharing the width and the left edge of their
// plot areas, so their x axes line up.
type Figure struct {
	Title  string
	Width  float64 // of the whole SVG in px; 0 means 800
	Charts []Chart
	// ShareX gives every chart the x range of all of them together.
	ShareX bool
}

// Palette is the default series colours (Tableau 10).
var Palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// Layout constants, in px. Text widths are estimated from the rune count
// (no font metrics): charWidth × font size per character.
const (
	defaultWidth  = 800.0
	defaultHeight = 220.0
	minPlotWidth  = 120.0
	fontTitle     = 15.0
	fontPanel     = 13.0
	fontLabel     = 12.0
	fontTick      = 11.0
	charWidth     = 0.6
	legendRow     = 16.0
	legendSwatch  = 22.0
	xTargetPx     = 90.0 // about one x tick interval per this many px
	yTargetPx     = 45.0
)

// WriteSVG writes the chart alone as an SVG document of the given width
// (0: 800 px).
func (c Chart) WriteSVG(w io.Writer, width float64) error {
	return Figure{Width: width, Charts: []Chart{c}}.WriteSVG(w)
}

// panelLayout is one chart's computed geometry.
type panelLayout struct {
	top, plotTop, plotBottom, bottom float64
	x, y                             axis
}

// WriteSVG writes the figure as a standalone SVG document.
func (f Figure) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s := &svg{w: bw}

	// Ranges and ticks first: the left margin depends on the widest y label.
	ys := make([]axis, len(f.Charts))
	tickW, legendW := 0.0, 0.0
	for i, c := range f.Charts {
		ys[i] = axisOrUnit(extent(c.Series, func(p Point) float64 { return p.Y }))(targetTicks(height(c), yTargetPx))
		for k := ys[i].k0; k <= ys[i].k1; k++ {
			tickW = math.Max(tickW, textWidth(ys[i].label(k), fontTick))
		}
		for _, sr := range c.Series {
			if sr.Name != "" {
				legendW = math.Max(legendW, 12+legendSwatch+6+textWidth(sr.Name, fontTick)+8)
			}
		}
	}
	width := f.width()
	left := 8 + fontLabel + 8 + tickW + 8
	right := 16 + legendW
	if width-left-right < minPlotWidth {
		width = left + right + minPlotWidth
	}
	plotL, plotR := left, width-right
	xs := make([]axis, len(f.Charts))
	xTicks := targetTicks(plotR-plotL, xTargetPx)
	if f.ShareX {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range f.Charts {
			l, h := extent(c.Series, func(p Point) float64 { return p.X })
			lo, hi = math.Min(lo, l), math.Max(hi, h)
		}
		for i := range f.Charts {
			xs[i] = axisOrUnit(lo, hi)(xTicks)
		}
	} else {
		for i, c := range f.Charts {
			xs[i] = axisOrUnit(extent(c.Series, func(p Point) float64 { return p.X }))(xTicks)
		}
	}

	// Vertical layout.
	y := 10.0
	if f.Title != "" {
		y = 34
	}
	panels := make([]panelLayout, len(f.Charts))
	for i, c := range f.Charts {
		p := &panels[i]
		p.top = y
		p.plotTop = y + 10
		if c.Title != "" {
			p.plotTop = y + 28
		}
		p.plotBottom = p.plotTop + height(c)
		p.bottom = p.plotBottom + 26
		if c.XLabel != "" {
			p.bottom = p.plotBottom + 44
		}
		p.x, p.y = xs[i], ys[i]
		y = p.bottom + 8
	}
	total := y + 2

	s.printf(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		num(width), num(total), num(width), num(total))
	s.printf(`<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(width), num(total))
	if f.Title != "" {
		s.text(width/2, 22, fontTitle, "middle", `font-weight="bold"`, f.Title)
	}
	for i, c := range f.Charts {
		s.chart(c, panels[i], plotL, plotR)
	}
	s.printf("</svg>\n")
	if s.err != nil {
		return s.err
	}
	return bw.Flush()
}

func (f Figure) width() float64 {
	if f.Width > 0 {
		return f.Width
	}
	return defaultWidth
}

func height(c Chart) float64 {
	if c.Height > 0 {
		return c.Height
	}
	return defaultHeight
}

func targetTicks(px, per float64) int { return max(2, int(px/per)) }

// axisOrUnit returns a function of the tick target giving the nice axis of
// [lo, hi], or of [0, 1] when there is no data (lo > hi) or the range does
// not fit in a float64.
func axisOrUnit(lo, hi float64) func(int) axis {
	return func(target int) axis {
		if lo > hi {
			lo, hi = 0, 1
		}
		if a, ok := niceAxis(lo, hi, target); ok {
			return a
		}
		a, _ := niceAxis(0, 1, target)
		return a
	}
}

// extent is the range of the finite points' coordinate; lo > hi when
// there are none.
func extent(series []Series, coord func(Point) float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			v := coord(p)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * charWidth
}

// svg accumulates output and the first write error.
type svg struct {
	w   io.Writer
	err error
}

func (s *svg) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}

// text writes a <text> element; extra is raw attributes (trusted).
func (s *svg) text(x, y, size float64, anchor, extra, body string) {
	if extra != "" {
		extra = " " + extra
	}
	s.printf(`<text x="%s" y="%s" font-size="%s" text-anchor="%s"%s>%s</text>`+"\n",
		num(x), num(y), num(size), anchor, extra, escape(body))
}

func (s *svg) chart(c Chart, p panelLayout, plotL, plotR float64) {
	xlo, xhi := p.x.lo(), p.x.hi()
	ylo, yhi := p.y.lo(), p.y.hi()
	px := func(v float64) float64 { return plotL + frac(v, xlo, xhi)*(plotR-plotL) }
	py := func(v float64) float64 { return p.plotBottom - frac(v, ylo, yhi)*(p.plotBottom-p.plotTop) }

	s.printf("<g>\n")
	if c.Title != "" {
		s.text((plotL+plotR)/2, p.top+18, fontPanel, "middle", `font-weight="bold"`, c.Title)
	}
	// Grid and tick labels.
	for k := p.y.k0; k <= p.y.k1; k++ {
		y := py(p.y.value(k))
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0" stroke-width="1"/>`+"\n", num(plotL), num(y), num(plotR), num(y))
		s.text(plotL-8, y+4, fontTick, "end", `fill="#333333"`, p.y.label(k))
	}
	for k := p.x.k0; k <= p.x.k1; k++ {
		x := px(p.x.value(k))
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0" stroke-width="1"/>`+"\n", num(x), num(p.plotTop), num(x), num(p.plotBottom))
		s.text(x, p.plotBottom+16, fontTick, "middle", `fill="#333333"`, p.x.label(k))
	}
	s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#333333" stroke-width="1"/>`+"\n",
		num(plotL), num(p.plotTop), num(plotR-plotL), num(p.plotBottom-p.plotTop))
	if c.XLabel != "" {
		s.text((plotL+plotR)/2, p.plotBottom+36, fontLabel, "middle", "", c.XLabel)
	}
	if c.YLabel != "" {
		x, y := 8+fontLabel, (p.plotTop+p.plotBottom)/2
		s.text(x, y, fontLabel, "middle", fmt.Sprintf(`transform="rotate(-90 %s %s)"`, num(x), num(y)), c.YLabel)
	}

	// Series, then the legend.
	for i, sr := range c.Series {
		s.series(sr, i, px, py)
	}
	ly := p.plotTop + 4
	lx := plotR + 16
	for i, sr := range c.Series {
		if sr.Name == "" {
			continue
		}
		y := ly + legendRow/2
		st := style(sr, i)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`+"\n", num(lx), num(y), num(lx+legendSwatch), num(y), st)
		if sr.Markers {
			s.marker(lx+legendSwatch/2, y, sr, i)
		}
		s.text(lx+legendSwatch+6, y+4, fontTick, "start", "", sr.Name)
		ly += legendRow
	}
	s.printf("</g>\n")
}

// frac is where v lies between lo and hi (0 at lo, 1 at hi), halved
// first so that ranges near ±MaxFloat64 do not overflow, and clamped to
// [-1, 2]: only an axis that fell back to [0, 1] leaves points that far out.
func frac(v, lo, hi float64) float64 {
	return min(max((v/2-lo/2)/(hi/2-lo/2), -1), 2)
}

// style is the stroke attributes of series i.
func style(sr Series, i int) string {
	w := sr.Width
	if w <= 0 {
		w = 1.5
	}
	st := fmt.Sprintf(`fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" stroke-linecap="round"`, escape(color(sr, i)), num(w))
	if sr.Opacity > 0 && sr.Opacity < 1 {
		st += fmt.Sprintf(` stroke-opacity="%s"`, num(sr.Opacity))
	}
	return st
}

func color(sr Series, i int) string {
	if sr.Color != "" {
		return sr.Color
	}
	return Palette[i%len(Palette)]
}

func (s *svg) marker(x, y float64, sr Series, i int) {
	w := sr.Width
	if w <= 0 {
		w = 1.5
	}
	op := ""
	if sr.Opacity > 0 && sr.Opacity < 1 {
		op = fmt.Sprintf(` fill-opacity="%s"`, num(sr.Opacity))
	}
	s.printf(`<circle cx="%s" cy="%s" r="%s" fill="%s"%s/>`+"\n", num(x), num(y), num(w+1.5), escape(color(sr, i)), op)
}

// series draws the runs of finite points as polylines (a lone point as a
// marker) and, with Markers, a circle at every point.
func (s *svg) series(sr Series, i int, px, py func(float64) float64) {
	var run []Point
	flush := func() {
		switch {
		case len(run) == 1 && !sr.Markers:
			s.marker(px(run[0].X), py(run[0].Y), sr, i)
		case len(run) > 1:
			var b strings.Builder
			for j, p := range run {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(num(px(p.X)))
				b.WriteByte(',')
				b.WriteString(num(py(p.Y)))
			}
			s.printf(`<polyline points="%s" %s/>`+"\n", b.String(), style(sr, i))
		}
		run = run[:0]
	}
	for _, p := range sr.Points {
		if !finite(p.X) || !finite(p.Y) {
			flush()
			continue
		}
		run = append(run, p)
	}
	flush()
	if sr.Markers {
		for _, p := range sr.Points {
			if finite(p.X) && finite(p.Y) {
				s.marker(px(p.X), py(p.Y), sr, i)
			}
		}
	}
}

// num formats a coordinate with at most two decimals, without trailing
// zeros or a negative zero.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// escape XML-escapes text for element content and attribute values.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
