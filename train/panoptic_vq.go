package train

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"rewardvision/eval/panoptic"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/task"
)

// PanopticVQConfig configures `train vq --task panoptic`: stage I of the
// panoptic model, a code of patch label sets (see codec.Panoptic).
type PanopticVQConfig struct {
	TrainDir, ValDir, OutDir string

	Size   int   // image side (64)
	Patch  int   // pixels per code side
	K      int   // codes: the K most frequent patch label sets
	Ranks  int   // thing instances an image may hold
	Refits int   // colour refits of the decoder
	Images int   // training images counted (0: all)
	Seed   int64 // image choice
	EvalN  int   // validation images of the oracle (0: all)

	Workers int
	SkipBad bool

	Command, DataDesc, World, Commit string
	DataSeed                         int64

	Logger *slog.Logger
}

// PanopticVQMeta is vq.json of a panoptic code: its provenance and its
// oracle (true codes decoded on the image), which bounds stage II.
type PanopticVQMeta struct {
	Task     string  `json:"task"`
	K        int     `json:"k"`
	Grid     int     `json:"grid"`
	Patch    int     `json:"patch"`
	Ranks    int     `json:"ranks"`
	Refits   int     `json:"refits"`
	Images   int     `json:"images"`   // training images counted
	Coverage float64 `json:"coverage"` // training patches whose label set is a code
	// Oracle: PQ, SQ, RQ (All, Things, Stuff) and mean image PQ (reward)
	// of the true codes decoded, on the validation split.
	Oracle     map[string]float64    `json:"oracle"`
	CodesUsed  float64               `json:"codes_used"` // fraction of codes the validation images use
	Elapsed    float64               `json:"elapsed_s"`
	Provenance checkpoint.Provenance `json:"provenance"`
}

// RunPanopticVQ lists the codes, measures the oracle on the validation
// split and writes OutDir/codebook.json and OutDir/vq.json.
func RunPanopticVQ(ctx context.Context, cfg PanopticVQConfig) (*PanopticVQMeta, error) {
	t0 := time.Now()
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.K < 1 {
		return nil, fmt.Errorf("train vq: k = %d: want ≥ 1", cfg.K)
	}
	if err := checkOutDir(cfg.OutDir); err != nil {
		return nil, err
	}
	if have, err := hasCheckpoints(cfg.OutDir); err != nil {
		return nil, err
	} else if have {
		return nil, fmt.Errorf("%s holds a training run (checkpoints): its %s is the code it trains on; choose another --out", cfg.OutDir, CodebookFile)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	trainSet, err := loadSplit(ctx, cfg.TrainDir, task.Panoptic, cfg.Size, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	valSet, err := loadSplit(ctx, cfg.ValDir, task.Panoptic, cfg.Size, cfg.Workers, cfg.SkipBad, log)
	if err != nil {
		return nil, err
	}
	p := &codec.Panoptic{Size: cfg.Size, Patch: cfg.Patch, Ranks: cfg.Ranks, Iters: cfg.Refits}
	for _, c := range trainSet.allCats {
		if c.Thing() {
			p.Things = append(p.Things, int(c.ID))
		} else {
			p.Stuff = append(p.Stuff, int(c.ID))
		}
	}
	if err := p.ValidateLayout(); err != nil {
		return nil, fmt.Errorf("the code of %s's categories: %w", cfg.TrainDir, err)
	}
	spec, err := newPanopticSpec(p, nil)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	order := rng.Perm(trainSet.len())
	if cfg.Images > 0 && cfg.Images < len(order) {
		order = order[:cfg.Images]
	}
	maps := make([][]int16, 0, len(order))
	for _, i := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, err := spec.labelMap(trainSet, i)
		if err != nil {
			return nil, err
		}
		maps = append(maps, l)
	}
	coverage := p.BuildCodes(maps, cfg.K)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	spec.enc = p.NewEncoder()
	log.Info("train vq", "task", task.Panoptic, "images", len(order), "codes", p.K(), "coverage", coverage)

	n := cfg.EvalN
	if n <= 0 || n > valSet.len() {
		n = valSet.len()
	}
	seen := make([]bool, p.K())
	stats := make([]*panoptic.ImageStats, n)
	for i := range n {
		l, err := spec.labelMap(valSet, i)
		if err != nil {
			return nil, err
		}
		codes, err := spec.enc.Encode(l)
		if err != nil {
			return nil, err
		}
		for _, k := range codes {
			seen[k] = true
		}
		if stats[i], err = spec.match(valSet, i, codes); err != nil {
			return nil, err
		}
	}
	used := 0
	for _, s := range seen {
		if s {
			used++
		}
	}
	oracle := pqMetrics(spec.cats, stats)
	meta := &PanopticVQMeta{Task: task.Panoptic, K: p.K(), Grid: p.Grid(), Patch: p.Patch, Ranks: p.Ranks, Refits: p.Iters,
		Images: len(order), Coverage: coverage, Oracle: oracle, CodesUsed: float64(used) / float64(p.K()),
		Elapsed: time.Since(t0).Seconds(),
		Provenance: checkpoint.Provenance{Data: cfg.DataDesc, World: cfg.World, DataSeed: cfg.DataSeed, Seed: cfg.Seed,
			Command: cfg.Command, Commit: cfg.Commit, Metrics: oracle}}
	if meta.Provenance.Data == "" {
		meta.Provenance.Data = cfg.TrainDir
	}
	if err := saveStageI(cfg.OutDir, func(path string) error { return codec.SavePanoptic(p, path) }, meta); err != nil {
		return nil, err
	}
	return meta, nil
}
