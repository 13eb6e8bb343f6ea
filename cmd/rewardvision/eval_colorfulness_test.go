package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/internal/cli"
	"rewardvision/internal/testfix"
)

// colorFixture is file of the colorfulness fixture (the shared one, else
// the repository's copy); "" names its folder.
func colorFixture(t testing.TB, file string) string {
	t.Helper()
	return filepath.Join(testfix.Dir(t, "colorfulness"), file)
}

func TestEvalColorfulnessJSON(t *testing.T) {
	data, err := os.ReadFile(colorFixture(t, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Images map[string]struct{ M3 float64 } `json:"images"`
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	names := []string{"astronaut.png", "chelsea.png", "coffee.png", "camera.png"}
	args := []string{"--json", "--ref", colorFixture(t, ""), "--input", colorFixture(t, ""), "--weight", "2"}
	for _, n := range names {
		args = append(args, colorFixture(t, n))
	}
	var out bytes.Buffer
	if err := evalColorfulnessCommand(&out).Run(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Images []map[string]any `json:"images"`
		Mean   map[string]any   `json:"mean"`
		Meta   map[string]any   `json:"meta"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(got.Images) != 4 {
		t.Fatalf("%d images", len(got.Images))
	}
	sum := 0.0
	for i, im := range got.Images {
		w := want.Images[names[i]].M3
		c := im["colorfulness"].(float64)
		sum += c
		if im["file"] != colorFixture(t, names[i]) || math.Abs(c-w) > 1e-9 {
			t.Errorf("image %d: %v, want %s M3 %v", i, im, names[i], w)
		}
		// Against itself: PSNR +Inf (null), SSIM 1, similarity 0, reward = M3.
		if psnr, ok := im["psnr"]; !ok || psnr != nil || im["ssim"].(float64) != 1 || im["similarity"].(float64) != 0 || im["reward"].(float64) != c {
			t.Errorf("image %d self-comparison: psnr %v %v, %v", i, psnr, ok, im)
		}
	}
	if m := got.Mean["colorfulness"].(float64); math.Abs(m-sum/4) > 1e-12 {
		t.Errorf("mean %v, want %v", m, sum/4)
	}
	if p, ok := got.Mean["psnr"]; !ok || p != nil {
		t.Errorf("mean psnr should be null (infinite), the key present: %v", got.Mean)
	}
	if got.Meta["ssim"] == nil || got.Meta["reward"] == nil {
		t.Errorf("meta %v", got.Meta)
	}
}

func TestEvalColorfulnessTable(t *testing.T) {
	var out bytes.Buffer
	if err := evalColorfulnessCommand(&out).Run(context.Background(), []string{colorFixture(t, "chelsea.png")}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "37.9574") || !strings.Contains(out.String(), "451x300") || strings.Contains(out.String(), "mean") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestEvalColorfulnessErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	// other/camera.png is chelsea: a reference of the wrong size.
	other := filepath.Join(dir, "other")
	chelsea, err := os.ReadFile(colorFixture(t, "chelsea.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "camera.png"), chelsea, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no images", nil, true, "no images given"},
		{"negative weight", []string{"--weight", "-1", colorFixture(t, "camera.png")}, true, "--weight -1"},
		{"undecodable", []string{colorFixture(t, "camera.png"), bad}, false, "decode " + bad},
		{"missing", []string{filepath.Join(dir, "none.png")}, false, "none.png"},
		{"missing reference", []string{"--ref", dir, colorFixture(t, "camera.png")}, false, "camera.png: reference"},
		{"missing input", []string{"--ref", colorFixture(t, ""), "--input", dir, colorFixture(t, "camera.png")}, false, "camera.png: input"},
		{"reference of another size", []string{"--ref", other, colorFixture(t, "camera.png")}, false, "size mismatch: prediction 512x512, reference 451x300"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := evalColorfulnessCommand(&bytes.Buffer{}).Run(context.Background(), tc.args)
			var ue *cli.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &ue) != tc.usage {
				t.Errorf("err = %v (usage %v), want %q (usage %v)", err, errors.As(err, &ue), tc.want, tc.usage)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "colorfulness", bad}, &out, &errb); code != 1 || !strings.HasPrefix(errb.String(), "rewardvision: decode "+bad) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if code := run([]string{"eval", "colorfulness"}, &out, &errb); code != 2 {
		t.Errorf("no images: exit %d, want 2", code)
	}
}
