package cocoeval

import (
	"math"
	"testing"
)

func TestDetectionRewardHandComputed(t *testing.T) {
	a := Box{BBox: [4]float64{0, 0, 10, 10}, Class: 1}
	b := Box{BBox: [4]float64{50, 50, 20, 10}, Class: 2}
	// 70% of a: IoU 0.7, which is > t only for t = .50, .55, .60, .65.
	a70 := Box{BBox: [4]float64{0, 0, 10, 7}, Class: 1}
	// Between two same-class boxes, closer to the first.
	c1 := Box{BBox: [4]float64{0, 0, 10, 10}, Class: 3}
	c2 := Box{BBox: [4]float64{2, 0, 10, 10}, Class: 3}
	between := Box{BBox: [4]float64{1, 0, 10, 10}, Class: 3}
	weighted := NewDetectionReward(map[int]float64{1: 2, 2: 0.5})
	plain := NewDetectionReward(nil)

	tests := []struct {
		name       string
		r          DetectionReward
		preds, gts []Box
		want       float64
	}{
		{"perfect prediction", weighted, []Box{b, a}, []Box{a, b}, 1},
		{"empty prediction", weighted, nil, []Box{a, b}, 0},
		// One gt of weight w: +w for the best, -0.3w for the copy.
		{"duplicate box", plain, []Box{a, a}, []Box{a}, 0.7},
		{"two duplicates", plain, []Box{a, a, a}, []Box{a}, 0.4},
		{"wrong class", plain, []Box{{BBox: a.BBox, Class: 2}}, []Box{a}, 0},
		{"IoU 0.7 matches at 4 of 10 thresholds", plain, []Box{a70}, []Box{a}, 0.4},
		// Only class 1 (w=2) found out of total weight 2.5.
		{"class weights", weighted, []Box{a}, []Box{a, b}, 0.8},
		{"false positive costs nothing", plain, []Box{a, b}, []Box{a}, 1},
		{"no ground truth", plain, []Box{a}, nil, 0},
		// IoU(between, c1) = IoU(between, c2) = 90/110; the tie goes to c1,
		// c2 is missed: 1 of 2 at every threshold (0.818 > .95 fails only
		// above .80). Thresholds .50-.80 (7): 0.5 each, .85-.95: 0.
		{"prediction between two boxes counts once", plain, []Box{between}, []Box{c1, c2}, 0.35},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Score(tc.preds, tc.gts); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Score = %v, want %v (per threshold %v)", got, tc.want, tc.r.PerThreshold(tc.preds, tc.gts))
			}
		})
	}
}

func TestDetectionRewardDegenerateBoxes(t *testing.T) {
	r := NewDetectionReward(nil)
	nan := Box{BBox: [4]float64{math.NaN(), 0, 1, 1}, Class: 1}
	zero := Box{BBox: [4]float64{0, 0, 0, 0}, Class: 1}
	got := r.Score([]Box{nan, zero}, []Box{zero, nan})
	if math.IsNaN(got) || got != 0 {
		t.Errorf("Score of degenerate boxes = %v, want 0", got)
	}
}

func TestClassWeights(t *testing.T) {
	// Σn = 400, 0.05Σn = 20: raw 1/120, 1/320, 1/20 (sum 59/960), rescaled
	// to sum 3: 24/59, 9/59, 144/59.
	w, err := ClassWeights(map[int]float64{1: 100, 2: 300, 3: 0})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]float64{1: 24.0 / 59, 2: 9.0 / 59, 3: 144.0 / 59}
	for c, v := range want {
		if math.Abs(w[c]-v) > 1e-12 {
			t.Errorf("w[%d] = %.15g, want %.15g", c, w[c], v)
		}
	}
	// Equal counts give weight 1 each.
	w, err = ClassWeights(map[int]float64{5: 7, 9: 7})
	if err != nil || math.Abs(w[5]-1) > 1e-12 || math.Abs(w[9]-1) > 1e-12 {
		t.Errorf("equal counts: %v, %v; want 1, 1", w, err)
	}
	for name, bad := range map[string]map[int]float64{
		"negative": {1: -1, 2: 3},
		"NaN":      {1: math.NaN()},
		"infinite": {1: math.Inf(1)},
		"all zero": {1: 0, 2: 0},
		"empty":    {},
	} {
		if _, err := ClassWeights(bad); err == nil {
			t.Errorf("%s counts accepted", name)
		}
	}
}

func TestGroundTruthBoxesScorePerfect(t *testing.T) {
	gt, err := parseGroundTruth([]byte(miniGT), "gt.json")
	if err != nil {
		t.Fatal(err)
	}
	boxes := gt.Boxes(1)
	if len(boxes) != 1 || boxes[0] != (Box{BBox: [4]float64{1, 1, 4, 4}, Class: 7}) {
		t.Fatalf("Boxes(1) = %v", boxes)
	}
	if b := gt.Boxes(2); len(b) != 0 {
		t.Errorf("Boxes(2) = %v, want none (crowd only)", b)
	}
	if r := NewDetectionReward(nil).Score(boxes, gt.Boxes(1)); math.Abs(r-1) > 1e-12 {
		t.Errorf("perfect reward %v, want 1", r)
	}
}

// TestClassWeightsDeterministic: the weights are the same bits on every
// call (sums in class order, not map order); many classes make a map-order
// sum differ in the last bit.
func TestClassWeightsDeterministic(t *testing.T) {
	counts := map[int]float64{}
	for c := 1; c <= 40; c++ {
		counts[c] = float64(c*c%17) + 0.1*float64(c)
	}
	first, err := ClassWeights(counts)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		w, _ := ClassWeights(counts)
		for c, v := range first {
			if w[c] != v {
				t.Fatalf("class %d: %v then %v", c, v, w[c])
			}
		}
	}
}
