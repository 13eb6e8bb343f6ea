package cocoeval

import (
	"math/rand/v2"
	"testing"
)

// randomWorld makes a ground truth and detections with score ties (scores
// from a few values), crowds, several categories and empty images.
func randomWorld(t *testing.T, seed uint64, nImg int) (*GroundTruth, []Detection) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	cats := []Category{{ID: 3}, {ID: 7}, {ID: 9}}
	var imgs []Image
	var anns []Annotation
	var dets []Detection
	for i := range nImg {
		id := 10 + 3*i // ids not 1..n, so ranks and ids differ
		imgs = append(imgs, Image{ID: id, Width: 200, Height: 200})
		for range rng.IntN(4) {
			b := box(rng.Float64()*150, rng.Float64()*150, 5+rng.Float64()*100, 5+rng.Float64()*100)
			anns = append(anns, Annotation{ID: len(anns) + 1, ImageID: id, CategoryID: cats[rng.IntN(3)].ID,
				BBox: b, Area: b[2] * b[3], IsCrowd: rng.IntN(10) == 0})
			// A jittered copy as a detection, sometimes of another class.
			for range rng.IntN(3) {
				d := b
				for j := range d {
					d[j] += rng.NormFloat64() * 4
				}
				d[2], d[3] = max(d[2], 1), max(d[3], 1)
				dets = append(dets, Detection{ImageID: id, CategoryID: cats[rng.IntN(3)].ID, BBox: d,
					Score: float64(rng.IntN(5)) / 4})
			}
		}
		for range rng.IntN(2) {
			dets = append(dets, Detection{ImageID: id, CategoryID: cats[rng.IntN(3)].ID,
				BBox: box(rng.Float64()*150, rng.Float64()*150, 20, 20), Score: float64(rng.IntN(5)) / 4})
		}
	}
	gt, err := NewGroundTruth(imgs, cats, anns)
	if err != nil {
		t.Fatal(err)
	}
	return gt, dets
}

// expand builds the dataset Resample stands for: counts[r] copies of the
// r-th image (ascending id), numbered consecutively.
func expand(t *testing.T, gt *GroundTruth, dets []Detection, ids []int, counts []int) (*GroundTruth, []Detection) {
	t.Helper()
	newIDs := map[int][]int{}
	var imgs []Image
	for r, c := range counts {
		for range c {
			nid := len(imgs) + 1
			imgs = append(imgs, Image{ID: nid, Width: 200, Height: 200})
			newIDs[ids[r]] = append(newIDs[ids[r]], nid)
		}
	}
	var anns []Annotation
	for _, a := range gt.Annotations {
		for _, nid := range newIDs[a.ImageID] {
			b := a
			b.ID = len(anns) + 1
			b.ImageID = nid
			anns = append(anns, b)
		}
	}
	var out []Detection
	// Detections in file order per copy: copy j of every image's detections.
	for _, d := range dets {
		for _, nid := range newIDs[d.ImageID] {
			e := d
			e.ImageID = nid
			out = append(out, e)
		}
	}
	g2, err := NewGroundTruth(imgs, gt.Categories, anns)
	if err != nil {
		t.Fatal(err)
	}
	return g2, out
}

func TestResampleEqualsExpandedEvaluate(t *testing.T) {
	for seed := range uint64(8) {
		gt, dets := randomWorld(t, seed, 40)
		m, err := Match(gt, dets, Params{})
		if err != nil {
			t.Fatal(err)
		}
		full, err := Evaluate(gt, dets, Params{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Result(); got.Stats != full.Stats {
			t.Fatalf("seed %d: Result %+v, Evaluate %+v", seed, got.Stats, full.Stats)
		}
		ids := m.ImageIDs()
		ones := make([]int, len(ids))
		for i := range ones {
			ones[i] = 1
		}
		if got, _ := m.Resample(ones, 1); got.Stats != full.Stats {
			t.Fatalf("seed %d: all-ones resample %+v, Evaluate %+v", seed, got.Stats, full.Stats)
		}
		rng := rand.New(rand.NewPCG(seed, 2))
		for rep := range 5 {
			counts := make([]int, len(ids))
			for range ids {
				counts[rng.IntN(len(ids))]++
			}
			got, err := m.Resample(counts, 1+rep%2)
			if err != nil {
				t.Fatal(err)
			}
			g2, d2 := expand(t, gt, dets, ids, counts)
			want, err := Evaluate(g2, d2, Params{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Stats != want.Stats {
				t.Errorf("seed %d rep %d:\nresample %+v\nexpanded %+v", seed, rep, got.Stats, want.Stats)
			}
			if got.Counts != want.Counts {
				t.Errorf("seed %d rep %d: counts %+v, want %+v", seed, rep, got.Counts, want.Counts)
			}
			for id, ap := range want.PerCategoryAP {
				if got.PerCategoryAP[id] != ap {
					t.Errorf("seed %d rep %d: category %d AP %v, want %v", seed, rep, id, got.PerCategoryAP[id], ap)
				}
			}
		}
	}
}

func TestResampleErrors(t *testing.T) {
	gt, dets := randomWorld(t, 1, 3)
	m, err := Match(gt, dets, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Resample([]int{1, 1}, 1); err == nil || err.Error() != "resample: 2 counts for 3 images" {
		t.Errorf("short counts: %v", err)
	}
	if _, err := m.Resample([]int{1, -1, 1}, 1); err == nil || err.Error() != "resample: negative count -1 for image rank 1" {
		t.Errorf("negative count: %v", err)
	}
}
