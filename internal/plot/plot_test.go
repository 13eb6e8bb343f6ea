package plot

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/testfix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi float64
		target int
		want   []float64
	}{
		{"unit", 0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"steps", 10, 1200, 6, []float64{0, 200, 400, 600, 800, 1000, 1200}},
		{"loss", 0.9474, 4.3335, 5, []float64{0, 1, 2, 3, 4, 5}},
		{"loss finer", 0.9474, 4.3335, 8, []float64{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5}},
		{"metrics", 0.235, 1.0303, 4, []float64{0.2, 0.4, 0.6, 0.8, 1, 1.2}},
		{"negative", -3, 7, 5, []float64{-4, -2, 0, 2, 4, 6, 8}},
		{"reversed", 7, -3, 5, []float64{-4, -2, 0, 2, 4, 6, 8}},
		{"exact ends", 0.3, 0.7, 4, []float64{0.3, 0.4, 0.5, 0.6, 0.7}},
		{"small", 0.0001, 0.00035, 5, []float64{0.0001, 0.00015, 0.0002, 0.00025, 0.0003, 0.00035}},
		{"large", 1.2e6, 4.9e6, 4, []float64{1e6, 2e6, 3e6, 4e6, 5e6}},
		{"target one", 3, 97, 1, []float64{0, 100}},
		{"target zero is one", 3, 97, 0, []float64{0, 100}},
		{"flat", 1, 1, 5, []float64{0.9, 0.95, 1, 1.05, 1.1}},
		{"flat negative", -2, -2, 4, []float64{-2.2, -2.1, -2, -1.9, -1.8}},
		{"flat zero", 0, 0, 5, []float64{-1, -0.5, 0, 0.5, 1}},
		{"numerically flat", 1, 1 + 1e-12, 5, []float64{0.9, 0.95, 1, 1.05, 1.1}},
		{"NaN", math.NaN(), 1, 5, nil},
		{"Inf", 0, math.Inf(1), 5, nil},
		{"too wide", -math.MaxFloat64, math.MaxFloat64, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Ticks(tc.lo, tc.hi, tc.target)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Ticks(%v, %v, %d) = %v, want %v", tc.lo, tc.hi, tc.target, got, tc.want)
			}
		})
	}
}

func TestTickLabels(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		target int
		want   string
	}{
		{0, 1, 5, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{10, 1200, 6, "0 200 400 600 800 1000 1200"},
		{0.3, 0.7, 4, "0.3 0.4 0.5 0.6 0.7"},
		{0.0001, 0.00035, 5, "0.00010 0.00015 0.00020 0.00025 0.00030 0.00035"},
		{-2, -2, 4, "-2.2 -2.1 -2.0 -1.9 -1.8"},
		{-3, 7, 5, "-4 -2 0 2 4 6 8"},
		{1.2e6, 4.9e6, 4, "1000000 2000000 3000000 4000000 5000000"},
		{1.2e7, 4.9e7, 4, "1e+07 2e+07 3e+07 4e+07 5e+07"},
		{0, 3e-7, 3, "0 1e-07 2e-07 3e-07"},
	} {
		a, ok := niceAxis(tc.lo, tc.hi, tc.target)
		if !ok {
			t.Fatalf("niceAxis(%v, %v) failed", tc.lo, tc.hi)
		}
		var got []string
		for k := a.k0; k <= a.k1; k++ {
			got = append(got, a.label(k))
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("labels of [%v, %v] = %q, want %q", tc.lo, tc.hi, s, tc.want)
		}
	}
}

// goldenFigure exercises two panels, shared x, markers, opacity, escaping.
func goldenFigure() Figure {
	var loss, avg []Point
	for i := 1; i <= 12; i++ {
		y := 4/float64(i) + 0.3*math.Sin(float64(i))
		loss = append(loss, Point{float64(i * 10), y})
	}
	for i := range loss {
		sum, n := 0.0, 0
		for j := max(0, i-2); j <= i; j++ {
			sum += loss[j].Y
			n++
		}
		avg = append(avg, Point{loss[i].X, sum / float64(n)})
	}
	return Figure{
		Title:  `run "a" <b> & c`,
		ShareX: true,
		Charts: []Chart{
			{Title: "training loss", XLabel: "step", YLabel: "loss", Series: []Series{
				{Name: "loss", Points: loss, Width: 1, Opacity: 0.4},
				{Name: "loss, mean of 3", Points: avg, Color: Palette[0], Width: 2.5},
			}},
			{Title: "validation", XLabel: "step", YLabel: "metric", Height: 140, Series: []Series{
				{Name: "CIDEr-D", Points: []Point{{40, 0.4}, {80, 0.9}, {120, 1.03}}, Markers: true},
				{Name: "BLEU-4", Points: []Point{{40, 0.2}, {80, 0.33}, {120, 0.4}}, Markers: true},
			}},
		},
	}
}

