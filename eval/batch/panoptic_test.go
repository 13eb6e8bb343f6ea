package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/dataset/coco"
	"rewardvision/dataset/shapes"
	"rewardvision/eval/panoptic"
	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// panopticEntry is the shipped panoptic entry the runner tests use; they
// assert no value of its own.
const panopticEntry = "../../assets/models/panoptic-mle/1"

// panopticSplit generates a small split and loads it as a panoptic
// dataset, the PNGs in panoptic/.
func panopticSplit(t *testing.T, n int) *Dataset {
	t.Helper()
	ds := shapesSplit(t, task.Panoptic, shapes.PanopticFile, n)
	if want := filepath.Join(filepath.Dir(ds.AnnPath), shapes.PanopticDir); ds.Panoptic.Dir != want {
		t.Fatalf("PNGs in %s, want %s", ds.Panoptic.Dir, want)
	}
	return ds
}

// truth is an image's ground-truth panoptic map and segments.
type truth struct {
	m    *coco.IDMap
	segs []coco.Segment
}

// fakePanoptic is a panoptic model that finds the image's ground truth
// (by its pixels) and returns what f makes of it.
type fakePanoptic struct {
	info ModelInfo
	gt   map[string]truth
	f    func(truth) (*coco.IDMap, []coco.Segment)
}

func (m fakePanoptic) Info() ModelInfo { return m.info }
func (m fakePanoptic) Close() error    { return nil }
func (m fakePanoptic) Predict(_ context.Context, img image.Image) (Output, error) {
	g, ok := m.gt[pixelKey(img)]
	if !ok {
		return Output{}, fmt.Errorf("fake: an image not in the split")
	}
	mp, segs := m.f(g)
	return Output{Map: mp, Segments: segs}, nil
}

func pixelKey(img image.Image) string {
	b := img.Bounds()
	var buf []byte
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			buf = append(buf, byte(r>>8), byte(g>>8), byte(bl>>8))
		}
	}
	return string(buf)
}

// newFakePanoptic reads ds's ground truth for a fake model named key.
func newFakePanoptic(t *testing.T, ds *Dataset, key string, f func(truth) (*coco.IDMap, []coco.Segment)) Model {
	t.Helper()
	p, err := coco.LoadPanoptic(ds.AnnPath)
	if err != nil {
		t.Fatal(err)
	}
	anns := map[int64]coco.PanopticAnnotation{}
	for _, a := range p.Annotations {
		anns[a.ImageID] = a
	}
	gt := map[string]truth{}
	for _, im := range ds.Images {
		img, err := DecodeImage(im)
		if err != nil {
			t.Fatal(err)
		}
		a := anns[int64(im.ID)]
		m, err := coco.ReadIDMap(filepath.Join(ds.Panoptic.Dir, a.FileName))
		if err != nil {
			t.Fatal(err)
		}
		gt[pixelKey(img)] = truth{m, a.SegmentsInfo}
	}
	return fakePanoptic{info: ModelInfo{Entry: key, Name: "fake-" + key, Version: 1, Task: task.Panoptic, Variant: key, Key: key}, gt: gt, f: f}
}

// exact returns the ground truth.
func exact(g truth) (*coco.IDMap, []coco.Segment) { return g.m, g.segs }

// shifted moves the map right by dx pixels (void comes in on the left)
// and gives every second segment the next category of its kind: matches
// lost and kept, false positives and negatives.
func shifted(dx int) func(truth) (*coco.IDMap, []coco.Segment) {
	return func(g truth) (*coco.IDMap, []coco.Segment) {
		m := coco.NewIDMap(g.m.Width, g.m.Height)
		for y := range m.Height {
			for x := dx; x < m.Width; x++ {
				m.IDs[y*m.Width+x] = g.m.IDs[y*m.Width+x-dx]
			}
		}
		present := map[uint32]bool{}
		for _, id := range m.IDs {
			present[id] = true
		}
		var segs []coco.Segment
		for j, s := range g.segs {
			if !present[uint32(s.ID)] {
				continue
			}
			if j%2 == 1 {
				if s.CategoryID <= 10 { // things 1..10, stuff 11..16
					s.CategoryID = s.CategoryID%10 + 1
				} else {
					s.CategoryID = (s.CategoryID-10)%6 + 11
				}
			}
			segs = append(segs, s)
		}
		return m, segs
	}
}

