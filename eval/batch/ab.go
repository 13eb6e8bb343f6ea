package batch

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"rewardvision/models/task"
)

// ABMetric is one metric's A/B difference: B − A on the evaluated images
// and the paired bootstrap's 95% percentile interval.
type ABMetric struct {
	A     float64    `json:"a"`
	B     float64    `json:"b"`
	Delta float64    `json:"delta"`
	CI95  [2]float64 `json:"ci95"`
}

// WinTieLoss counts images where B's reward is higher, equal (within
// TieTolerance) or lower than A's.
type WinTieLoss struct {
	Win  int `json:"win"`
	Tie  int `json:"tie"`
	Loss int `json:"loss"`
}

// TieTolerance is the reward difference below which an image is a tie.
const TieTolerance = 1e-9

// AB compares model B against model A on the same images.
type AB struct {
	A, B      string // variant keys
	Metrics   map[string]ABMetric
	Order     []string // metric names in report order
	Rewards   WinTieLoss
	Resamples int
	Seed      uint64
	// Diffs are image positions (into Evaluation.ImageIDs) by decreasing
	// |reward B − reward A|, ties by image id.
	Diffs []int
}

// ABOptions control Compare.
type ABOptions struct {
	Resamples int    // bootstrap resamples (default 1000)
	Seed      uint64 // bootstrap seed
	Workers   int    // goroutines (0: GOMAXPROCS)
}

// PickAB chooses A and B among the variants: the MLE model is A when there
// is exactly one, else the first listed; B is the other. Only two models
// can be compared.
func PickAB(ev *Evaluation) (a, b int, ok bool) {
	if len(ev.Variants) != 2 {
		return 0, 0, false
	}
	if ev.Variants[1].Info.Variant == task.MLE && ev.Variants[0].Info.Variant != task.MLE {
		return 1, 0, true
	}
	return 0, 1, true
}

// Compare runs the paired bootstrap: each resample draws len(images) image
// positions with replacement (resample r from a PCG seeded by (seed, r), so
// the result does not depend on the number of workers), recomputes every
// corpus metric of both models on that multiset and takes B − A.
func Compare(ev *Evaluation, ai, bi int, opt ABOptions) (*AB, error) {
	if opt.Resamples <= 0 {
		opt.Resamples = 1000
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	va, vb := ev.Variants[ai], ev.Variants[bi]
	names := MetricNames(ev.Task)
	n := len(ev.ImageIDs)
	ab := &AB{A: va.Info.Key, B: vb.Info.Key, Metrics: map[string]ABMetric{}, Resamples: opt.Resamples, Seed: opt.Seed}
	deltas := make([][]float64, len(names)) // [metric][resample]
	for k := range deltas {
		deltas[k] = make([]float64, opt.Resamples)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts := make([]int, n)
			for {
				r := int(next.Add(1) - 1)
				if r >= opt.Resamples {
					return
				}
				ResampleCounts(counts, opt.Seed, r)
				ma, err := va.resampled(ev.Task, counts)
				if err != nil {
					errs[w] = err
					return
				}
				mb, err := vb.resampled(ev.Task, counts)
				if err != nil {
					errs[w] = err
					return
				}
				for k := range names {
					deltas[k][r] = mb[k] - ma[k]
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	for k, name := range names {
		a, b := va.Metrics[name], vb.Metrics[name]
		if Undefined(ev.Task, name, a) && Undefined(ev.Task, name, b) || Reference(ev.Task, name) {
			continue // undefined on this data (e.g. APl with no large objects), or no model's
		}
		d := slices.Clone(deltas[k])
		slices.Sort(d)
		ab.Metrics[name] = ABMetric{A: a, B: b, Delta: b - a, CI95: [2]float64{Percentile(d, 2.5), Percentile(d, 97.5)}}
		ab.Order = append(ab.Order, name)
	}
	for i := range n {
		switch d := vb.Rewards[i] - va.Rewards[i]; {
		case d > TieTolerance:
			ab.Rewards.Win++
		case d < -TieTolerance:
			ab.Rewards.Loss++
		default:
			ab.Rewards.Tie++
		}
	}
	ab.Diffs = make([]int, n)
	for i := range ab.Diffs {
		ab.Diffs[i] = i
	}
	slices.SortStableFunc(ab.Diffs, func(x, y int) int {
		dx := math.Abs(vb.Rewards[x] - va.Rewards[x])
		dy := math.Abs(vb.Rewards[y] - va.Rewards[y])
		return cmp.Compare(dy, dx)
	})
	return ab, nil
}

// ResampleCounts fills counts with resample r's multiplicities: len(counts)
// draws with replacement from a PCG seeded by (seed, r).
func ResampleCounts(counts []int, seed uint64, r int) {
	clear(counts)
	rng := rand.New(rand.NewPCG(seed, uint64(r)))
	n := len(counts)
	for range n {
		counts[rng.IntN(n)]++
	}
}

// Percentile is numpy's default (linear interpolation) percentile q in
// [0, 100] of sorted values.
func Percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// Histogram counts values into bins equal-width bins over [lo, hi] (the
// last bin closed).
func Histogram(values []float64, lo, hi float64, bins int) []int {
	h := make([]int, bins)
	w := (hi - lo) / float64(bins)
	for _, v := range values {
		i := bins - 1
		if w > 0 {
			i = min(bins-1, max(0, int((v-lo)/w)))
		}
		h[i]++
	}
	return h
}
