package colorize

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestColorfulnessFixtures(t *testing.T) {
	dir := fixtureDir(t, "colorfulness")
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Images map[string]struct {
			Width, Height int
			M3            float64 `json:"M3"`
			Components    struct {
				StdRG  float64 `json:"std_rg"`
				StdYB  float64 `json:"std_yb"`
				MeanRG float64 `json:"mean_rg"`
				MeanYB float64 `json:"mean_yb"`
			} `json:"components"`
		} `json:"images"`
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Images) != 4 {
		t.Fatalf("%d images in expected.json", len(want.Images))
	}
	for name, w := range want.Images {
		t.Run(name, func(t *testing.T) {
			img, err := Load(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != w.Width || img.Height != w.Height {
				t.Fatalf("size %dx%d, want %dx%d", img.Width, img.Height, w.Width, w.Height)
			}
			c := ColorfulnessComponents(img)
			for _, v := range []struct {
				what      string
				got, want float64
			}{
				{"M3", c.M3, w.M3}, {"std_rg", c.StdRG, w.Components.StdRG}, {"std_yb", c.StdYB, w.Components.StdYB},
				{"mean_rg", c.MeanRG, w.Components.MeanRG}, {"mean_yb", c.MeanYB, w.Components.MeanYB},
			} {
				if math.Abs(v.got-v.want) > 1e-9*max(1, math.Abs(v.want)) {
					t.Errorf("%s = %.17g, want %.17g", v.what, v.got, v.want)
				}
			}
			if Colorfulness(img) != c.M3 {
				t.Error("Colorfulness differs from its components' M3")
			}
		})
	}
}

func solid(w, h int, r, g, b uint8) *RGB {
	m := NewRGB(w, h)
	for y := range h {
		for x := range w {
			m.Set(x, y, r, g, b)
		}
	}
	return m
}

func TestColorfulnessHandComputed(t *testing.T) {
	// Red and blue pixels: rg = 255, 0; yb = 127.5, -255.
	redBlue := NewRGB(2, 1)
	redBlue.Set(0, 0, 255, 0, 0)
	redBlue.Set(1, 0, 0, 0, 255)
	gray := NewRGB(3, 1)
	gray.Set(0, 0, 0, 0, 0)
	gray.Set(1, 0, 77, 77, 77)
	gray.Set(2, 0, 255, 255, 255)
	tests := []struct {
		name string
		img  *RGB
		want float64
	}{
		{"gray", gray, 0},
		{"black", solid(4, 4, 0, 0, 0), 0},
		// Uniform colour: no spread, M3 = 0.3·|mean|; rg = 200, yb = 100 - 10 = 90.
		{"uniform", solid(5, 3, 200, 0, 10), 0.3 * math.Hypot(200, 90)},
		{"red and blue", redBlue, math.Hypot(127.5, 191.25) + 0.3*math.Hypot(127.5, -63.75)},
		{"malformed", &RGB{Width: 2, Height: 2}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Colorfulness(tc.img); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("M3 = %.17g, want %.17g", got, tc.want)
			}
		})
	}
}
