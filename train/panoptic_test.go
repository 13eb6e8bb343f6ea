package train

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"rewardvision/dataset/shapes"
	"rewardvision/eval/panoptic"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// panopticVQConfig is stage I on vqData's 40 training and 10 validation
// images of the captioning world.
func panopticVQConfig(t *testing.T) PanopticVQConfig {
	tr, va := vqData(t)
	return PanopticVQConfig{TrainDir: tr, ValDir: va, OutDir: filepath.Join(t.TempDir(), "vq"),
		Patch: 8, K: 128, Ranks: 4, Refits: 3, Seed: 1, Workers: 2,
		Command: "rewardvision train vq --task panoptic (test)", World: "--preset captioning", DataSeed: 1, Logger: quietLog()}
}

func loadPanopticSplit(t *testing.T, dir string) *split {
	t.Helper()
	s, err := loadSplit(context.Background(), dir, task.Panoptic, 64, 2, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// labelMaps are the label maps of s's images, from codec.Panoptic.LabelMap
// directly.
func labelMaps(t *testing.T, p *codec.Panoptic, s *split) [][]int16 {
	t.Helper()
	var out [][]int16
	for i := range s.len() {
		segs := make([]codec.Segment, len(s.segments[i]))
		for j, g := range s.segments[i] {
			segs[j] = codec.Segment{ID: uint32(g.ID), CategoryID: int(g.CategoryID), IsCrowd: g.IsCrowd != 0}
		}
		l, err := p.LabelMap(s.panoptic[i], segs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// panopticOracle is the oracle recomputed from the parts: each of the
// first n images' true codes under p, decoded on the image, turned into
// segments and matched by eval/panoptic against the image's panoptic map.
// It returns the codes, the per-image PQs and the metrics of vq.json.
func panopticOracle(t *testing.T, p *codec.Panoptic, s *split, n int) (codes [][]int32, pq []float64, metrics map[string]float64, used float64) {
	t.Helper()
	var list []panoptic.Category
	for _, c := range s.allCats {
		list = append(list, panoptic.Category{ID: int(c.ID), Name: c.Name, IsThing: c.Thing()})
	}
	slices.SortFunc(list, func(a, b panoptic.Category) int { return a.ID - b.ID })
	cats, err := panoptic.NewCategories(list)
	if err != nil {
		t.Fatal(err)
	}
	enc := p.NewEncoder()
	seen := map[int32]bool{}
	var stats []*panoptic.ImageStats
	sum := 0.0
	for i, l := range labelMaps(t, p, s)[:n] {
		c, err := enc.Encode(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range c {
			seen[k] = true
		}
		dec, err := p.Decode(c, s.pixels[i])
		if err != nil {
			t.Fatal(err)
		}
		ids, segs, err := p.Segments(dec, s.size, s.size)
		if err != nil {
			t.Fatal(err)
		}
		pred := panoptic.Image{Width: s.size, Height: s.size, IDs: ids}
		for _, g := range segs {
			pred.Segments = append(pred.Segments, panoptic.Segment{ID: g.ID, CategoryID: g.CategoryID, Area: g.Area})
		}
		gt := panoptic.Image{Width: s.size, Height: s.size, IDs: s.panoptic[i]}
		for _, g := range s.segments[i] {
			gt.Segments = append(gt.Segments, panoptic.Segment{ID: uint32(g.ID), CategoryID: int(g.CategoryID), IsCrowd: g.IsCrowd != 0, Area: int(g.Area)})
		}
		st, err := panoptic.MatchImage(gt, pred, cats)
		if err != nil {
			t.Fatal(err)
		}
		codes, stats, pq = append(codes, c), append(stats, st), append(pq, st.PQ())
		sum += st.PQ()
	}
	r := panoptic.Aggregate(cats, stats)
	metrics = map[string]float64{
		"PQ": r.All.PQ, "SQ": r.All.SQ, "RQ": r.All.RQ,
		"PQ_things": r.Things.PQ, "SQ_things": r.Things.SQ, "RQ_things": r.Things.RQ,
		"PQ_stuff": r.Stuff.PQ, "SQ_stuff": r.Stuff.SQ, "RQ_stuff": r.Stuff.RQ,
		"reward": sum / float64(n), "images": float64(n),
	}
	return codes, pq, metrics, float64(len(seen)) / float64(p.K())
}

// TestRunPanopticVQ lists 128 codes from 40 images of the captioning world
// and checks its files, its code list (BuildCodes of the training maps)
// and its oracle (recomputed from the saved code), then the same with the
// codes listed from the validation maps themselves, where only the colour
// decoder loses anything.
func TestRunPanopticVQ(t *testing.T) {
	cfg := panopticVQConfig(t)
	start := time.Now()
	meta, err := RunPanopticVQ(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train vq --task panoptic in %s: %d codes, coverage %.4f, codes used %.3f, oracle %v",
		time.Since(start).Round(time.Millisecond), meta.K, meta.Coverage, meta.CodesUsed, meta.Oracle)
	if meta.Task != task.Panoptic || meta.K != 128 || meta.Grid != 8 || meta.Patch != 8 || meta.Ranks != 4 || meta.Refits != 3 ||
		meta.Images != 40 || meta.Provenance.Data != cfg.TrainDir || meta.Provenance.Seed != 1 || meta.Provenance.DataSeed != 1 ||
		meta.Provenance.World != cfg.World || meta.Provenance.Command != cfg.Command || !(meta.Elapsed > 0) {
		t.Errorf("vq meta %+v", meta)
	}
	if !reflect.DeepEqual(meta.Provenance.Metrics, meta.Oracle) {
		t.Errorf("provenance metrics %v, want the oracle's %v", meta.Provenance.Metrics, meta.Oracle)
	}
	checkSavedJSON(t, filepath.Join(cfg.OutDir, VQFile), meta)
	p, err := codec.LoadPanoptic(filepath.Join(cfg.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != 64 || p.Patch != 8 || p.Ranks != 4 || p.Iters != 3 || p.K() != 128 ||
		!slices.Equal(p.Stuff, []int{11, 12, 13, 14, 15, 16}) || !slices.Equal(p.Things, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Errorf("codebook size %d patch %d ranks %d iters %d k %d stuff %v things %v", p.Size, p.Patch, p.Ranks, p.Iters, p.K(), p.Stuff, p.Things)
	}

	// The codes are the 128 most frequent sets of the 40 training maps,
	// whatever their order, and cover the stated share of their patches.
	trainSet := loadPanopticSplit(t, cfg.TrainDir)
	maps := labelMaps(t, p, trainSet)
	again := *p
	if cov := again.BuildCodes(maps, 128); !reflect.DeepEqual(again.Codes, p.Codes) || cov != meta.Coverage {
		t.Errorf("BuildCodes of the training maps: coverage %g, codes equal: %v; vq.json %g", cov, reflect.DeepEqual(again.Codes, p.Codes), meta.Coverage)
	}

	// Images 10: the codes of the 10 training images the seed draws
	// (rand.Perm, as for k-means), not of the first 10.
	ten := cfg
	ten.OutDir, ten.Images = filepath.Join(t.TempDir(), "ten"), 10
	meta10, err := RunPanopticVQ(context.Background(), ten)
	if err != nil {
		t.Fatal(err)
	}
	p10, err := codec.LoadPanoptic(filepath.Join(ten.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	var drawn, first [][]int16
	for j, i := range rand.New(rand.NewPCG(1, 0x5eed)).Perm(len(maps))[:10] {
		drawn, first = append(drawn, maps[i]), append(first, maps[j])
	}
	want10, firstCodes := *p, *p
	cov10 := want10.BuildCodes(drawn, 128)
	firstCodes.BuildCodes(first, 128)
	if meta10.Images != 10 || meta10.Coverage != cov10 || !reflect.DeepEqual(p10.Codes, want10.Codes) || reflect.DeepEqual(p10.Codes, firstCodes.Codes) {
		t.Errorf("images 10: %d images, coverage %g (want %g), %d codes (want %d)", meta10.Images, meta10.Coverage, cov10, p10.K(), want10.K())
	}

	// The oracle again, from the saved code.
	val := loadPanopticSplit(t, cfg.ValDir)
	_, pq, oracle, used := panopticOracle(t, p, val, val.len())
	if !reflect.DeepEqual(oracle, meta.Oracle) || used != meta.CodesUsed {
		t.Errorf("oracle %v, codes used %g; recomputed %v, %g", meta.Oracle, meta.CodesUsed, oracle, used)
	}
	// 40 training images leave many validation label sets out of the
	// list (rank combinations): measured PQ 0.753 (things 0.688, stuff
	// 0.840), against 0.354 with 8 codes.
	if meta.Oracle["PQ"] < 0.7 || meta.Oracle["PQ_stuff"] < 0.8 || meta.Oracle["images"] != 10 {
		t.Errorf("oracle %v: want PQ ≥ 0.7, stuff ≥ 0.8 over 10 images", meta.Oracle)
	}

	// Eval-n 3: the same code, the oracle of the first three images.
	three := cfg
	three.OutDir, three.EvalN = filepath.Join(t.TempDir(), "three"), 3
	meta3, err := RunPanopticVQ(context.Background(), three)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(filepath.Join(cfg.OutDir, CodebookFile))
	b3, _ := os.ReadFile(filepath.Join(three.OutDir, CodebookFile))
	if len(b1) == 0 || string(b1) != string(b3) {
		t.Errorf("eval-n 3: a different code list")
	}
	if want := (pq[0] + pq[1] + pq[2]) / 3; meta3.Oracle["images"] != 3 || meta3.Oracle["reward"] != want {
		t.Errorf("eval-n 3: oracle %v; want 3 images, reward %g", meta3.Oracle, want)
	}

	// Codes listed from the validation maps: every patch set is a code,
	// every code is used, every segment is found (RQ 1); what PQ loses is
	// the colour decoder's (measured 0.984).
	own := cfg
	own.TrainDir, own.OutDir, own.K = cfg.ValDir, filepath.Join(t.TempDir(), "own"), 1000
	metaOwn, err := RunPanopticVQ(context.Background(), own)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("codes of the validation maps: %d codes, oracle %v", metaOwn.K, metaOwn.Oracle)
	if metaOwn.Coverage != 1 || metaOwn.CodesUsed != 1 || metaOwn.K >= 1000 || metaOwn.Images != 10 ||
		metaOwn.Oracle["RQ"] != 1 || metaOwn.Oracle["PQ"] < 0.95 || metaOwn.Oracle["reward"] < 0.95 {
		t.Errorf("codes of the validation maps: %d codes, coverage %g, used %g, oracle %v", metaOwn.K, metaOwn.Coverage, metaOwn.CodesUsed, metaOwn.Oracle)
	}
}

func TestRunPanopticVQErrors(t *testing.T) {
	tr, va := vqData(t)
	// A split without panoptic.json: the validation split's other files.
	noPan := filepath.Join(t.TempDir(), "nopan")
	if err := os.MkdirAll(noPan, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"instances.json", "captions.json"} {
		b, err := os.ReadFile(filepath.Join(va, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noPan, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs, err := filepath.Abs(filepath.Join(va, "images"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(noPan, "images")); err != nil {
		t.Fatal(err)
	}
	// An --out that is a file, and a training run's folder (its codebook
	// must not be replaced).
	file := filepath.Join(t.TempDir(), "file")
	runDir := t.TempDir()
	for _, f := range []string{file, filepath.Join(runDir, "checkpoint-n0000000-20260101-000000-step-00000002.json")} {
		if err := os.WriteFile(f, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		edit func(c *PanopticVQConfig)
		ctx  context.Context
		want string
	}{
		{"no codes", func(c *PanopticVQConfig) { c.K = 0 }, nil, "train vq: k = 0: want ≥ 1"},
		{"negative k", func(c *PanopticVQConfig) { c.K = -3 }, nil, "train vq: k = -3: want ≥ 1"},
		{"patch not dividing the image", func(c *PanopticVQConfig) { c.Patch = 5 }, nil, "panoptic code: patch 5 must divide size 64"},
		{"no ranks", func(c *PanopticVQConfig) { c.Ranks = 0 }, nil, "panoptic code: ranks 0, iters 3: want ranks ≥ 1, iters ≥ 0"},
		{"negative refits", func(c *PanopticVQConfig) { c.Refits = -1 }, nil, "panoptic code: ranks 4, iters -1"},
		// Images of the world hold up to 4 objects.
		{"one rank", func(c *PanopticVQConfig) { c.Ranks = 1 }, nil, "thing instance 2, the code holds 1"},
		{"no panoptic.json", func(c *PanopticVQConfig) { c.ValDir = noPan }, nil, "has no panoptic annotation (want panoptic.json"},
		{"missing split", func(c *PanopticVQConfig) { c.TrainDir = filepath.Join(tr, "nothing") }, nil, "not a split folder"},
		{"cancelled", func(*PanopticVQConfig) {}, ctx, "context canceled"},
		{"labels past int16", func(c *PanopticVQConfig) { c.Ranks = 4096 }, nil, "'s categories: panoptic code: 6 stuff + 10 thing classes × 4096 ranks is more than 32767 labels"},
		{"out is a file", func(c *PanopticVQConfig) { c.OutDir = file }, nil, "create " + file + ": it is a file, not a folder"},
		{"out under a file", func(c *PanopticVQConfig) { c.OutDir = filepath.Join(file, "a", "b") }, nil, file + " is a file, not a folder"},
		{"out is a training run", func(c *PanopticVQConfig) { c.OutDir = runDir }, nil, runDir + " holds a training run (checkpoints)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := panopticVQConfig(t)
			tc.edit(&cfg)
			c := tc.ctx
			if c == nil {
				c = context.Background()
			}
			meta, err := RunPanopticVQ(c, cfg)
			if err == nil || meta != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("RunPanopticVQ: %v, err %v; want an error containing %q", meta, err, tc.want)
			}
			for _, f := range []string{CodebookFile, VQFile} {
				if _, err := os.Stat(filepath.Join(cfg.OutDir, f)); err == nil {
					t.Errorf("a failed run left %s", f)
				}
			}
		})
	}
}

// TestPanopticRewarder: the reward of an image's true codes is its oracle
// PQ, and their mean the oracle reward of vq.json; the target is those
// codes; sequences that are not codes score 0.
func TestPanopticRewarder(t *testing.T) {
	cfg := panopticVQConfig(t)
	meta, err := RunPanopticVQ(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := codec.LoadPanoptic(filepath.Join(cfg.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	val := loadPanopticSplit(t, cfg.ValDir)
	names := map[int]string{}
	for _, c := range val.allCats {
		names[int(c.ID)] = c.Name
	}
	spec, err := newPanopticSpec(p, names)
	if err != nil {
		t.Fatal(err)
	}
	rw := &panopticRewarder{t: spec}
	codes, pq, _, _ := panopticOracle(t, p, val, val.len())
	zero := p.Tokens(make([]int32, 64)) // code 0, {stuff 0}, everywhere
	sum := 0.0
	for i, c := range codes {
		toks := p.Tokens(c)
		got := rw.score(val, i, toks)
		if got != pq[i] {
			t.Errorf("image %d: reward %g, want its oracle PQ %g", i, got, pq[i])
		}
		sum += got
		if target, err := spec.target(val, i, nil); err != nil || !slices.Equal(target, toks) {
			t.Errorf("image %d: target %v, %v; want %v", i, target, err, toks)
		}
		if z := rw.score(val, i, zero); z >= got {
			t.Errorf("image %d: all code 0 scores %g, the true codes %g", i, z, got)
		}
		labels := map[int]bool{}
		for _, k := range c {
			for _, l := range p.Codes[k] {
				labels[l] = true
			}
		}
		if n := rw.size(toks); n != len(labels) {
			t.Errorf("image %d: size %d, want %d labels", i, n, len(labels))
		}
	}
	if mean := sum / float64(len(codes)); mean != meta.Oracle["reward"] {
		t.Errorf("mean reward of the true codes %g, vq.json's oracle reward %g", mean, meta.Oracle["reward"])
	}
	// Sequences that are not codes score 0 (and size 0) rather than fail.
	toks := p.Tokens(codes[0])
	for _, bad := range [][]int32{nil, toks[:10], append([]int32{codec.EOS}, toks[1:]...),
		append(slices.Clone(toks[:63]), int32(codec.CodeOffset+p.K()), codec.EOS)} {
		if r := rw.score(val, 0, bad); r != 0 {
			t.Errorf("reward of %v = %g, want 0", bad, r)
		}
		if n := rw.size(bad); n != 0 {
			t.Errorf("size of %v = %d, want 0", bad, n)
		}
	}
	if !strings.Contains(rw.describe(), "per-image panoptic quality") {
		t.Errorf("describe = %q", rw.describe())
	}
}

// TestShippedPanopticCodeOracle: the shipped stage-I panoptic code, on the
// validation split its vq.json was measured on (data gen is a function of
// preset, seed and split: panoptic, seed 2, val, 500 images, regenerated
// here), reaches exactly the oracle vq.json claims.
func TestShippedPanopticCodeOracle(t *testing.T) {
	start := time.Now()
	dir := filepath.Join("..", "assets", "checkpoints", "panoptic-vq")
	p, err := codec.LoadPanoptic(filepath.Join(dir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, VQFile))
	if err != nil {
		t.Fatal(err)
	}
	var meta PanopticVQMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Provenance.World != "--preset panoptic" || meta.Oracle["images"] != 500 || meta.K != p.K() || meta.Patch != p.Patch || meta.Ranks != p.Ranks || meta.Refits != p.Iters {
		t.Fatalf("vq.json %+v does not describe the shipped code (k %d patch %d ranks %d iters %d) on 500 images of the panoptic world",
			meta, p.K(), p.Patch, p.Ranks, p.Iters)
	}
	cfg, err := shapes.Preset("panoptic")
	if err != nil {
		t.Fatal(err)
	}
	valDir := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), cfg, shapes.Options{Out: valDir, N: 500, Seed: 2, Split: "val", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	val := loadPanopticSplit(t, valDir)
	_, _, oracle, used := panopticOracle(t, p, val, val.len())
	t.Logf("500 images in %s: oracle %v (claimed %v), codes used %g (claimed %g)", time.Since(start).Round(time.Millisecond), oracle, meta.Oracle, used, meta.CodesUsed)
	if !reflect.DeepEqual(oracle, meta.Oracle) || used != meta.CodesUsed {
		t.Errorf("oracle %v, codes used %g; vq.json claims %v, %g", oracle, used, meta.Oracle, meta.CodesUsed)
	}
	// The README's numbers: PQ 0.918, mean image PQ 0.930.
	if meta.Oracle["PQ"] < 0.918 || meta.Oracle["reward"] < 0.930 {
		t.Errorf("vq.json claims PQ %.4f, reward %.4f", meta.Oracle["PQ"], meta.Oracle["reward"])
	}
}
