package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"rewardvision/eval/colorize"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// CodebookFile is the stage-I codebook's file name in a checkpoint folder.
const CodebookFile = "codebook.json"

// VQFile records how a stage-I codebook was made and its oracle quality.
const VQFile = "vq.json"

// VQConfig configures `train vq`: stage I of the colorization model, a
// k-means codebook of chroma patches (see codec.Chroma).
type VQConfig struct {
	TrainDir, ValDir, OutDir string

	Size   int   // image side (64)
	Patch  int   // pixels per code side (8: an 8×8 grid at 64²)
	Sub    int   // chroma subsampling inside a patch (2)
	K      int   // codebook size
	Images int   // training images whose patches are clustered (0: all)
	Iters  int   // Lloyd iterations
	Seed   int64 // initial centres and image choice
	EvalN  int   // validation images of the oracle (0: all)

	Workers int
	SkipBad bool

	Command, DataDesc, World, Commit string
	DataSeed                         int64

	Logger *slog.Logger
	OnIter func(VQIter) // after each iteration
}

// VQIter is the progress of one k-means iteration.
type VQIter struct {
	Iter, Total int
	MSE         float64 // mean squared error per value (chroma levels²)
	Restarted   int     // empty clusters moved to the worst-fit patches
	Elapsed     time.Duration
}

// VQMeta is vq.json: the codebook's provenance and its oracle, the
// quality of the true codes decoded, which bounds what stage II can reach.
type VQMeta struct {
	Task       string                `json:"task"`
	K          int                   `json:"k"`
	Grid       int                   `json:"grid"`
	Patch      int                   `json:"patch"`
	Sub        int                   `json:"sub"`
	Images     int                   `json:"images"`  // training images clustered
	Patches    int                   `json:"patches"` // patch vectors clustered
	Iters      int                   `json:"iters"`
	TrainMSE   float64               `json:"train_mse"`  // per value, after the last iteration
	Oracle     ColorScores           `json:"oracle"`     // true codes decoded, on the validation split
	CodesUsed  float64               `json:"codes_used"` // fraction of codes the validation images use
	Provenance checkpoint.Provenance `json:"provenance"`
}

// ColorScores are mean image scores of colorizations against ground truth.
type ColorScores struct {
	Images         int     `json:"images"`
	PSNR           float64 `json:"psnr"`
	SSIM           float64 `json:"ssim"`
	Colorfulness   float64 `json:"colorfulness"`    // M3 of the outputs
	ColorfulnessGT float64 `json:"colorfulness_gt"` // M3 of the ground truth
	Reward         float64 `json:"reward"`          // colorize.ColorizationReward, default weight
}

// Map is the scores as validation metrics.
func (s ColorScores) Map() map[string]float64 {
	return map[string]float64{"PSNR": s.PSNR, "SSIM": s.SSIM, "colorfulness": s.Colorfulness,
		"colorfulness_gt": s.ColorfulnessGT, "reward": s.Reward, "images": float64(s.Images)}
}

// scoreColorizations averages colorize.Score of outputs against their
// ground-truth colour images (both size² RGB).
func scoreColorizations(outs, gts [][]uint8, size int) (ColorScores, error) {
	s := ColorScores{Images: len(outs)}
	if len(outs) == 0 {
		return s, nil
	}
	for i := range outs {
		sc, err := colorize.Score(&colorize.RGB{Width: size, Height: size, Pix: outs[i]}, &colorize.RGB{Width: size, Height: size, Pix: gts[i]})
		if err != nil {
			return s, err
		}
		s.PSNR += sc.PSNR
		s.SSIM += sc.SSIM
		s.Colorfulness += sc.Colorfulness
		s.ColorfulnessGT += sc.ColorfulnessGT
		s.Reward += sc.Reward
	}
	n := float64(len(outs))
	s.PSNR /= n
	s.SSIM /= n
	s.Colorfulness /= n
	s.ColorfulnessGT /= n
	s.Reward /= n
	return s, nil
}