func render(t *testing.T, f Figure) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	checkXML(t, b.Bytes())
	return b.Bytes()
}

// checkXML fails unless data is well-formed XML with an <svg> root.
func checkXML(t *testing.T, data []byte) {
	t.Helper()
	if err := CheckSVG(data); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}

func TestGolden(t *testing.T) {
	got := render(t, goldenFigure())
	if again := render(t, goldenFigure()); !bytes.Equal(got, again) {
		t.Fatal("two renderings of the same figure differ")
	}
	testfix.Golden(t, filepath.Join("testdata", "figure.svg"), got, *update)
	for _, s := range []string{`run &#34;a&#34; &lt;b&gt; &amp; c`, ">CIDEr-D<", ">training loss<", `stroke-opacity="0.4"`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("SVG lacks %q", s)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name     string
		series   []Series
		has      []string // substrings the SVG must contain
		polyline int      // polylines drawn
		circles  int      // markers drawn (legend markers included)
	}{
		{name: "no series", polyline: 0, circles: 0},
		{name: "empty series", series: []Series{{Name: "empty"}}, has: []string{">empty<"}},
		{name: "single point", series: []Series{{Name: "one", Points: []Point{{5, 2}}}}, has: []string{">one<", ">5.0<", ">2.0<"}, circles: 1},
		{name: "flat", series: []Series{{Name: "flat", Points: []Point{{0, 3}, {1, 3}, {2, 3}}}}, has: []string{">2.6<", ">3.0<", ">3.4<"}, polyline: 1},
		{name: "all NaN", series: []Series{{Name: "nan", Points: []Point{{nan, 1}, {1, nan}, {inf, inf}}}}, has: []string{">nan<"}},
		{name: "NaN gap", series: []Series{{Name: "gap", Points: []Point{{0, 1}, {1, 2}, {2, nan}, {3, 1}, {4, 0}, {5, inf}, {6, 2}}}},
			polyline: 2, circles: 1},
		{name: "markers", series: []Series{{Name: "m", Points: []Point{{0, 1}, {1, nan}, {2, 3}}, Markers: true}}, circles: 3},
		{name: "unnamed", series: []Series{{Points: []Point{{0, 1}, {1, 2}}}}, polyline: 1},
		{name: "huge", series: []Series{{Name: "h", Points: []Point{{0, -math.MaxFloat64}, {1, math.MaxFloat64}}}}, polyline: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := render(t, Figure{Charts: []Chart{{Title: "edge", XLabel: "x", YLabel: "y", Series: tc.series}}})
			for _, s := range tc.has {
				if !bytes.Contains(svg, []byte(s)) {
					t.Errorf("SVG lacks %q:\n%s", s, svg)
				}
			}
			if n := bytes.Count(svg, []byte("<polyline")); n != tc.polyline {
				t.Errorf("%d polylines, want %d", n, tc.polyline)
			}
			if n := bytes.Count(svg, []byte("<circle")); n != tc.circles {
				t.Errorf("%d circles, want %d", n, tc.circles)
			}
			for _, bad := range []string{"NaN", "Inf"} {
				if bytes.Contains(svg, []byte(bad)) {
					t.Errorf("SVG contains %s:\n%s", bad, svg)
				}
			}
		})
	}
}

func TestNoCharts(t *testing.T) {
	svg := render(t, Figure{Title: "nothing"})
	if !bytes.Contains(svg, []byte(">nothing<")) {
		t.Errorf("SVG %s", svg)
	}
}

func TestChartWriteSVG(t *testing.T) {
	var b bytes.Buffer
	c := Chart{Title: "one", Series: []Series{{Name: "s", Points: []Point{{0, 0}, {1, 1}}}}}
	if err := c.WriteSVG(&b, 300); err != nil {
		t.Fatal(err)
	}
	checkXML(t, b.Bytes())
	if !bytes.Contains(b.Bytes(), []byte(`width="300"`)) {
		t.Errorf("width not 300:\n%s", b.Bytes())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	if err := goldenFigure().WriteSVG(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err %v, want disk full", err)
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", -0.001: "0", 1.5: "1.5", 100: "100", 2.345: "2.35", -7.1: "-7.1", 0.005: "0.01"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
