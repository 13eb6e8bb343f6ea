package panoptic

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"rewardvision/dataset/coco"
)

// Options tune Evaluate.
type Options struct {
	// Workers is the number of images decoded and matched at once;
	// <= 0 means GOMAXPROCS. Results do not depend on it.
	Workers int
	// Progress, when set, is called after each image with the number done
	// so far; calls are serialised.
	Progress func(done, total int)
	// Strict refuses predictions for images the ground truth lacks, which
	// pq_compute ignores (see UnusedPredictions).
	Strict bool
}

// UnusedPredictions returns the positions in pred.Annotations of the
// annotations for images the ground truth lacks: pq_compute evaluates the
// ground truth's images and ignores them.
func UnusedPredictions(gt, pred *File) []int {
	inGT := make(map[ImageID]bool, len(gt.Annotations))
	for _, a := range gt.Annotations {
		inGT[a.ImageID] = true
	}
	var out []int
	for i, a := range pred.Annotations {
		if !inGT[a.ImageID] {
			out = append(out, i)
		}
	}
	return out
}

// Evaluate computes PQ over a COCO panoptic ground truth (JSON + PNG folder)
// and a prediction in the same format, as panopticapi's pq_compute does.
func Evaluate(gtJSON, gtDir, predJSON, predDir string, opts Options) (*Result, error) {
	return EvaluateContext(context.Background(), gtJSON, gtDir, predJSON, predDir, opts)
}

// EvaluateContext is Evaluate with cancellation.
func EvaluateContext(ctx context.Context, gtJSON, gtDir, predJSON, predDir string, opts Options) (*Result, error) {
	gt, err := LoadFile(gtJSON)
	if err != nil {
		return nil, err
	}
	pred, err := LoadFile(predJSON)
	if err != nil {
		return nil, err
	}
	return EvaluateFiles(ctx, gt, gtDir, pred, predDir, opts)
}

// EvaluateFiles evaluates parsed JSON files against their PNG folders. The
// categories are the ground truth's, as in panopticapi.
func EvaluateFiles(ctx context.Context, gt *File, gtDir string, pred *File, predDir string, opts Options) (*Result, error) {
	if len(gt.Categories) == 0 {
		return nil, fmt.Errorf("gt: no categories")
	}
	cats, err := NewCategories(gt.Categories)
	if err != nil {
		return nil, fmt.Errorf("gt: %w", err)
	}
	if unused := UnusedPredictions(gt, pred); opts.Strict && len(unused) > 0 {
		i := unused[0]
		return nil, fmt.Errorf("pred: annotations[%d]: image_id %s is not in the ground truth (%d such annotations; pq_compute ignores them)",
			i, pred.Annotations[i].ImageID, len(unused))
	}
	byImage := make(map[ImageID]int, len(pred.Annotations))
	for i, a := range pred.Annotations {
		byImage[a.ImageID] = i
	}
	pairs := make([]int, len(gt.Annotations))
	for i, a := range gt.Annotations {
		j, ok := byImage[a.ImageID]
		if !ok {
			return nil, fmt.Errorf("pred: no annotation for image_id %s (gt annotations[%d], %s)", a.ImageID, i, a.FileName)
		}
		pairs[i] = j
	}

	n := len(gt.Annotations)
	stats := make([]*ImageStats, n)
	errs := make([]error, n)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				g, p := gt.Annotations[i], pred.Annotations[pairs[i]]
				stats[i], errs[i] = evaluateImage(g, gtDir, p, predDir, cats)
				if errs[i] != nil {
					cancel()
				}
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	// Jobs go out in order and a started job always finishes, so the first
	// failing image in dataset order is always reported.
dispatch:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for i, s := range stats {
		if s == nil { // not run: cancelled from outside
			return nil, fmt.Errorf("image_id %s: %w", gt.Annotations[i].ImageID, context.Cause(ctx))
		}
	}
	r := Aggregate(cats, stats)
	r.PerImage = make([]ImageResult, n)
	for i, a := range gt.Annotations {
		r.PerImage[i] = imageResult(a.ImageID, a.FileName, stats[i])
	}
	return r, nil
}

// evaluateImage reads one image pair and matches it.
func evaluateImage(g Annotation, gtDir string, p Annotation, predDir string, cats *Categories) (*ImageStats, error) {
	gtPath := filepath.Join(gtDir, g.FileName)
	predPath := filepath.Join(predDir, p.FileName)
	wrap := func(err error) error {
		return fmt.Errorf("image_id %s (gt %s, pred %s): %w", g.ImageID, gtPath, predPath, err)
	}
	gm, err := coco.ReadIDMap(gtPath)
	if err != nil {
		return nil, wrap(err)
	}
	pm, err := coco.ReadIDMap(predPath)
	if err != nil {
		return nil, wrap(err)
	}
	gi := Image{Width: gm.Width, Height: gm.Height, IDs: gm.IDs, Segments: g.Segments}
	pi := Image{Width: pm.Width, Height: pm.Height, IDs: pm.IDs, Segments: p.Segments}
	s, err := MatchImage(gi, pi, cats)
	if err != nil {
		return nil, wrap(err)
	}
	return s, nil
}
