package train

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rewardvision/dataset/shapes"
	"rewardvision/eval/colorize"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// points2 is 2-value chroma vectors (a codebook of Size 2, Patch 2, Sub 2
// has Dim 2).
func points2(xs ...[2]float32) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = []float32{x[0], x[1]}
	}
	return out
}

func dim2Codebook(t *testing.T, k int) *codec.Chroma {
	t.Helper()
	cb, err := codec.NewChroma(2, 2, 2, k)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Dim() != 2 {
		t.Fatalf("dim %d, want 2", cb.Dim())
	}
	return cb
}

// kmeansInit is the indices of the points kmeans starts from with rng
// seeded like rand.New(rand.NewPCG(seed, 0x5eed)): its first draw is
// rng.Perm(n)[:k].
func kmeansInit(seed uint64, n, k int) []int {
	return rand.New(rand.NewPCG(seed, 0x5eed)).Perm(n)[:k]
}

// centreSet is the codebook's centres, sorted, for comparing as a set.
func centreSet(cb *codec.Chroma) [][2]float32 {
	var s [][2]float32
	for _, c := range cb.Centers {
		s = append(s, [2]float32{c[0], c[1]})
	}
	slices.SortFunc(s, func(a, b [2]float32) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		if a[1] < b[1] {
			return -1
		}
		if a[1] > b[1] {
			return 1
		}
		return 0
	})
	return s
}

// usedCodes counts the codes some point of x is nearest to.
func usedCodes(cb *codec.Chroma, x [][]float32) int {
	seen := map[int32]bool{}
	for _, v := range x {
		k, _ := cb.Nearest(v)
		seen[k] = true
	}
	return len(seen)
}

