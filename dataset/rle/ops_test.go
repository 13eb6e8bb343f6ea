package rle

import (
	"math/rand/v2"
	"testing"
)

func TestMergeAndIoUBrute(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 200; it++ {
		h, w := 1+rng.IntN(9), 1+rng.IntN(9)
		ma, mb := bruteMask(rng, h, w, rng.Float64()), bruteMask(rng, h, w, rng.Float64())
		a, _ := FromMask(ma, h, w)
		b, _ := FromMask(mb, h, w)
		inter, union, areaA := 0, 0, 0
		mu, mi := make([]byte, h*w), make([]byte, h*w)
		for i := range ma {
			if ma[i] != 0 && mb[i] != 0 {
				inter++
				mi[i] = 1
			}
			if ma[i] != 0 || mb[i] != 0 {
				union++
				mu[i] = 1
			}
			if ma[i] != 0 {
				areaA++
			}
		}
		wantU, _ := FromMask(mu, h, w)
		wantI, _ := FromMask(mi, h, w)
		gotU, err := Merge([]RLE{a, b}, false)
		if err != nil || !gotU.Equal(wantU) {
			t.Fatalf("union %v (%v), want %v", gotU.Counts, err, wantU.Counts)
		}
		gotI, err := Merge([]RLE{a, b}, true)
		if err != nil || !gotI.Equal(wantI) {
			t.Fatalf("intersection %v (%v), want %v", gotI.Counts, err, wantI.Counts)
		}
		if got := Intersection(a, b); got != inter {
			t.Fatalf("Intersection %d, want %d", got, inter)
		}
		want := 0.0
		if inter > 0 {
			want = float64(inter) / float64(union)
		}
		wantCrowd := 0.0
		if inter > 0 {
			wantCrowd = float64(inter) / float64(areaA)
		}
		ious := IoU([]RLE{a}, []RLE{b, b}, []bool{false, true})
		if ious[0][0] != want || ious[0][1] != wantCrowd {
			t.Fatalf("IoU %v, want [%v %v]", ious[0], want, wantCrowd)
		}
	}
}

func TestMergeCases(t *testing.T) {
	a := RLE{2, 2, []uint32{0, 1, 0, 1, 2}} // zero-length runs, not canonical
	one, err := Merge([]RLE{a}, false)
	if err != nil || !one.Equal(RLE{2, 2, []uint32{0, 2, 2}}) {
		t.Errorf("Merge of one = %v, %v; want canonical [0 2 2]", one.Counts, err)
	}
	if _, err := Merge(nil, false); err == nil {
		t.Error("Merge(nil) succeeded")
	}
	if _, err := Merge([]RLE{a, {2, 3, []uint32{6}}}, false); err == nil {
		t.Error("Merge of different sizes succeeded")
	}
	if _, err := Merge([]RLE{a, {2, 2, []uint32{3}}}, false); err == nil {
		t.Error("Merge of an invalid mask succeeded")
	}
}

func TestPairIoUSizeMismatch(t *testing.T) {
	if got := PairIoU(RLE{2, 2, []uint32{0, 4}}, RLE{2, 3, []uint32{0, 6}}, false); got != -1 {
		t.Errorf("PairIoU of different sizes = %v, want -1", got)
	}
}

func BenchmarkPairIoU(b *testing.B) {
	x, _ := FromBBox([4]float64{10, 20, 200, 150}, 480, 640)
	y, _ := FromPolygon([]float64{50, 40, 300, 60, 250, 300, 30, 200}, 480, 640)
	b.ReportAllocs()
	for b.Loop() {
		PairIoU(x, y, false)
	}
}

func BenchmarkFromPolygon(b *testing.B) {
	p := []float64{281.37, 250.55, 266.19, 272.87, 229.55, 282.12, 192.92, 272.87, 177.74, 250.55, 192.92, 228.23, 229.55, 218.99, 266.19, 228.23}
	for b.Loop() {
		if _, err := FromPolygon(p, 480, 640); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromString(b *testing.B) {
	const s = "nVo16^;7I6I7J6J6J6J6J6J6J6J6J7I6J6I7J6J6J6J6J6J6J6K4M2N2N2O1N1O2N2N2N2O1N1O2N2N2O1N2N1O2N2N2O1N2N1O2N2N2O1N1O2N2N2N2O1N1O2N2N2N2O1N1O2N2N2O1N2N1O2N2N2O1N1O2N2N2N2O1N1O2N2N2N2O1N1O2O1O0O1000001N1000001O0O1000001N1000001O0O1000001O0O10001O0O1000001O0O10001O0O1000001O0O10001O0O1000001O0O1000000O100000000O1000000O100000000O100000000O1000000O100000000O1000000000000001O0"
	for b.Loop() {
		decodeCounts(s)
	}
}