// runPanoptic runs models over ds into dir and scores them, writing the
// output files.
func runPanoptic(t *testing.T, ds *Dataset, dir string, models ...Model) *Evaluation {
	t.Helper()
	ev := runAndScore(t, ds, dir, models...)
	if err := WriteOutputs(dir, ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// evaluateFiles scores a variant's written prediction (panoptic.json and
// panoptic/) against the split with eval/panoptic, as panopticapi would.
func evaluateFiles(t *testing.T, ds *Dataset, dir, key string) *panoptic.Result {
	t.Helper()
	gt, err := panoptic.LoadFile(ds.AnnPath)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := panoptic.LoadFile(filepath.Join(dir, key, PanopticFile))
	if err != nil {
		t.Fatal(err)
	}
	r, err := panoptic.EvaluateFiles(context.Background(), gt, ds.Panoptic.Dir, pred, filepath.Join(dir, key, PanopticDir), panoptic.Options{Workers: 1, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPanopticScoresEqualEvaluateFiles: the dataset metrics are exactly
// eval/panoptic's on the prediction files the run writes (panoptic.json,
// panoptic/ID.png), and the per-image rewards its per-image PQ; the PNGs
// hold the model's maps; ground truth as output scores exactly 1.
func TestPanopticScoresEqualEvaluateFiles(t *testing.T) {
	ds := panopticSplit(t, 12)
	tests := []struct {
		name string
		f    func(truth) (*coco.IDMap, []coco.Segment)
		one  bool // every metric and reward exactly 1
	}{
		{"ground truth", exact, true},
		{"shifted 2 px", shifted(2), false},
		{"shifted 9 px", shifted(9), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newFakePanoptic(t, ds, "mle", tc.f)
			ev := runPanoptic(t, ds, dir, m)
			v := ev.Variants[0]
			r := evaluateFiles(t, ds, dir, "mle")
			want := map[string]float64{"PQ": r.All.PQ, "SQ": r.All.SQ, "RQ": r.All.RQ,
				"PQ_things": r.Things.PQ, "SQ_things": r.Things.SQ, "RQ_things": r.Things.RQ,
				"PQ_stuff": r.Stuff.PQ, "SQ_stuff": r.Stuff.SQ, "RQ_stuff": r.Stuff.RQ}
			rewards := map[string]float64{}
			sum := 0.0
			for _, im := range r.PerImage {
				rewards[string(im.ImageID)] = im.PQ
			}
			for i, id := range ev.ImageIDs {
				if got := v.Rewards[i]; got != rewards[strconv.Itoa(id)] {
					t.Errorf("image %d reward %v, eval/panoptic's image PQ %v", id, got, rewards[strconv.Itoa(id)])
				}
				sum += v.Rewards[i]
			}
			want[MetricReward] = sum / float64(len(ev.ImageIDs))
			if r.Things.N == 0 || r.Stuff.N == 0 {
				t.Fatalf("the split counts %d thing and %d stuff categories; want both", r.Things.N, r.Stuff.N)
			}
			for _, name := range MetricNames(task.Panoptic) {
				if v.Metrics[name] != want[name] {
					t.Errorf("%s = %v, eval/panoptic gives %v", name, v.Metrics[name], want[name])
				}
				if tc.one && v.Metrics[name] != 1 {
					t.Errorf("%s = %v for the ground truth, want 1", name, v.Metrics[name])
				}
			}
			if !tc.one && (v.Metrics["PQ"] <= 0 || v.Metrics["PQ"] >= 1) {
				t.Errorf("PQ %v of a perturbed output: want in (0, 1)", v.Metrics["PQ"])
			}
			// The PNGs hold the model's maps.
			for _, im := range ds.Images[:3] {
				img, _ := DecodeImage(im)
				out, _ := m.Predict(context.Background(), img)
				got, err := coco.ReadIDMap(filepath.Join(dir, "mle", PanopticDir, strconv.Itoa(im.ID)+".png"))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.IDs, out.Map.IDs) || got.Width != out.Map.Width {
					t.Errorf("image %d: the PNG differs from the model's map", im.ID)
				}
			}
			rw := readCSV(t, filepath.Join(dir, "mle", "rewards.csv"))
			if len(rw) != len(ev.ImageIDs)+1 || rw[1][1] != strconv.FormatFloat(v.Rewards[0], 'g', -1, 64) {
				t.Errorf("rewards.csv: %v", rw)
			}
			if _, err := json.Marshal(Metrics(ev, nil)); err != nil {
				t.Errorf("metrics.json: %v", err)
			}
		})
	}
}

// TestPanopticAB: a model against itself has Δ 0 with zero-width
// intervals and ties everywhere; the ground truth against a perturbed
// output wins every image, and the intervals hold the deltas.
func TestPanopticAB(t *testing.T) {
	ds := panopticSplit(t, 8)
	ev := runPanoptic(t, ds, t.TempDir(), newFakePanoptic(t, ds, "mle", shifted(3)), newFakePanoptic(t, ds, "reward", shifted(3)),
		newFakePanoptic(t, ds, "truth", exact))
	self := &Evaluation{Task: ev.Task, ImageIDs: ev.ImageIDs, Images: ev.Images, Variants: ev.Variants[:2], Dir: ev.Dir}
	ab, err := Compare(self, 0, 1, ABOptions{Resamples: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ab.Order, MetricNames(task.Panoptic)) {
		t.Errorf("A/B metrics %v, want %v", ab.Order, MetricNames(task.Panoptic))
	}
	for name, m := range ab.Metrics {
		if m.Delta != 0 || m.CI95 != [2]float64{0, 0} {
			t.Errorf("self A/B %s: Δ %v CI %v, want 0 [0, 0]", name, m.Delta, m.CI95)
		}
	}
	if ab.Rewards != (WinTieLoss{Tie: 8}) {
		t.Errorf("self A/B win/tie/loss %+v", ab.Rewards)
	}
	other := &Evaluation{Task: ev.Task, ImageIDs: ev.ImageIDs, Images: ev.Images, Variants: []*VariantResult{ev.Variants[0], ev.Variants[2]}, Dir: ev.Dir}
	ab, err = Compare(other, 0, 1, ABOptions{Resamples: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ab.Order {
		m := ab.Metrics[name]
		if m.CI95[0] > m.Delta || m.CI95[1] < m.Delta {
			t.Errorf("%s: Δ %v outside its interval %v", name, m.Delta, m.CI95)
		}
	}
	for _, name := range []string{"PQ", MetricReward} {
		if m := ab.Metrics[name]; m.B != 1 || m.CI95[0] <= 0 {
			t.Errorf("%s of the ground truth against a shifted map: %+v", name, m)
		}
	}
	if ab.Rewards != (WinTieLoss{Win: 8}) {
		t.Errorf("ground truth vs shifted win/tie/loss %+v", ab.Rewards)
	}
	// The resampled metrics over one copy of each image are the metrics.
	ones := make([]int, len(ev.ImageIDs))
	for i := range ones {
		ones[i] = 1
	}
	got, err := ev.Variants[0].resampled(task.Panoptic, ones)
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range MetricNames(task.Panoptic) {
		if got[k] != ev.Variants[0].Metrics[name] {
			t.Errorf("resampled %s = %v, want %v", name, got[k], ev.Variants[0].Metrics[name])
		}
	}
}

// TestPanopticResumeAndMerge: a run stopped halfway (a partial last line
// left) resumes to exactly a full run's numbers and files; shards joined
// by Merge (their PNGs copied) score exactly like one run.
func TestPanopticResumeAndMerge(t *testing.T) {
	ds := panopticSplit(t, 7)
	root := t.TempDir()
	m := newFakePanoptic(t, ds, "mle", shifted(4))
	info := RunInfo{Task: task.Panoptic, Ann: ds.AnnPath, Images: ds.ImageDir, Shards: 1, Models: []ModelInfo{m.Info()}}
	run := func(dir string, imgs []ImageRec, si RunInfo) RunStats {
		t.Helper()
		if err := Prepare(dir, si); err != nil {
			t.Fatal(err)
		}
		st, err := Run(context.Background(), dir, imgs, []Model{m}, Options{Concurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	score := func(dir string, info RunInfo) *Scored {
		t.Helper()
		sc, err := ScoreRun(dir, info, nil, ABOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	single := filepath.Join(root, "single")
	run(single, ds.Images, info)
	want := score(single, info)

	resumed := filepath.Join(root, "resumed")
	run(resumed, ds.Images[:3], info)
	f, err := os.OpenFile(OutputsFile(resumed, "mle"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"image_id":4,"segments_info":[{"id":`)
	f.Close()
	if st := run(resumed, ds.Images, info); st.Resumed != 3 || st.Done != 4 {
		t.Errorf("resume: %+v, want 3 resumed and 4 done", st)
	}

	var shards []string
	for s := range 3 {
		dir := filepath.Join(root, "shard"+strconv.Itoa(s))
		si := info
		si.Shard, si.Shards = s, 3
		run(dir, ds.Subset(0, s, 3), si)
		shards = append(shards, dir)
	}
	merged := filepath.Join(root, "merged")
	minfo, err := Merge([]string{shards[2], shards[0], shards[1]}, merged)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{resumed, merged} {
		got := score(dir, minfo)
		ja, _ := json.Marshal(want.Metrics.Variants)
		jb, _ := json.Marshal(got.Metrics.Variants)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: %s, single run %s", dir, jb, ja)
		}
		sameRecords(t, OutputsFile(single, "mle"), OutputsFile(dir, "mle"))
		for _, f := range []string{"mle/panoptic.json", "mle/rewards.csv", "mle/panoptic/3.png", "mle/panoptic/7.png"} {
			x, err1 := os.ReadFile(filepath.Join(single, f))
			y, err2 := os.ReadFile(filepath.Join(dir, f))
			if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
				t.Errorf("%s differs between the single run and %s (%v, %v)", f, dir, err1, err2)
			}
		}
	}
}

// TestPanopticBadInput: a map of another size stops the run; segments
// that do not agree with their map, unknown categories and missing files
// stop the scoring; each error names the image id and what is wrong.
func TestPanopticBadInput(t *testing.T) {
	ds := panopticSplit(t, 3)
	edit := func(f func(m *coco.IDMap, segs []coco.Segment) (*coco.IDMap, []coco.Segment)) func(truth) (*coco.IDMap, []coco.Segment) {
		return func(g truth) (*coco.IDMap, []coco.Segment) {
			m := &coco.IDMap{Width: g.m.Width, Height: g.m.Height, IDs: slices.Clone(g.m.IDs)}
			return f(m, slices.Clone(g.segs))
		}
	}
	tests := []struct {
		name string
		f    func(truth) (*coco.IDMap, []coco.Segment)
		run  bool // the run fails (else the scoring)
		want []string
	}{
		{"map of another size", func(truth) (*coco.IDMap, []coco.Segment) { return coco.NewIDMap(8, 8), nil }, true,
			[]string{"model mle on", "(image id 1)", "panoptic map of 8x8, the input is 64x64"}},
		{"no map", func(truth) (*coco.IDMap, []coco.Segment) { return nil, nil }, true,
			[]string{"(image id 1)", "no panoptic map"}},
		{"id missing from segments_info", edit(func(m *coco.IDMap, s []coco.Segment) (*coco.IDMap, []coco.Segment) { return m, s[1:] }), false,
			[]string{"model mle, image id 1", "mle/panoptic/1.png", "is in the PNG but not in segments_info"}},
		{"segment not in the map", edit(func(m *coco.IDMap, s []coco.Segment) (*coco.IDMap, []coco.Segment) {
			return m, append(s, coco.Segment{ID: 999, CategoryID: 1})
		}), false, []string{"model mle, image id 1", "segment id 999 (RGB 231,3,0) is in segments_info but not in the PNG"}},
		{"segment id 0", edit(func(m *coco.IDMap, s []coco.Segment) (*coco.IDMap, []coco.Segment) {
			s[0].ID = 0
			return m, s
		}), false, []string{"model mle, image id 1", "segments_info[0]: id 0 outside 1..16777215"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := newFakePanoptic(t, ds, "mle", tc.f)
			_, err := Run(context.Background(), dir, ds.Images, []Model{m}, Options{Concurrency: 1})
			if !tc.run {
				if err != nil {
					t.Fatal(err)
				}
				_, err = Score(ds, ds.Images, []ModelInfo{m.Info()}, dir, &TrainRewardSource{})
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	// A segment of a category the dataset lacks is left out (its pixels
	// void) and counted, not an error: a model trained on other labels
	// still scores on the rest.
	unknown := newFakePanoptic(t, ds, "mle", edit(func(m *coco.IDMap, s []coco.Segment) (*coco.IDMap, []coco.Segment) {
		s[0].CategoryID = 99
		return m, s
	}))
	udir := t.TempDir()
	if _, err := Run(context.Background(), udir, ds.Images, []Model{unknown}, Options{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	ev, err := Score(ds, ds.Images, []ModelInfo{unknown.Info()}, udir, &TrainRewardSource{})
	if err != nil {
		t.Fatal(err)
	}
	if v := ev.Variants[0]; v.DroppedUnknownCategory != 3 || !(v.Metrics["PQ"] < 1) || v.Metrics["PQ"] <= 0 {
		t.Errorf("unknown category: dropped %d (want one a image, 3), PQ %g (want in (0, 1))", v.DroppedUnknownCategory, v.Metrics["PQ"])
	}

	// Files gone or renamed after the run: scoring names them.
	m := newFakePanoptic(t, ds, "mle", exact)
	dir := t.TempDir()
	if _, err := Run(context.Background(), dir, ds.Images, []Model{m}, Options{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	score := func() error {
		_, err := Score(ds, ds.Images, []ModelInfo{m.Info()}, dir, &TrainRewardSource{})
		return err
	}
	gtPNG := filepath.Join(ds.Panoptic.Dir, shapes.FileName(2))
	data, _ := os.ReadFile(gtPNG)
	os.Remove(gtPNG)
	if err := score(); err == nil || !strings.Contains(err.Error(), "ground truth of image id 3") || !strings.Contains(err.Error(), gtPNG) {
		t.Errorf("missing ground-truth PNG: %v", err)
	}
	os.WriteFile(gtPNG, data, 0o644)
	gone := filepath.Join(dir, "mle", PanopticDir, "2.png")
	os.Remove(gone)
	if err := score(); err == nil || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), "image id 2") {
		t.Errorf("missing PNG: %v", err)
	}
	path := OutputsFile(dir, "mle")
	data, _ = os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(data, []byte(`"panoptic/1.png"`), []byte(`"../../x.png"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := score(); err == nil || !strings.Contains(err.Error(), `names panoptic output "../../x.png", want "panoptic/1.png"`) {
		t.Errorf("record naming another file: %v", err)
	}

	// The dataset: an image without its annotation.
	p, err := coco.LoadPanoptic(ds.AnnPath)
	if err != nil {
		t.Fatal(err)
	}
	p.Annotations = p.Annotations[1:]
	bad := filepath.Join(t.TempDir(), "panoptic.json")
	if err := coco.SavePanoptic(bad, p); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDataset(task.Panoptic, bad, ds.ImageDir); err == nil || !strings.Contains(err.Error(), "image 1 has no panoptic annotation") {
		t.Errorf("image without annotation: %v", err)
	}
	// A panoptic model for another task, and another task's for panoptic.
	if _, err := OpenEntry("../../assets/models/detection-mle/1", task.Panoptic, nil, ortrun.Device{}, runner.Options{}); err == nil ||
		!strings.Contains(err.Error(), "is a detection model") || !strings.Contains(err.Error(), "--task is panoptic") {
		t.Errorf("detection entry for panoptic: %v", err)
	}
}

// panopticStandIn serves m as a server would: GET /v1/models lists it with
// the manifest, POST /v1/panoptic answers api.PanopticResponse (the map as
// a COCO panoptic PNG).
func panopticStandIn(t *testing.T, m Model, manifest []byte) *httptest.Server {
	t.Helper()
	man, err := repo.Parse(manifest)
	if err != nil {
		t.Fatal(err)
	}
	ref := api.ModelRef{Name: man.Name, Version: man.Version, Variant: man.Variant}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.ModelsResponse{Models: []api.ModelInfo{
			{Name: man.Name, Version: man.Version, Task: api.TaskPanoptic, Variant: man.Variant, Ready: true, Manifest: manifest}}})
	})
	mux.HandleFunc("POST /v1/panoptic", func(w http.ResponseWriter, r *http.Request) {
		img, _, err := image.Decode(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out, err := m.Predict(r.Context(), img)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var b bytes.Buffer
		if err := coco.EncodeIDMap(&b, out.Map); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		res := api.PanopticResponse{Model: ref, PNG: b.Bytes(), SegmentsInfo: []api.Segment{}}
		for _, s := range out.Segments {
			res.SegmentsInfo = append(res.SegmentsInfo, api.Segment{ID: int(s.ID), CategoryID: int(s.CategoryID), Label: "x",
				Area: int(s.Area), BBox: s.BBox, IsCrowd: s.IsCrowd})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(res)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

// TestPanopticThroughServer: with --server, each image goes to POST
// /v1/panoptic and the answer's PNG and segments are kept: a server
// answering what the in-process model computes gives the same files and
// scores. The server is a stand-in speaking the API.
func TestPanopticThroughServer(t *testing.T) {
	ds := panopticSplit(t, 5)
	local := newFakePanoptic(t, ds, "mle", shifted(3))
	manifest, err := os.ReadFile(filepath.Join("testdata", "panoptic-model.json"))
	if err != nil {
		t.Fatal(err)
	}
	hs := panopticStandIn(t, local, manifest)
	c, err := api.NewClient(hs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := OpenServer(context.Background(), c, hs.URL, "mle", task.Panoptic)
	if err != nil {
		t.Fatal(err)
	}
	rinfo := remote.Info()
	if err := AssignKeysOne(&rinfo); err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), t.TempDir()
	ea := runPanoptic(t, ds, a, local)
	eb := runPanoptic(t, ds, b, keyedModel{remote, rinfo})
	ja, _ := json.Marshal(ea.Variants[0].Metrics)
	jb, _ := json.Marshal(eb.Variants[0].Metrics)
	if !bytes.Equal(ja, jb) {
		t.Errorf("through the server %s, in-process %s", jb, ja)
	}
	sameRecords(t, OutputsFile(a, "mle"), OutputsFile(b, "mle"))
	for _, f := range []string{"mle/panoptic.json", "mle/rewards.csv", "mle/panoptic/4.png"} {
		if !bytes.Equal(readFile(t, filepath.Join(a, f)), readFile(t, filepath.Join(b, f))) {
			t.Errorf("%s differs between the in-process run and the run through the server", f)
		}
	}
	if _, err := OpenServer(context.Background(), c, hs.URL, "reward", task.Panoptic); err == nil ||
		!strings.Contains(err.Error(), `serves no panoptic model of variant "reward"`) {
		t.Errorf("unknown variant: %v", err)
	}
}

// sameRecords checks that two outputs.jsonl hold the same records (in
// any order).
func sameRecords(t *testing.T, a, b string) {
	t.Helper()
	ra, _, err := ReadRecords(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, _, err := ReadRecords(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ra, rb) || len(ra) == 0 {
		t.Errorf("%s holds other records than %s", b, a)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPanopticRunner: the shipped panoptic entry in-process writes the
// runner's maps and segments, and its scores are eval/panoptic's on the
// files written.
func TestPanopticRunner(t *testing.T) {
	ds := panopticSplit(t, 6)
	m, info := openShipped(t, panopticEntry, task.Panoptic)
	dir := t.TempDir()
	ev := runPanoptic(t, ds, dir, keyedModel{m, info})
	v := ev.Variants[0]
	r := evaluateFiles(t, ds, dir, info.Key)
	if v.Metrics["PQ"] != r.All.PQ || v.Metrics["SQ_things"] != r.Things.SQ || v.Metrics["RQ_stuff"] != r.Stuff.RQ {
		t.Errorf("metrics %v, eval/panoptic %+v", v.Metrics, r)
	}
	img, err := DecodeImage(ds.Images[0])
	if err != nil {
		t.Fatal(err)
	}
	direct, err := m.Predict(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := coco.ReadIDMap(ev.OutputPNG(v, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.IDs, direct.Map.IDs) || len(v.Outputs[0].Segments) != len(direct.Segments) || len(direct.Segments) == 0 {
		t.Errorf("image %d: the PNG or segments differ from the runner's output", ds.Images[0].ID)
	}
	for i, s := range direct.Segments {
		if v.Outputs[0].Segments[i] != s {
			t.Errorf("segment %d: %+v written, the runner gives %+v", i, v.Outputs[0].Segments[i], s)
		}
	}
}

// TestDropUnknown: predicted segments of categories the ground truth does
// not list leave the prediction, their pixels void; the others stay as
// they are.
func TestDropUnknown(t *testing.T) {
	cats, err := panoptic.NewCategories([]panoptic.Category{{ID: 1, Name: "a", IsThing: true}, {ID: 11, Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	segs := []panoptic.Segment{{ID: 1, CategoryID: 11}, {ID: 2, CategoryID: 12}, {ID: 3, CategoryID: 1}, {ID: 4, CategoryID: 99}}
	ids := []uint32{1, 2, 2, 3, 4, 0, 1}
	kept, n := dropUnknown(segs, ids, cats)
	if n != 2 || !slices.Equal(kept, []panoptic.Segment{{ID: 1, CategoryID: 11}, {ID: 3, CategoryID: 1}}) {
		t.Errorf("kept %+v, dropped %d", kept, n)
	}
	if want := []uint32{1, 0, 0, 3, 0, 0, 1}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if _, n := dropUnknown(kept, ids, cats); n != 0 {
		t.Errorf("a second pass dropped %d", n)
	}
}

// TestCheckGroundTruth: a missing, corrupt, resized or another image's
// ground-truth PNG is found before any model runs, naming the image and
// the file; a missing panoptic.json names it once.
func TestCheckGroundTruth(t *testing.T) {
	ds := panopticSplit(t, 3)
	if err := ds.CheckGroundTruth(ds.Images); err != nil {
		t.Fatalf("the generated split: %v", err)
	}
	png := func(id int) string { return filepath.Join(ds.Panoptic.Dir, ds.Panoptic.ann[id].FileName) }
	orig := map[int][]byte{}
	for _, id := range []int{1, 2} {
		b, err := os.ReadFile(png(id))
		if err != nil {
			t.Fatal(err)
		}
		orig[id] = b
	}
	var tiny bytes.Buffer
	if err := coco.EncodeIDMap(&tiny, coco.NewIDMap(8, 8)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files map[int][]byte // ground-truth PNGs replaced (nil: removed)
		want  string
	}{
		{"missing", map[int][]byte{2: nil}, "ground truth of image id 2: read id map " + png(2) + ": open"},
		{"corrupt", map[int][]byte{1: orig[1][:60]}, "ground truth of image id 1: read id map " + png(1) + ": png: invalid format: not enough pixel data"},
		{"another size", map[int][]byte{1: tiny.Bytes()}, "ground truth of image id 1: " + png(1) + " is 8x8, the image 64x64"},
		{"swapped", map[int][]byte{1: orig[2], 2: orig[1]}, "which its segments_info lacks (another image's PNG?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for id, b := range tc.files {
				if b == nil {
					if err := os.Remove(png(id)); err != nil {
						t.Fatal(err)
					}
				} else if err := os.WriteFile(png(id), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for id := range tc.files {
					if err := os.WriteFile(png(id), orig[id], 0o644); err != nil {
						t.Fatal(err)
					}
				}
			})
			if err := ds.CheckGroundTruth(ds.Images); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckGroundTruth: %v, want an error with %q", err, tc.want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "panoptic.json")
	if _, err := LoadDataset(task.Panoptic, missing, ds.ImageDir); err == nil || !strings.HasPrefix(err.Error(), "load "+missing+": open "+missing) {
		t.Errorf("no panoptic.json: %v, want the path named once", err)
	}
}
