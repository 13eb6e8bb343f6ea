package cocoeval

import "testing"

// The phases of BenchmarkPerf5k (perf5k_test.go) one at a time.

func BenchmarkGunzipPerf5k(b *testing.B) {
	gtPath, dtPath, _ := perf5kFiles(b)
	for b.Loop() {
		if _, err := readFile(gtPath); err != nil {
			b.Fatal(err)
		}
		if _, err := readFile(dtPath); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGroundTruthPerf5k(b *testing.B) {
	gtPath, _, _ := perf5kFiles(b)
	data, err := readFile(gtPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseGroundTruth(data, gtPath); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResultsPerf5k(b *testing.B) {
	_, dtPath, _ := perf5kFiles(b)
	data, err := readFile(dtPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseResults(data, dtPath); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluatePerf5k is evaluate + accumulate + summarize on loaded
// inputs, with all workers and with one.
func BenchmarkEvaluatePerf5k(b *testing.B) {
	gtPath, dtPath, _ := perf5kFiles(b)
	gt, dets, err := LoadFiles(gtPath, dtPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range []int{0, 1} {
		name := "workers=all"
		if w == 1 {
			name = "workers=1"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Evaluate(gt, dets, Params{Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluateSegmSmall is a segm evaluation of coco-det/small (300
// images, masks from polygons, uncompressed and compressed RLE), load
// included; ground-truth masks are decoded on every iteration.
func BenchmarkEvaluateSegmSmall(b *testing.B) {
	gtPath, dtPath := fixtureFile(b, "small", "gt.json"), fixtureFile(b, "small", "dets_segm.json")
	for b.Loop() {
		gt, dets, err := LoadFiles(gtPath, dtPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Evaluate(gt, dets, Params{IoUType: IoUSegm}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetectionReward(b *testing.B) {
	var gts, preds []Box
	for i := range 20 {
		x := float64(i * 30)
		gts = append(gts, Box{BBox: [4]float64{x, 10, 25, 40}, Class: i % 5})
		preds = append(preds, Box{BBox: [4]float64{x + 1, 11, 25, 38}, Class: i % 5}, Box{BBox: [4]float64{x + 3, 9, 20, 40}, Class: i % 5})
	}
	r := NewDetectionReward(nil)
	for b.Loop() {
		r.Score(preds, gts)
	}
}
