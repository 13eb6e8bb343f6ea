package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/dataset/shapes"
	"rewardvision/eval/colorize"
	"rewardvision/models/ortrun"
	"rewardvision/models/repo"
	"rewardvision/models/runner"
	"rewardvision/models/task"
)

// colorEntry is the shipped colorization entry the runner tests use;
// they assert no value of its own.
const colorEntry = "../../assets/models/colorization-mle/1"

// colorSplit generates a small split and loads it as a colorization
// dataset.
func colorSplit(t *testing.T, n int) *Dataset {
	return shapesSplit(t, task.Colorization, shapes.InstancesFile, n)
}

// openShipped opens a shipped repository entry in-process (closed at the
// end of the test) and keys it as a run would.
func openShipped(t *testing.T, entry, taskName string) (Model, ModelInfo) {
	t.Helper()
	rt, err := ortrun.Load("")
	if err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
	m, err := OpenEntry(entry, taskName, rt, ortrun.Device{Kind: "cpu"}, runner.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatalf("the shipped entry: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	info := m.Info()
	if err := AssignKeysOne(&info); err != nil {
		t.Fatal(err)
	}
	return m, info
}

// shapesSplit generates a split of n images of the captioning world (as
// data/shapes, seed 2) and loads it for taskName, whose annotation file
// in the split is ann.
func shapesSplit(t *testing.T, taskName, ann string, n int) *Dataset {
	t.Helper()
	cfg, err := shapes.Preset("captioning")
	if err != nil {
		t.Fatal(err)
	}
	split := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: split, N: n, Seed: 2, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	annPath, imgs, err := SplitFiles(taskName, split)
	if err != nil {
		t.Fatal(err)
	}
	if annPath != filepath.Join(split, ann) || imgs != filepath.Join(split, shapes.ImagesDir) {
		t.Fatalf("SplitFiles: %s, %s", annPath, imgs)
	}
	ds, err := LoadDataset(taskName, annPath, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Images) != n {
		t.Fatalf("%d images, want %d", len(ds.Images), n)
	}
	return ds
}

// fakeColor is a colorization model computing its output from the input
// in Go: the ground truth itself (identity), or anything else.
type fakeColor struct {
	info ModelInfo
	f    func(image.Image) image.Image
}

func (m fakeColor) Info() ModelInfo { return m.info }
func (m fakeColor) Close() error    { return nil }
func (m fakeColor) Predict(_ context.Context, img image.Image) (Output, error) {
	return Output{Image: m.f(img)}, nil
}

func newFake(key string, f func(image.Image) image.Image) Model {
	return fakeColor{info: ModelInfo{Entry: key, Name: "fake-" + key, Version: 1, Task: task.Colorization, Variant: key, Key: key}, f: f}
}

// identity outputs the ground truth.
func identity(img image.Image) image.Image { return img }

// grayOut outputs the input's gray values (no colour at all).
func grayOut(img image.Image) image.Image {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

// runAndScore runs models over every image of ds into dir and scores them.
func runAndScore(t *testing.T, ds *Dataset, dir string, models ...Model) *Evaluation {
	t.Helper()
	if _, err := Run(context.Background(), dir, ds.Images, models, Options{Concurrency: 2}); err != nil {
		t.Fatal(err)
	}
	var infos []ModelInfo
	for _, m := range models {
		infos = append(infos, m.Info())
	}
	src, err := LoadTrainRewards(task.Colorization, "", ds)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Score(ds, ds.Images, infos, dir, src)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestColorizationScoresEqualColorize: every per-image score, as Score
// holds it and as scores.csv writes it, is exactly what eval/colorize
// gives on the colorized PNG and the split's colour image; the PNG is the
// runner's output pixel for pixel; the dataset metrics are their means and
// color-FD the Fréchet distance of the colour statistics.
func TestColorizationScoresEqualColorize(t *testing.T) {
	ds := colorSplit(t, 6)
	m, info := openShipped(t, colorEntry, task.Colorization)
	dir := t.TempDir()
	ev := runAndScore(t, ds, dir, keyedModel{m, info})
	if err := WriteOutputs(dir, ev); err != nil {
		t.Fatal(err)
	}
	v := ev.Variants[0]
	csvRows := readCSV(t, filepath.Join(dir, info.Key, ScoresFile))
	if want := append([]string{"image_id"}, colorPerImage...); strings.Join(csvRows[0], ",") != strings.Join(want, ",") {
		t.Fatalf("scores.csv header %v, want %v", csvRows[0], want)
	}
	var feats, gtFeats [][]float64
	sums := map[string]float64{}
	for i, im := range ev.Images {
		src, err := DecodeImage(im)
		if err != nil {
			t.Fatal(err)
		}
		gt := colorize.FromImage(src)
		path := filepath.Join(dir, info.Key, ColorizedDir, strconv.Itoa(im.ID)+".png")
		out, err := colorize.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		// The PNG holds the runner's output exactly.
		direct, err := m.Predict(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(colorize.FromImage(direct.Image).Pix, out.Pix) {
			t.Errorf("image %d: the PNG differs from the runner's output", im.ID)
		}
		psnr, err := colorize.PSNR(out, gt)
		if err != nil {
			t.Fatal(err)
		}
		ssim, err := colorize.SSIM(out, gt)
		if err != nil {
			t.Fatal(err)
		}
		rw, err := colorize.ColorizationReward(out, gt, colorize.DefaultSimilarityWeight)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{MetricPSNR: psnr, MetricSSIM: ssim, MetricColorfulness: colorize.Colorfulness(out),
			MetricColorfulnessGT: colorize.Colorfulness(gt), MetricSimilarity: colorize.LuminanceSimilarity(out, gt), MetricReward: rw.Total}
		if math.IsInf(psnr, 0) {
			t.Fatalf("image %d: the model reproduced the ground truth", im.ID)
		}
		if rw.Colorfulness != want[MetricColorfulness] || rw.Similarity != want[MetricSimilarity] {
			t.Fatalf("image %d: reward terms %+v", im.ID, rw)
		}
		row := csvRows[i+1]
		if row[0] != strconv.Itoa(im.ID) {
			t.Fatalf("scores.csv row %d is image %s, want %d", i+1, row[0], im.ID)
		}
		for k, name := range colorPerImage {
			if got := v.PerImage[name][i]; got != want[name] {
				t.Errorf("image %d %s = %v, eval/colorize gives %v", im.ID, name, got, want[name])
			}
			if got, _ := strconv.ParseFloat(row[k+1], 64); got != want[name] {
				t.Errorf("scores.csv image %d %s = %s, want %v", im.ID, name, row[k+1], want[name])
			}
			sums[name] += want[name]
		}
		if v.Rewards[i] != rw.Total {
			t.Errorf("image %d reward %v, want %v", im.ID, v.Rewards[i], rw.Total)
		}
		feats = append(feats, colorFeature(colorize.ColorfulnessComponents(out)))
		gtFeats = append(gtFeats, colorFeature(colorize.ColorfulnessComponents(gt)))
	}
	for _, name := range colorPerImage {
		if want := sums[name] / float64(len(ev.Images)); math.Abs(v.Metrics[name]-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, the mean is %v", name, v.Metrics[name], want)
		}
	}
	fd, err := colorize.FrechetDistance(feats, gtFeats)
	if err != nil {
		t.Fatal(err)
	}
	if v.Metrics[MetricColorFD] != fd {
		t.Errorf("color-FD = %v, colorize.FrechetDistance gives %v", v.Metrics[MetricColorFD], fd)
	}
	// rewards.csv as the other tasks write it.
	rw := readCSV(t, filepath.Join(dir, info.Key, "rewards.csv"))
	if len(rw) != len(ev.Images)+1 || rw[1][1] != strconv.FormatFloat(v.Rewards[0], 'g', -1, 64) {
		t.Errorf("rewards.csv: %v", rw)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestColorizationGroundTruthOutput: an output equal to the ground truth
// scores PSNR PSNRCap (not +Inf), SSIM 1, similarity 0, the ground truth's
// colourfulness, color-FD 0, and metrics.json encodes.
func TestColorizationGroundTruthOutput(t *testing.T) {
	ds := colorSplit(t, 5)
	ev := runAndScore(t, ds, t.TempDir(), newFake("mle", identity))
	v := ev.Variants[0]
	for i := range ev.ImageIDs {
		p := v.PerImage
		if p[MetricPSNR][i] != PSNRCap || p[MetricSSIM][i] != 1 || p[MetricSimilarity][i] != 0 ||
			p[MetricColorfulness][i] != p[MetricColorfulnessGT][i] || p[MetricReward][i] != p[MetricColorfulnessGT][i] {
			t.Errorf("image %d: PSNR %v SSIM %v similarity %v colourfulness %v (truth %v) reward %v", ev.ImageIDs[i],
				p[MetricPSNR][i], p[MetricSSIM][i], p[MetricSimilarity][i], p[MetricColorfulness][i], p[MetricColorfulnessGT][i], p[MetricReward][i])
		}
	}
	if v.Metrics[MetricPSNR] != PSNRCap || math.Abs(v.Metrics[MetricColorFD]) > 1e-9 {
		t.Errorf("metrics %v", v.Metrics)
	}
	if _, err := json.Marshal(Metrics(ev, nil)); err != nil {
		t.Errorf("metrics.json: %v", err)
	}
}

// TestColorizationABSelfAndOther: a model against itself has Δ 0 with a
// zero-width interval for every metric and ties everywhere; against a
// model with no colour, the intervals hold the deltas and point the right
// way (lower color-FD is better).
func TestColorizationABSelfAndOther(t *testing.T) {
	ds := colorSplit(t, 8)
	ev := runAndScore(t, ds, t.TempDir(), newFake("mle", identity), newFake("reward", identity), newFake("gray", grayOut))
	self := &Evaluation{Task: ev.Task, ImageIDs: ev.ImageIDs, Images: ev.Images, Variants: ev.Variants[:2], Dir: ev.Dir}
	ab, err := Compare(self, 0, 1, ABOptions{Resamples: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{MetricPSNR, MetricSSIM, MetricColorfulness, MetricSimilarity, MetricColorFD, MetricReward}
	if strings.Join(ab.Order, ",") != strings.Join(want, ",") {
		t.Errorf("A/B metrics %v, want %v (colorfulness_gt is no model's)", ab.Order, want)
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
	for _, name := range want {
		m := ab.Metrics[name]
		if m.CI95[0] > m.Delta || m.CI95[1] < m.Delta {
			t.Errorf("%s: Δ %v outside its interval %v", name, m.Delta, m.CI95)
		}
	}
	// Gray outputs: worse PSNR, no colour, a larger colour distance.
	if m := ab.Metrics[MetricPSNR]; m.CI95[1] >= 0 {
		t.Errorf("PSNR of gray outputs: %+v", m)
	}
	if m := ab.Metrics[MetricColorfulness]; m.B != 0 || m.CI95[1] >= 0 {
		t.Errorf("colourfulness of gray outputs: %+v", m)
	}
	if m := ab.Metrics[MetricColorFD]; m.CI95[0] <= 0 || !LowerIsBetter(task.Colorization, MetricColorFD) {
		t.Errorf("color-FD of gray outputs: %+v", m)
	}
	if ab.Rewards.Loss != 8 {
		t.Errorf("gray vs ground truth win/tie/loss %+v", ab.Rewards)
	}
}

// TestColorizationShardsMerge: shards joined by Merge (the PNGs copied)
// score exactly like one run.
func TestColorizationShardsMerge(t *testing.T) {
	ds := colorSplit(t, 7)
	root := t.TempDir()
	m := newFake("gray", grayOut)
	info := RunInfo{Task: task.Colorization, Ann: ds.AnnPath, Images: ds.ImageDir, Shards: 1, Models: []ModelInfo{m.Info()}}
	single := filepath.Join(root, "single")
	if err := Prepare(single, info); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), single, ds.Images, []Model{m}, Options{Concurrency: 2}); err != nil {
		t.Fatal(err)
	}
	var shards []string
	for s := range 3 {
		dir := filepath.Join(root, "shard"+strconv.Itoa(s))
		si := info
		si.Shard, si.Shards = s, 3
		if err := Prepare(dir, si); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), dir, ds.Subset(0, s, 3), []Model{m}, Options{Concurrency: 1}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged := filepath.Join(root, "merged")
	minfo, err := Merge(shards, merged)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ScoreRun(single, info, nil, ABOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ScoreRun(merged, minfo, nil, ABOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a.Metrics.Variants)
	jb, _ := json.Marshal(b.Metrics.Variants)
	if !bytes.Equal(ja, jb) {
		t.Errorf("merged %s, single %s", jb, ja)
	}
	for _, f := range []string{"gray/scores.csv", "gray/colorized/3.png"} {
		x, err1 := os.ReadFile(filepath.Join(single, f))
		y, err2 := os.ReadFile(filepath.Join(merged, f))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the single run and the merge (%v, %v)", f, err1, err2)
		}
	}
}

// TestColorizationBadInput: errors name what is wrong.
func TestColorizationBadInput(t *testing.T) {
	ds := colorSplit(t, 3)
	run := func(ds *Dataset, dir string, m Model) error {
		_, err := Run(context.Background(), dir, ds.Images, []Model{m}, Options{Concurrency: 1})
		return err
	}
	good := newFake("mle", identity)
	tests := []struct {
		name   string
		m      Model
		damage func(ds *Dataset)
		want   []string
	}{
		{"output of another size", newFake("mle", func(image.Image) image.Image { return image.NewRGBA(image.Rect(0, 0, 8, 8)) }), nil,
			[]string{"model mle on", "(image id 1)", "colorized image of 8x8, the input is 64x64"}},
		{"no output image", newFake("mle", func(image.Image) image.Image { return nil }), nil,
			[]string{"(image id 1)", "no colorized image"}},
		{"missing image", good, func(ds *Dataset) { os.Remove(ds.Images[1].Path) },
			[]string{"val/images/" + shapes.FileName(1), "(image id 2)", "no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := ds
			if tc.damage != nil {
				ds = colorSplit(t, 3)
				tc.damage(ds)
			}
			err := run(ds, t.TempDir(), tc.m)
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

	// A colorized PNG gone after the run: scoring names it.
	score := func(dir string) error {
		src, _ := LoadTrainRewards(task.Colorization, "", ds)
		_, err := Score(ds, ds.Images, []ModelInfo{good.Info()}, dir, src)
		return err
	}
	dir := t.TempDir()
	if err := run(ds, dir, good); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "mle", ColorizedDir, "2.png")
	os.Remove(gone)
	if err := score(dir); err == nil || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), "image id 2") {
		t.Errorf("missing PNG: %v", err)
	}
	// A record naming another file is refused.
	path := OutputsFile(dir, "mle")
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(data, []byte(`"colorized/1.png"`), []byte(`"../../x.png"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := score(dir); err == nil || !strings.Contains(err.Error(), `names colorized output "../../x.png", want "colorized/1.png"`) {
		t.Errorf("record naming another file: %v", err)
	}

	// A model of another task is refused before its graphs load (no
	// runtime needed), and so is a colorization model for another task.
	if _, err := OpenEntry("../../assets/models/detection-mle/1", task.Colorization, nil, ortrun.Device{}, runner.Options{}); err == nil ||
		!strings.Contains(err.Error(), "is a detection model") || !strings.Contains(err.Error(), "--task is colorization") {
		t.Errorf("detection entry for colorization: %v", err)
	}
	if _, err := os.Stat(colorEntry); err == nil {
		if _, err := OpenEntry(colorEntry, task.Detection, nil, ortrun.Device{}, runner.Options{}); err == nil ||
			!strings.Contains(err.Error(), "is a colorization model") {
			t.Errorf("colorization entry for detection: %v", err)
		}
	}
}

// TestColorizationThroughServer: with --server, each image goes to POST
// /v1/colorize and the answer's PNG is scored; a server running the same
// model answers what the in-process run computes, so the scores are equal.
// The server here is a stand-in speaking the API (api.ColorizeResponse)
// with the runner in-process.
func TestColorizationThroughServer(t *testing.T) {
	ds := colorSplit(t, 4)
	local, _ := openShipped(t, colorEntry, task.Colorization)
	manifest, err := os.ReadFile(filepath.Join(colorEntry, repo.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	man, err := repo.Parse(manifest)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.ModelsResponse{Models: []api.ModelInfo{
			{Name: man.Name, Version: man.Version, Task: api.TaskColorize, Variant: man.Variant, Ready: true, Manifest: manifest}}})
	})
	mux.HandleFunc("POST /v1/colorize", func(w http.ResponseWriter, r *http.Request) {
		img, err := png.Decode(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out, err := local.Predict(r.Context(), img)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var b bytes.Buffer
		png.Encode(&b, out.Image)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(api.ColorizeResponse{Model: api.ModelRef{Name: man.Name, Version: man.Version, Variant: man.Variant}, PNG: b.Bytes()})
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()
	c, err := api.NewClient(hs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := OpenServer(context.Background(), c, hs.URL, man.Variant, task.Colorization)
	if err != nil {
		t.Fatal(err)
	}
	info := local.Info()
	if err := AssignKeysOne(&info); err != nil {
		t.Fatal(err)
	}
	rinfo := remote.Info()
	if err := AssignKeysOne(&rinfo); err != nil {
		t.Fatal(err)
	}
	a := runAndScore(t, ds, t.TempDir(), keyedModel{local, info})
	b := runAndScore(t, ds, t.TempDir(), keyedModel{remote, rinfo})
	ja, _ := json.Marshal(a.Variants[0].PerImage)
	jb, _ := json.Marshal(b.Variants[0].PerImage)
	if !bytes.Equal(ja, jb) {
		t.Errorf("through the server %s, in-process %s", jb, ja)
	}
	if _, err := OpenServer(context.Background(), c, hs.URL, "nope", task.Colorization); err == nil ||
		!strings.Contains(err.Error(), `serves no colorization model of variant "nope"`) {
		t.Errorf("unknown variant: %v", err)
	}
}
