package colorize

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// truth is a colour image whose BT.601 luminance is integral: 33, 75, 47, 68.
func truth() (colour, gray *RGB) {
	px := [][4]uint8{{0, 30, 135, 33}, {0, 120, 40, 75}, {100, 0, 150, 47}, {110, 20, 205, 68}}
	colour, gray = NewRGB(2, 2), NewRGB(2, 2)
	for i, p := range px {
		colour.Set(i%2, i/2, p[0], p[1], p[2])
		gray.Set(i%2, i/2, p[3], p[3], p[3])
	}
	return colour, gray
}

func TestColorizationReward(t *testing.T) {
	colour, gray := truth()
	m3 := Colorfulness(colour)
	if m3 <= 0 {
		t.Fatalf("test image has colourfulness %v", m3)
	}
	// One level darker in luminance everywhere: all channels -1 → Y -1.
	darker := shifted(colour, 0)
	for i := range darker.Pix {
		if darker.Pix[i] > 0 {
			darker.Pix[i]--
		}
	}
	darkerSim := LuminanceSimilarity(darker, gray)
	tests := []struct {
		name   string
		output *RGB
		weight float64
		want   Reward
	}{
		// The true colours keep the input luminance: similarity 0.
		{"true colours", colour, 1, Reward{m3, 0, m3}},
		{"true colours vs colour input", colour, 5, Reward{m3, 0, m3}},
		// Returning the gray input: no colour, perfect luminance.
		{"gray output", gray, 1, Reward{0, 0, 0}},
		{"weight 0 is colourfulness", darker, 0, Reward{Colorfulness(darker), darkerSim, Colorfulness(darker)}},
		{"darker", darker, 2, Reward{Colorfulness(darker), darkerSim, Colorfulness(darker) + 2*darkerSim}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := gray
			if strings.Contains(tc.name, "colour input") {
				in = colour
			}
			got, err := ColorizationReward(tc.output, in, tc.weight)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Colorfulness-tc.want.Colorfulness) > 1e-12 || got.Similarity != tc.want.Similarity || math.Abs(got.Total-tc.want.Total) > 1e-12 {
				t.Errorf("reward %+v, want %+v", got, tc.want)
			}
		})
	}
	// Hand-computed: darker changes Y of pixel (0,30,135) to 0.587·29 + 0.114·134
	// = 32.299, i.e. by 0.701, and so on; check one pixel alone.
	one, oneGray := NewRGB(1, 1), NewRGB(1, 1)
	one.Set(0, 0, 0, 29, 134)
	oneGray.Set(0, 0, 33, 33, 33)
	if s := LuminanceSimilarity(one, oneGray); math.Abs(s-(-0.701)) > 1e-15 {
		t.Errorf("one pixel similarity %v, want -0.701", s)
	}
	// A gray output of the wrong brightness: −|Δ|.
	if r, _ := ColorizationReward(solid(2, 2, 10, 10, 10), solid(2, 2, 14, 14, 14), 1); r.Similarity != -4 || r.Total != -4 || r.Colorfulness != 0 {
		t.Errorf("gray vs gray: %+v", r)
	}
	for _, w := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := ColorizationReward(colour, gray, w); err == nil {
			t.Errorf("weight %v accepted", w)
		}
	}
	if _, err := ColorizationReward(colour, NewRGB(3, 2), 1); err == nil {
		t.Error("size mismatch accepted")
	}
	if s := LuminanceSimilarity(colour, NewRGB(1, 1)); !math.IsNaN(s) {
		t.Errorf("size mismatch similarity %v, want NaN", s)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	// A gray PNG loads as R = G = B; the fixture's camera.png is grayscale L.
	cam, err := Load(filepath.Join(fixtureDir(t, "colorfulness"), "camera.png"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(cam.Pix); i += 3 {
		if cam.Pix[i] != cam.Pix[i+1] || cam.Pix[i] != cam.Pix[i+2] {
			t.Fatalf("gray pixel %d not R=G=B", i/3)
		}
	}
	// NRGBA with transparency: the raw colour is kept, alpha dropped.
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 0})
	nrgba.SetNRGBA(1, 0, color.NRGBA{1, 2, 3, 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, nrgba); err != nil {
		t.Fatal(err)
	}
	m, err := Decode(&buf)
	if err != nil || !bytes.Equal(m.Pix, []uint8{200, 100, 50, 1, 2, 3}) {
		t.Errorf("NRGBA: %v %v", m, err)
	}
	// A paletted image goes through the generic path.
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.RGBA{9, 8, 7, 255}})
	if got := FromImage(pal); !bytes.Equal(got.Pix, []uint8{9, 8, 7}) {
		t.Errorf("paletted: %v", got.Pix)
	}
	// JPEG decodes (values approximate: lossy).
	buf.Reset()
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	jp := filepath.Join(dir, "x.jpg")
	if err := os.WriteFile(jp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := Load(jp); err != nil || m.Width != 8 {
		t.Errorf("jpeg: %v", err)
	}
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "decode "+bad) {
		t.Errorf("bad file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.png")); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
}