// RunVQ fits the codebook, measures its oracle on the validation split and
// writes OutDir/codebook.json and OutDir/vq.json.
func RunVQ(ctx context.Context, cfg VQConfig) (*VQMeta, error) {
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.K < 2 || cfg.Iters < 1 {
		return nil, fmt.Errorf("train vq: k = %d, iters = %d: want k ≥ 2 and iters ≥ 1", cfg.K, cfg.Iters)
	}
	if err := checkOutDir(cfg.OutDir); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cb, err := codec.NewChroma(cfg.Size, cfg.Patch, cfg.Sub, cfg.K)
	if err != nil {
		return nil, err
	}
	trainSet, err := loadSplit(ctx, cfg.TrainDir, task.Colorization, cfg.Size, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	valSet, err := loadSplit(ctx, cfg.ValDir, task.Colorization, cfg.Size, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	order := rng.Perm(trainSet.len())
	if cfg.Images > 0 && cfg.Images < len(order) {
		order = order[:cfg.Images]
	}
	var x [][]float32
	for _, i := range order {
		vs, err := cb.Vectors(trainSet.pixels[i])
		if err != nil {
			return nil, fmt.Errorf("%s: image id %d: %w", trainSet.dir, trainSet.ids[i], err)
		}
		x = append(x, vs...)
	}
	log.Info("train vq", "images", len(order), "patches", len(x), "k", cfg.K, "dim", cb.Dim(), "iters", cfg.Iters)
	mse, err := kmeans(ctx, cb, x, cfg.Iters, rng, cfg.OnIter)
	if err != nil {
		return nil, err
	}
	oracle, used, err := vqOracle(cb, valSet, cfg.EvalN)
	if err != nil {
		return nil, err
	}
	meta := &VQMeta{Task: task.Colorization, K: cfg.K, Grid: cb.Grid(), Patch: cfg.Patch, Sub: cfg.Sub,
		Images: len(order), Patches: len(x), Iters: cfg.Iters, TrainMSE: mse, Oracle: oracle, CodesUsed: used,
		Provenance: checkpoint.Provenance{Data: cfg.DataDesc, World: cfg.World, DataSeed: cfg.DataSeed, Seed: cfg.Seed,
			Command: cfg.Command, Commit: cfg.Commit, Metrics: oracle.Map()}}
	if meta.Provenance.Data == "" {
		meta.Provenance.Data = cfg.TrainDir
	}
	if err := saveStageI(cfg.OutDir, func(path string) error { return codec.SaveChroma(cb, path) }, meta); err != nil {
		return nil, err
	}
	return meta, nil
}

// saveStageI writes a stage-I run's result into dir: the code (by save,
// as CodebookFile) and its meta as VQFile.
func saveStageI(dir string, save func(path string) error, meta any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := save(filepath.Join(dir, CodebookFile)); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, VQFile), meta)
}

// vqOracle decodes the true codes of the first n validation images onto
// their luminance and scores them; used is the fraction of the codebook
// those codes cover.
func vqOracle(cb *codec.Chroma, val *split, n int) (ColorScores, float64, error) {
	if n <= 0 || n > val.len() {
		n = val.len()
	}
	seen := make([]bool, cb.K())
	outs, gts := make([][]uint8, n), val.pixels[:n]
	for i := range n {
		codes, err := cb.Encode(val.pixels[i])
		if err != nil {
			return ColorScores{}, 0, err
		}
		for _, k := range codes {
			seen[k] = true
		}
		if outs[i], err = colorizeCodes(cb, codes, val.pixels[i]); err != nil {
			return ColorScores{}, 0, err
		}
	}
	used := 0
	for _, s := range seen {
		if s {
			used++
		}
	}
	sc, err := scoreColorizations(outs, gts, cb.Size)
	return sc, float64(used) / float64(cb.K()), err
}

// colorizeCodes is the colour image of codes on the luminance of pix
// (a Size² RGB image).
func colorizeCodes(cb *codec.Chroma, codes []int32, pix []uint8) ([]uint8, error) {
	plane, err := cb.Decode(codes)
	if err != nil {
		return nil, err
	}
	return codec.Colorize(pix, cb.Size, cb.Size, plane, cb.Size, cb.Size, cb.Size)
}

// kmeans runs Lloyd's algorithm on x from K distinct random points. A
// cluster left empty restarts at the patch worst fitted by its centre, so
// no code is dead. It returns the mean squared error per value of the last
// assignment.
func kmeans(ctx context.Context, cb *codec.Chroma, x [][]float32, iters int, rng *rand.Rand, onIter func(VQIter)) (float64, error) {
	k, dim := cb.K(), cb.Dim()
	if len(x) < k {
		return 0, fmt.Errorf("train vq: %d patches for %d codes: use more images or a smaller --k", len(x), k)
	}
	for j, i := range rng.Perm(len(x))[:k] {
		copy(cb.Centers[j], x[i])
	}
	assign := make([]int32, len(x))
	dist := make([]float32, len(x))
	workers := runtime.GOMAXPROCS(0)
	t0 := time.Now()
	var mse float64
	for it := 1; it <= iters; it++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("train vq stopped at iteration %d: %w", it, err)
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(x); i += workers {
					assign[i], dist[i] = cb.Nearest(x[i])
				}
			}()
		}
		wg.Wait()
		sums := make([]float64, k*dim)
		counts := make([]int, k)
		var total float64
		for i, a := range assign {
			counts[a]++
			total += float64(dist[i])
			row := sums[int(a)*dim : int(a+1)*dim]
			for d, v := range x[i] {
				row[d] += float64(v)
			}
		}
		mse = total / float64(len(x)*dim)
		restarted := 0
		for j := range k {
			if counts[j] == 0 {
				// The worst-fitted patch; its distance is zeroed so that
				// two empty clusters do not restart at the same point.
				worst := 0
				for i := range dist {
					if dist[i] > dist[worst] {
						worst = i
					}
				}
				copy(cb.Centers[j], x[worst])
				dist[worst] = 0
				restarted++
				continue
			}
			for d := range dim {
				cb.Centers[j][d] = float32(sums[j*dim+d] / float64(counts[j]))
			}
		}
		if onIter != nil {
			onIter(VQIter{Iter: it, Total: iters, MSE: mse, Restarted: restarted, Elapsed: time.Since(t0)})
		}
	}
	if math.IsNaN(mse) {
		return 0, fmt.Errorf("train vq: the squared error is NaN")
	}
	return mse, nil
}
