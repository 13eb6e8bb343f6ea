package runner_test

import (
	"context"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"rewardvision/dataset/loader"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// TestLetterboxMatchesLoader pins the serving preprocessing to the
// training data path byte for byte: the same PNG through dataset/loader
// and through runner.Letterbox.
func TestLetterboxMatchesLoader(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 4))
	sizes := [][2]int{{64, 64}, {40, 25}, {25, 40}, {97, 31}, {10, 10}, {3, 200}}
	var recs []loader.Record
	var imgs []image.Image
	for i, s := range sizes {
		img := image.NewNRGBA(image.Rect(0, 0, s[0], s[1]))
		for p := range s[0] * s[1] {
			img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = uint8(rng.IntN(256)), uint8(p), uint8(3*p), 255
		}
		path := filepath.Join(dir, filepath.Base(t.Name())+string(rune('a'+i))+".png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		recs = append(recs, loader.Record{ImageID: int64(i + 1), Path: path, Width: s[0], Height: s[1]})
		imgs = append(imgs, img)
	}
	pad := [3]uint8{128, 128, 128}
	it, err := loader.New(context.Background(), recs, loader.Config{Size: 32, Pad: pad, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	samples, err := loader.All(it)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range samples {
		pix, lb := runner.Letterbox(imgs[i], 32, pad)
		if lb != s.Letterbox {
			t.Errorf("image %v: letterbox %+v, loader %+v", sizes[i], lb, s.Letterbox)
		}
		if !slices.Equal(pix, s.Pixels) {
			t.Errorf("image %v: pixels differ from the loader's", sizes[i])
		}
	}
}

func TestNormalize(t *testing.T) {
	in := task.Input{Size: 1, Channels: 3, Mean: [3]float32{0.5, 0.25, 0}, Std: [3]float32{0.5, 0.25, 1}, Pad: 0.5}
	got := runner.Normalize(nil, []uint8{255, 0, 51}, in)
	want := []float32{1, -1, 0.2}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("channel %d: %g, want %g", i, got[i], want[i])
		}
	}
	if c := runner.PadColor(in); c != [3]uint8{128, 128, 128} {
		t.Errorf("pad colour %v", c)
	}
}