// TestKMeansRestartsEmptyClusters: ten copies of A and one each of B and
// C. Three random points of the twelve mostly include two or three copies of
// A; the duplicated centres get no patch (ties go to the lower code) and
// must restart at the worst-fitted patches, B and C, never both at one.
func TestKMeansRestartsEmptyClusters(t *testing.T) {
	A, B, C := [2]float32{0, 0}, [2]float32{100, 0}, [2]float32{0, 100}
	var xs [][2]float32
	for range 10 {
		xs = append(xs, A)
	}
	xs = append(xs, B, C)
	x := points2(xs...)
	want := [][2]float32{A, C, B} // sorted
	allA := 0
	for seed := uint64(1); seed <= 30; seed++ {
		init := kmeansInit(seed, len(x), 3)
		distinct := map[[2]float32]bool{}
		for _, i := range init {
			distinct[xs[i]] = true
		}
		var iters []VQIter
		cb := dim2Codebook(t, 3)
		mse, err := kmeans(context.Background(), cb, x, 1, rand.New(rand.NewPCG(seed, 0x5eed)), func(it VQIter) { iters = append(iters, it) })
		if err != nil {
			t.Fatal(err)
		}
		if len(iters) != 1 || iters[0].Iter != 1 || iters[0].Total != 1 || iters[0].MSE != mse {
			t.Fatalf("seed %d: progress %+v, mse %g", seed, iters, mse)
		}
		if got, want := iters[0].Restarted, 3-len(distinct); got != want {
			t.Errorf("seed %d: start %v: %d clusters restarted, want %d (one per duplicated centre)", seed, init, got, want)
		}
		// After one iteration no code is dead: every centre is the nearest
		// of some point.
		if n := usedCodes(cb, x); n != 3 {
			t.Errorf("seed %d: start %v: after one iteration %d codes in use, want 3; centres %v", seed, init, n, cb.Centers)
		}
		if len(distinct) == 1 { // three copies of A: two restarts, at B and at C
			allA++
			got := centreSet(cb)
			mean := float32(float64(100) / 12)
			if !reflect.DeepEqual(got, [][2]float32{{0, 100}, {mean, mean}, {100, 0}}) {
				t.Errorf("seed %d: from three copies of A, centres %v; want B, C and the mean (%g, %g)", seed, got, mean, mean)
			}
		}
		// Three iterations recover A, B and C exactly, with no error left.
		cb = dim2Codebook(t, 3)
		mse, err = kmeans(context.Background(), cb, x, 3, rand.New(rand.NewPCG(seed, 0x5eed)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := centreSet(cb); !reflect.DeepEqual(got, want) || mse != 0 {
			t.Errorf("seed %d: after 3 iterations centres %v, mse %g; want %v, 0", seed, got, mse, want)
		}
	}
	if allA == 0 {
		t.Errorf("no seed started from three copies of A: the double restart went untested")
	}
}

// TestKMeansSeparatedClusters: four well-separated clusters of four
// points c ± (1, 1), whose means are exactly c and whose error is exactly
// 1 per value. The error never rises; from a start with one point in each
// cluster, Lloyd's algorithm recovers the four means exactly.
func TestKMeansSeparatedClusters(t *testing.T) {
	centres := [][2]float32{{-500, -500}, {-500, 500}, {500, -500}, {500, 500}} // sorted
	var xs [][2]float32
	var cluster []int
	offsets := [][2]float32{{1, 1}, {-1, -1}, {1, -1}, {-1, 1}}
	for _, o := range offsets { // interleaved, so a cluster is not a run of indices
		for c, ctr := range centres {
			xs = append(xs, [2]float32{ctr[0] + o[0], ctr[1] + o[1]})
			cluster = append(cluster, c)
		}
	}
	x := points2(xs...)
	covered := 0
	for seed := uint64(1); seed <= 40; seed++ {
		hit := map[int]bool{}
		for _, i := range kmeansInit(seed, len(x), 4) {
			hit[cluster[i]] = true
		}
		var mses []float64
		cb := dim2Codebook(t, 4)
		mse, err := kmeans(context.Background(), cb, x, 6, rand.New(rand.NewPCG(seed, 0x5eed)), func(it VQIter) { mses = append(mses, it.MSE) })
		if err != nil {
			t.Fatal(err)
		}
		if len(mses) != 6 || mses[5] != mse {
			t.Fatalf("seed %d: %d progress calls (want 6), last %v, returned %g", seed, len(mses), mses, mse)
		}
		for i := 1; i < len(mses); i++ {
			if mses[i] > mses[i-1]*(1+1e-9) {
				t.Errorf("seed %d: error rose at iteration %d: %v", seed, i+1, mses)
			}
		}
		if usedCodes(cb, x) != 4 {
			t.Errorf("seed %d: a dead code: centres %v", seed, cb.Centers)
		}
		if len(hit) == 4 {
			covered++
			if got := centreSet(cb); !reflect.DeepEqual(got, centres) || mse != 1 {
				t.Errorf("seed %d: centres %v, mse %g; want %v, 1", seed, got, mse, centres)
			}
		} else if mse < 1 {
			t.Errorf("seed %d: mse %g below the optimum 1", seed, mse)
		}
	}
	if covered == 0 {
		t.Errorf("no seed started with one point in each cluster: exact recovery went untested")
	}
}

func TestKMeansErrors(t *testing.T) {
	x := points2([2]float32{0, 0}, [2]float32{1, 1})
	if _, err := kmeans(context.Background(), dim2Codebook(t, 3), x, 1, rand.New(rand.NewPCG(1, 2)), nil); err == nil ||
		!strings.Contains(err.Error(), "2 patches for 3 codes") {
		t.Errorf("fewer patches than codes: err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kmeans(ctx, dim2Codebook(t, 2), x, 5, rand.New(rand.NewPCG(1, 2)), nil); !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "stopped at iteration 1") {
		t.Errorf("cancelled: err %v, want context.Canceled at iteration 1", err)
	}
	// Two points, two codes: exact after one iteration.
	cb := dim2Codebook(t, 2)
	mse, err := kmeans(context.Background(), cb, x, 2, rand.New(rand.NewPCG(1, 2)), nil)
	if err != nil || mse != 0 || !reflect.DeepEqual(centreSet(cb), [][2]float32{{0, 0}, {1, 1}}) {
		t.Errorf("two points: centres %v, mse %g, err %v", cb.Centers, mse, err)
	}
}

var (
	vqDataOnce sync.Once
	vqDataErr  error
)

// vqData generates (once per test binary) 40 training and 10 validation
// 64² images of the captioning world, inside tinyData's folder so that
// TestMain removes them.
func vqData(t *testing.T) (trainDir, valDir string) {
	t.Helper()
	tr, _ := tinyData(t)
	root := filepath.Join(filepath.Dir(tr), "vq")
	vqDataOnce.Do(func() {
		cfg, err := shapes.Preset("captioning")
		if err != nil {
			vqDataErr = err
			return
		}
		vqDataErr = genSplits(root, cfg, 40, 10)
	})
	if vqDataErr != nil {
		t.Fatal(vqDataErr)
	}
	return filepath.Join(root, "train"), filepath.Join(root, "val")
}

func vqConfig(t *testing.T) VQConfig {
	tr, va := vqData(t)
	return VQConfig{TrainDir: tr, ValDir: va, OutDir: filepath.Join(t.TempDir(), "vq"),
		Patch: 8, Sub: 2, K: 32, Iters: 10, Seed: 3, Workers: 2, Command: "rewardvision train vq (test)", Logger: quietLog()}
}

// grayOutputs is each image's luminance in all three channels: what an
// uncoloured output scores.
func grayOutputs(pixels [][]uint8) [][]uint8 {
	var outs [][]uint8
	for _, p := range pixels {
		g := make([]uint8, len(p))
		for i := 0; i+2 < len(p); i += 3 {
			l := codec.Luma(p[i], p[i+1], p[i+2])
			g[i], g[i+1], g[i+2] = l, l, l
		}
		outs = append(outs, g)
	}
	return outs
}

func meanPSNR(t *testing.T, outs, gts [][]uint8, size int) float64 {
	t.Helper()
	s := 0.0
	for i := range outs {
		p, err := colorize.PSNR(&colorize.RGB{Width: size, Height: size, Pix: outs[i]}, &colorize.RGB{Width: size, Height: size, Pix: gts[i]})
		if err != nil {
			t.Fatal(err)
		}
		s += min(p, 100)
	}
	return s / float64(len(outs))
}

// TestRunVQ fits a 32-code codebook to 40 images of the captioning world
// and checks its files and its oracle: the true codes decoded onto the
// validation images' luminance beat gray outputs clearly.
func TestRunVQ(t *testing.T) {
	cfg := vqConfig(t)
	var iters []VQIter
	cfg.OnIter = func(it VQIter) { iters = append(iters, it) }
	start := time.Now()
	meta, err := RunVQ(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train vq in %s: mse %.2f, oracle %+v, codes used %.2f", time.Since(start).Round(time.Millisecond), meta.TrainMSE, meta.Oracle, meta.CodesUsed)

	if meta.Task != task.Colorization || meta.K != 32 || meta.Grid != 8 || meta.Patch != 8 || meta.Sub != 2 || meta.Images != 40 ||
		meta.Patches != 40*64 || meta.Iters != 10 || meta.Oracle.Images != 10 || meta.Provenance.Data != cfg.TrainDir ||
		meta.Provenance.Seed != 3 || meta.Provenance.Command != cfg.Command {
		t.Errorf("vq meta %+v", meta)
	}
	if !reflect.DeepEqual(meta.Provenance.Metrics, meta.Oracle.Map()) {
		t.Errorf("provenance metrics %v, want the oracle's %v", meta.Provenance.Metrics, meta.Oracle.Map())
	}
	// Progress: one call an iteration, the error never rising, the last
	// one the returned error.
	if len(iters) != 10 {
		t.Fatalf("%d progress calls, want 10", len(iters))
	}
	for i, it := range iters {
		if it.Iter != i+1 || it.Total != 10 || (i > 0 && it.MSE > iters[i-1].MSE*(1+1e-9)) {
			t.Errorf("iteration %d: %+v after %+v", i+1, it, iters[max(i-1, 0)])
		}
	}
	if iters[9].MSE != meta.TrainMSE || !(meta.TrainMSE > 0) {
		t.Errorf("train mse %g, last iteration %g", meta.TrainMSE, iters[9].MSE)
	}

	// The files: vq.json is the returned meta, codebook.json a valid codebook.
	checkSavedJSON(t, filepath.Join(cfg.OutDir, VQFile), meta)
	cb, err := codec.LoadChroma(filepath.Join(cfg.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Size != 64 || cb.Patch != 8 || cb.Sub != 2 || cb.K() != 32 || cb.Dim() != 32 {
		t.Errorf("codebook size %d patch %d sub %d k %d dim %d", cb.Size, cb.Patch, cb.Sub, cb.K(), cb.Dim())
	}

	// The oracle again, from the saved codebook and the validation split.
	val, err := loadSplit(context.Background(), cfg.ValDir, task.Colorization, 64, 2, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var outs [][]uint8
	seen := map[int32]bool{}
	for _, pix := range val.pixels {
		codes, err := cb.Encode(pix)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range codes {
			seen[k] = true
		}
		out, err := colorizeCodes(cb, codes, pix)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	oracle := meanPSNR(t, outs, val.pixels, 64)
	if math.Abs(oracle-meta.Oracle.PSNR) > 1e-9 || math.Abs(float64(len(seen))/32-meta.CodesUsed) > 1e-12 {
		t.Errorf("oracle PSNR %g, codes used %g; recomputed %g, %g", meta.Oracle.PSNR, meta.CodesUsed, oracle, float64(len(seen))/32)
	}
	grays := grayOutputs(val.pixels)
	gray := meanPSNR(t, grays, val.pixels, 64)
	grayScores, err := scoreColorizations(grays, val.pixels, 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gray baseline %+v", grayScores)
	if math.Abs(gray-grayScores.PSNR) > 1e-9 {
		t.Errorf("gray PSNR %g, scoreColorizations %g", gray, grayScores.PSNR)
	}
	// Measured: 23.0 dB against 14.9 dB, SSIM 0.80 against 0.77, reward
	// 76.8 against −0.25.
	if meta.Oracle.PSNR < gray+5 {
		t.Errorf("oracle PSNR %.2f dB, gray outputs %.2f dB: want the codes at least 5 dB better", meta.Oracle.PSNR, gray)
	}
	if meta.Oracle.SSIM <= grayScores.SSIM || meta.Oracle.Reward <= grayScores.Reward+40 {
		t.Errorf("oracle SSIM %.4f reward %.2f, gray %.4f %.2f", meta.Oracle.SSIM, meta.Oracle.Reward, grayScores.SSIM, grayScores.Reward)
	}
	// Colourfulness of the decoded codes is most of the ground truth's.
	if meta.Oracle.Colorfulness < 0.7*meta.Oracle.ColorfulnessGT || meta.Oracle.ColorfulnessGT != grayScores.ColorfulnessGT {
		t.Errorf("oracle colourfulness %.2f, ground truth %.2f (gray run: %.2f)", meta.Oracle.Colorfulness, meta.Oracle.ColorfulnessGT, grayScores.ColorfulnessGT)
	}
	if meta.CodesUsed < 0.75 { // measured: 0.94
		t.Errorf("validation images use %.0f%% of the codes, want at least 75%%", 100*meta.CodesUsed)
	}

	// Same seed, fewer oracle images: the same codebook, an oracle of 3.
	again := cfg
	again.OutDir, again.EvalN, again.OnIter = filepath.Join(t.TempDir(), "again"), 3, nil
	meta2, err := RunVQ(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(filepath.Join(cfg.OutDir, CodebookFile))
	b2, _ := os.ReadFile(filepath.Join(again.OutDir, CodebookFile))
	if len(b1) == 0 || string(b1) != string(b2) {
		t.Errorf("same seed, different codebooks")
	}
	if meta2.Oracle.Images != 3 || meta2.TrainMSE != meta.TrainMSE {
		t.Errorf("eval-n 3: oracle of %d images, mse %g (want 3, %g)", meta2.Oracle.Images, meta2.TrainMSE, meta.TrainMSE)
	}
	if want := meanPSNR(t, outs[:3], val.pixels[:3], 64); math.Abs(meta2.Oracle.PSNR-want) > 1e-9 {
		t.Errorf("eval-n 3: oracle PSNR %g, want the first three images' %g", meta2.Oracle.PSNR, want)
	}
}

func TestRunVQErrors(t *testing.T) {
	tr, _ := vqData(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		edit func(c *VQConfig)
		ctx  context.Context
		want string
	}{
		{"one code", func(c *VQConfig) { c.K = 1 }, nil, "k = 1, iters = 10: want k ≥ 2 and iters ≥ 1"},
		{"no iterations", func(c *VQConfig) { c.Iters = 0 }, nil, "want k ≥ 2 and iters ≥ 1"},
		{"patch not dividing the image", func(c *VQConfig) { c.Patch = 5 }, nil, "patch 5 must divide size 64"},
		{"sub not dividing the patch", func(c *VQConfig) { c.Sub = 3 }, nil, "sub 3 divide patch"},
		{"fewer patches than codes", func(c *VQConfig) { c.Images, c.K = 1, 65 }, nil, "64 patches for 65 codes"},
		{"missing split", func(c *VQConfig) { c.ValDir = filepath.Join(tr, "nothing") }, nil, "not a split folder"},
		{"cancelled", func(*VQConfig) {}, ctx, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := vqConfig(t)
			tc.edit(&cfg)
			c := tc.ctx
			if c == nil {
				c = context.Background()
			}
			meta, err := RunVQ(c, cfg)
			if err == nil || meta != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("RunVQ: %v, err %v; want an error containing %q", meta, err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(cfg.OutDir, CodebookFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed run left %s (stat: %v)", CodebookFile, err)
			}
		})
	}
}

func TestScoreColorizations(t *testing.T) {
	const size = 16 // SSIM's window is 11²
	rng := rand.New(rand.NewPCG(5, 6))
	img := func(lo, hi int) []uint8 {
		p := make([]uint8, 3*size*size)
		for i := range p {
			p[i] = uint8(lo + rng.IntN(hi-lo+1))
		}
		return p
	}
	gt1, gt2 := img(0, 245), img(0, 245)
	plus10 := func(p []uint8) []uint8 {
		q := slices.Clone(p)
		for i := range q {
			q[i] += 10
		}
		return q
	}
	m3 := func(p []uint8) float64 {
		return colorize.Colorfulness(&colorize.RGB{Width: size, Height: size, Pix: p})
	}
	for _, tc := range []struct {
		name      string
		outs, gts [][]uint8
		want      ColorScores
	}{
		{"none", nil, nil, ColorScores{}},
		{"identical", [][]uint8{gt1, gt2}, [][]uint8{gt1, gt2},
			ColorScores{Images: 2, PSNR: 100, SSIM: 1, Colorfulness: (m3(gt1) + m3(gt2)) / 2, ColorfulnessGT: (m3(gt1) + m3(gt2)) / 2, Reward: (m3(gt1) + m3(gt2)) / 2}},
		// Every byte 10 too high: MSE 100, PSNR 10·log10(255²/100) = 28.1308 dB;
		// luminance 10 too high everywhere: similarity −10; colourfulness unchanged.
		{"brighter by 10", [][]uint8{plus10(gt1)}, [][]uint8{gt1},
			ColorScores{Images: 1, PSNR: 10 * math.Log10(255*255/100.0), Colorfulness: m3(gt1), ColorfulnessGT: m3(gt1), Reward: m3(gt1) - 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scoreColorizations(tc.outs, tc.gts, size)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "brighter by 10" {
				if got.SSIM >= 1 || got.SSIM <= 0 {
					t.Errorf("SSIM %g, want in (0, 1)", got.SSIM)
				}
				got.SSIM = 0
				if math.Abs(got.PSNR-28.130803608679102) > 1e-9 {
					t.Errorf("PSNR %.12g, want 28.1308036087", got.PSNR)
				}
			}
			const eps = 1e-9
			if got.Images != tc.want.Images || math.Abs(got.PSNR-tc.want.PSNR) > eps || math.Abs(got.SSIM-tc.want.SSIM) > eps ||
				math.Abs(got.Colorfulness-tc.want.Colorfulness) > eps || math.Abs(got.ColorfulnessGT-tc.want.ColorfulnessGT) > eps ||
				math.Abs(got.Reward-tc.want.Reward) > eps {
				t.Errorf("scores %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := scoreColorizations([][]uint8{gt1}, [][]uint8{gt1[:12*12*3]}, size); err == nil {
		t.Errorf("a ground truth of the wrong size scored")
	}
	m := ColorScores{Images: 3, PSNR: 1, SSIM: 2, Colorfulness: 3, ColorfulnessGT: 4, Reward: 5}.Map()
	if want := map[string]float64{"images": 3, "PSNR": 1, "SSIM": 2, "colorfulness": 3, "colorfulness_gt": 4, "reward": 5}; !reflect.DeepEqual(m, want) {
		t.Errorf("Map = %v, want %v", m, want)
	}
}

// TestColorizationReward: the paper's reward of the true codes beats that
// of an all-gray output, and equals colorize.ColorizationReward of the
// decoded image.
func TestColorizationReward(t *testing.T) {
	cfg := vqConfig(t)
	if _, err := RunVQ(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cb, err := codec.LoadChroma(filepath.Join(cfg.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	val, err := loadSplit(context.Background(), cfg.ValDir, task.Colorization, 64, 2, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	rw := &colorizationRewarder{cb: cb, weight: colorize.DefaultSimilarityWeight}
	grayCode, _ := cb.Nearest(make([]float32, cb.Dim()))
	grayTokens := cb.Tokens(slices.Repeat([]int32{grayCode}, cb.Grid()*cb.Grid()))
	var sumTrue, sumGray float64
	for i, pix := range val.pixels {
		codes, err := cb.Encode(pix)
		if err != nil {
			t.Fatal(err)
		}
		toks := cb.Tokens(codes)
		got := rw.score(val, i, toks)
		out, err := colorizeCodes(cb, codes, pix)
		if err != nil {
			t.Fatal(err)
		}
		want, err := colorize.ColorizationReward(&colorize.RGB{Width: 64, Height: 64, Pix: out}, &colorize.RGB{Width: 64, Height: 64, Pix: pix}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got != want.Total {
			t.Errorf("image %d: reward %g, want %g", i, got, want.Total)
		}
		// The reward sees the input's luminance only: the image's gray
		// version (luminance rounded to a level) as the target scores
		// the same output alike, up to that rounding.
		grayIn := &split{size: 64, pixels: grayOutputs([][]uint8{pix})}
		if g := rw.score(grayIn, 0, toks); math.Abs(g-got) > 0.5 {
			t.Errorf("image %d: reward %g against the colour image, %g against its gray version", i, got, g)
		}
		gray := rw.score(val, i, grayTokens)
		sumTrue += got
		sumGray += gray
		if got <= gray {
			t.Errorf("image %d: true codes' reward %.2f ≤ all-gray code's %.2f", i, got, gray)
		}
		if n := rw.size(toks); n != len(distinctCodes(codes)) {
			t.Errorf("image %d: size %d, want %d distinct codes", i, n, len(distinctCodes(codes)))
		}
	}
	t.Logf("mean reward: true codes %.2f, gray code %d %.2f", sumTrue/float64(val.len()), grayCode, sumGray/float64(val.len()))
	if sumTrue < sumGray+40*float64(val.len()) {
		t.Errorf("mean reward of the true codes %.2f, of gray %.2f: want 40 points more", sumTrue/float64(val.len()), sumGray/float64(val.len()))
	}
	// Sequences the grammar forbids score 0, never panic.
	for _, bad := range [][]int32{nil, grayTokens[:10], append([]int32{codec.EOS}, grayTokens[1:]...)} {
		if r := rw.score(val, 0, bad); r != 0 {
			t.Errorf("reward of %v = %g, want 0", bad, r)
		}
	}
	if n := rw.size([]int32{3, 3, 5, codec.EOS, codec.PAD, 5, 4}); n != 3 {
		t.Errorf("size = %d, want 3", n)
	}
	if !strings.Contains(rw.describe(), "+ 1 × luminance similarity") {
		t.Errorf("describe = %q", rw.describe())
	}
}

func distinctCodes(codes []int32) map[int32]bool {
	m := map[int32]bool{}
	for _, k := range codes {
		m[k] = true
	}
	return m
}

// TestColorizationOverfit is stage II end to end: a codebook from `train
// vq` on the 16² tiny world, then a tiny model trained on four images
// until its greedy decodes are the images' codes, evaluated by Evaluate
// from the run folder alone.
func TestColorizationOverfit(t *testing.T) {
	tr, va := tinyData(t)
	vqDir := filepath.Join(t.TempDir(), "vq")
	if _, err := RunVQ(context.Background(), VQConfig{TrainDir: tr, ValDir: va, OutDir: vqDir, Size: 16, Patch: 4, Sub: 2, K: 8,
		Iters: 10, Seed: 1, Workers: 1, Logger: quietLog()}); err != nil {
		t.Fatal(err)
	}
	four := filepath.Join(t.TempDir(), "four")
	wc := shapes.DefaultConfig()
	wc.Size, wc.MaxObjects, wc.MinObjectSize, wc.MaxObjectSize = 16, 2, 0.35, 0.6
	wc.MinVisiblePixels, wc.CrowdProb = 4, 0
	if _, err := shapes.Generate(context.Background(), wc, shapes.Options{Out: four, N: 4, Seed: 9, Split: "train", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, task.Colorization, overfitSteps)
	cfg.TrainDir, cfg.ValDir, cfg.VQ = four, four, vqDir
	cfg.Batch, cfg.EvalN, cfg.LR, cfg.Warmup, cfg.WeightDecay = 4, 4, overfitLR, 5, 0
	cfg.Model.Width = overfitWidth
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps in %s: loss %.3f → %.3f, metrics %v", res.Steps, time.Since(start).Round(time.Millisecond), res.Losses[0], res.Losses[len(res.Losses)-1], res.Metrics)

	// The run folder is a checkpoint of its own: the codebook beside the
	// weights, meta.json naming it and the gray input.
	cb, err := codec.LoadChroma(filepath.Join(cfg.OutDir, CodebookFile))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(filepath.Join(vqDir, CodebookFile))
	own, _ := os.ReadFile(filepath.Join(cfg.OutDir, CodebookFile))
	if len(src) == 0 || string(src) != string(own) {
		t.Errorf("the run's codebook.json differs from the vq folder's")
	}
	meta, err := checkpoint.Load(cfg.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	if c := meta.Colorization; c == nil || c.CodebookFile != CodebookFile || c.Grid != 4 || c.Codes != 8 || !meta.Input.Gray ||
		meta.Model.VocabSize != 11 || meta.Model.SeqLen != 17 {
		t.Errorf("meta: colorization %+v, gray input %v, vocab %d, seq %d; want codebook.json grid 4 codes 8, gray, 11, 17",
			meta.Colorization, meta.Input.Gray, meta.Model.VocabSize, meta.Model.SeqLen)
	}

	// Greedy decodes through Evaluate, from the folder alone.
	resultsPath := filepath.Join(t.TempDir(), "codes.json")
	metrics, err := Evaluate(context.Background(), EvalOptions{Checkpoint: cfg.OutDir, Val: four, Results: resultsPath, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"PSNR", "SSIM", "colorfulness", "colorfulness_gt", "reward", "images", "nll", "step"} {
		if v, ok := metrics[k]; !ok || math.IsNaN(v) {
			t.Errorf("Evaluate metrics %v: no %q", metrics, k)
		}
	}
	if metrics["step"] != overfitSteps || metrics["images"] != 4 {
		t.Errorf("Evaluate: step %g, images %g; want %d, 4", metrics["step"], metrics["images"], overfitSteps)
	}
	var decoded []codeResult
	data, err := os.ReadFile(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	imgs, err := loadSplit(context.Background(), four, task.Colorization, 16, 1, false, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if len(decoded) != imgs.len() {
		t.Fatalf("%d results for %d images", len(decoded), imgs.len())
	}
	right, total := 0, 0
	var outs [][]uint8
	for i, r := range decoded {
		want, err := cb.Encode(imgs.pixels[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.ImageID != imgs.ids[i] || len(r.Codes) != len(want) {
			t.Fatalf("result %d: image id %d with %d codes, want id %d and %d codes", i, r.ImageID, len(r.Codes), imgs.ids[i], len(want))
		}
		for j := range want {
			total++
			if r.Codes[j] == want[j] {
				right++
			}
		}
		if !slices.Equal(r.Codes, want) {
			t.Logf("image id %d: decoded %v\n                 true %v", r.ImageID, r.Codes, want)
		}
		out, err := colorizeCodes(cb, r.Codes, imgs.pixels[i])
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	// The greedy decodes are the training targets.
	if right != total {
		t.Errorf("greedy decodes match %d of the %d training codes, want all", right, total)
	}
	// Evaluate's scores are those of the decoded codes' colorizations.
	sc, err := scoreColorizations(outs, imgs.pixels, 16)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sc.Map() {
		if math.Abs(metrics[k]-v) > 1e-9 {
			t.Errorf("Evaluate %s = %g, the decoded codes score %g", k, metrics[k], v)
		}
	}
	if !(metrics["nll"] < 0.05) {
		t.Errorf("nll %g on the training images, want < 0.05", metrics["nll"])
	}
	if !maps.Equal(metrics, res.Metrics) {
		t.Errorf("Evaluate %v, the run's last validation %v", metrics, res.Metrics)
	}
}

// overfitSteps: every code is right from ~40 steps and the loss is ~0.003
// after 100 (~1 s on 2 cores, ~25 s under -race).
const overfitSteps, overfitLR, overfitWidth = 100, 1e-2, 32

func TestColorizationRunErrors(t *testing.T) {
	tr, va := tinyData(t)
	vq64 := filepath.Join(t.TempDir(), "vq64")
	vtr, vva := vqData(t)
	if _, err := RunVQ(context.Background(), VQConfig{TrainDir: vtr, ValDir: vva, OutDir: vq64, Patch: 8, Sub: 2, K: 4, Iters: 1, Seed: 1,
		Workers: 1, Images: 2, EvalN: 1, Logger: quietLog()}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"size": 16, "patch": 4, "sub": 2, "centers": [[0, 0]]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, vq, want string }{
		{"no codebook", "", "colorization needs --vq"},
		{"missing folder", filepath.Join(tr, "no-such-vq"), "no-such-vq"},
		{"codebook of 64² images", vq64, "codes 64² images, the model reads 16²"},
		{"codebook file of 64² images", filepath.Join(vq64, CodebookFile), "codes 64² images"},
		{"invalid codebook", bad, "codebook vector 0 has 2 values, want 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t, task.Colorization, 2)
			cfg.TrainDir, cfg.ValDir, cfg.VQ = tr, va, tc.vq
			if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: err %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(cfg.OutDir, CodebookFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused run left %s (stat: %v)", CodebookFile, err)
			}
		})
	}
}

// checkSavedJSON checks that the JSON file at path decodes to want.
func checkSavedJSON[T any](t *testing.T, path string, want *T) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := new(T)
	if err := json.Unmarshal(data, got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %+v (err %v), want %+v", path, got, err, want)
	}
}
