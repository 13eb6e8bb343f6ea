package batch

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPercentile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		q, want float64
	}{
		{0, 1}, {100, 10}, {50, 5.5}, {2.5, 1.225}, {97.5, 9.775},
	}
	for _, tc := range tests {
		if got := Percentile(xs, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Percentile(%v) = %v, want %v (numpy linear)", tc.q, got, tc.want)
		}
	}
	if got := Percentile([]float64{3}, 97.5); got != 3 {
		t.Errorf("one value: %v", got)
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("empty: want NaN")
	}
}

func TestResampleCountsDeterministic(t *testing.T) {
	a, b := make([]int, 7), make([]int, 7)
	ResampleCounts(a, 1, 3)
	ResampleCounts(b, 1, 3)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed and index: %v vs %v", a, b)
	}
	sum := 0
	for _, c := range a {
		sum += c
	}
	if sum != 7 {
		t.Errorf("counts %v sum to %d, want 7", a, sum)
	}
	ResampleCounts(b, 1, 4)
	if slices.Equal(a, b) {
		t.Errorf("resamples 3 and 4 drew the same multiset %v", a)
	}
}

func TestHistogram(t *testing.T) {
	got := Histogram([]float64{0, 0.1, 0.5, 0.99, 1, -3, 7}, 0, 1, 4)
	if want := []int{3, 0, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("Histogram = %v, want %v", got, want)
	}
}

func TestAssignKeys(t *testing.T) {
	tests := []struct {
		in   []ModelInfo
		want []string
	}{
		{[]ModelInfo{{Name: "d", Variant: "mle"}, {Name: "d2", Variant: "reward"}}, []string{"mle", "reward"}},
		{[]ModelInfo{{Name: "a", Variant: "mle"}, {Name: "b", Variant: "mle"}}, []string{"mle-a", "mle-b"}},
		{[]ModelInfo{{Name: "a", Variant: "mle", Version: 1}, {Name: "a", Variant: "mle", Version: 2}}, []string{"mle-a", "mle-a-v2"}},
	}
	for _, tc := range tests {
		if err := AssignKeys(tc.in); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range tc.in {
			got = append(got, in.Key)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("keys %v, want %v", got, tc.want)
		}
	}
}

func TestReadRecordsDropsPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.jsonl")
	full := "{\"image_id\":3,\"caption\":\"a red circle\"}\n{\"image_id\":1,\"skipped\":\"decode\"}\n"
	if err := os.WriteFile(path, []byte(full+`{"image_id":4,"capt`), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, size, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(full)) || len(recs) != 2 || *recs[3].Caption != "a red circle" || recs[1].Skipped != "decode" {
		t.Errorf("size %d (want %d), records %+v", size, len(full), recs)
	}
	if err := os.WriteFile(path, []byte("{\"image_id\":3}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRecords(path); err == nil || err.Error() != path+":2: invalid character 'o' in literal null (expecting 'u')" {
		t.Errorf("malformed line: %v", err)
	}
}

func TestSubsetShards(t *testing.T) {
	ds := &Dataset{}
	for id := 1; id <= 10; id++ {
		ds.Images = append(ds.Images, ImageRec{ID: id * 10})
	}
	ids := func(recs []ImageRec) (out []int) {
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(ds.Subset(7, 1, 3)); !slices.Equal(got, []int{20, 50}) {
		t.Errorf("limit 7 shard 1/3: %v", got)
	}
	var all []int
	for s := range 4 {
		all = append(all, ids(ds.Subset(0, s, 4))...)
	}
	slices.Sort(all)
	if !slices.Equal(all, ids(ds.Images)) {
		t.Errorf("4 shards cover %v", all)
	}
}
