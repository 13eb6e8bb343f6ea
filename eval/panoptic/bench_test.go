package panoptic

import (
	"path/filepath"
	"testing"

	"rewardvision/dataset/coco"
)

func benchEvaluate(b *testing.B, name string, workers int) {
	dir := fixtureDir(b, name)
	for b.Loop() {
		if _, err := Evaluate(filepath.Join(dir, "gt.json"), filepath.Join(dir, "gt"),
			filepath.Join(dir, "pred.json"), filepath.Join(dir, "pred"), Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateSmall: the whole small fixture (20 images, JSON + PNGs).
func BenchmarkEvaluateSmall(b *testing.B) { benchEvaluate(b, "panoptic/small", 0) }

// BenchmarkEvaluateReal2: two real 640-wide COCO images.
func BenchmarkEvaluateReal2(b *testing.B) { benchEvaluate(b, "panoptic/real2", 0) }

// BenchmarkMatchImage: matching alone (the reward's cost), decoded maps.
func BenchmarkMatchImage(b *testing.B) {
	dir := fixtureDir(b, "panoptic/real2")
	gt, err := LoadFile(filepath.Join(dir, "gt.json"))
	if err != nil {
		b.Fatal(err)
	}
	pred, err := LoadFile(filepath.Join(dir, "pred.json"))
	if err != nil {
		b.Fatal(err)
	}
	cats, err := NewCategories(gt.Categories)
	if err != nil {
		b.Fatal(err)
	}
	gm, err := coco.ReadIDMap(filepath.Join(dir, "gt", gt.Annotations[0].FileName))
	if err != nil {
		b.Fatal(err)
	}
	pm, err := coco.ReadIDMap(filepath.Join(dir, "pred", pred.Annotations[0].FileName))
	if err != nil {
		b.Fatal(err)
	}
	gi := Image{Width: gm.Width, Height: gm.Height, IDs: gm.IDs, Segments: gt.Annotations[0].Segments}
	pi := Image{Width: pm.Width, Height: pm.Height, IDs: pm.IDs, Segments: pred.Annotations[0].Segments}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MatchImage(gi, pi, cats); err != nil {
			b.Fatal(err)
		}
	}
}
