package cocoeval

import (
	"fmt"
	"slices"
)

// Matched is an evaluation stopped after matching (pycocotools' evaluate()),
// so that accumulate() can run again over any multiset of its images: the
// bootstrap resamples of an A/B comparison re-accumulate COCO precision
// without matching again. Read-only after Match; safe for concurrent
// Resample calls.
type Matched struct {
	st      *evalState
	workers int
}

// Match runs the matching step of Evaluate once.
func Match(gt *GroundTruth, dets []Detection, p Params) (*Matched, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkDetections(gt, dets); err != nil {
		return nil, err
	}
	workers := defaultWorkers(p.Workers)
	st := &evalState{gt: gt, dets: dets, p: p, segm: p.IoUType == IoUSegm}
	if st.segm {
		if err := gt.decodeMasks(workers); err != nil {
			return nil, err
		}
	}
	st.bucket()
	if err := st.matchAll(workers); err != nil {
		return nil, err
	}
	return &Matched{st: st, workers: workers}, nil
}

// ImageIDs returns the image ids in ascending order: the index space of
// Resample's counts.
func (m *Matched) ImageIDs() []int {
	gt := m.st.gt
	ids := make([]int, len(gt.Images))
	for r := range ids {
		ids[r] = gt.Images[gt.imgByRank[r]].ID
	}
	return ids
}

// Result accumulates over every image once: Evaluate's result.
func (m *Matched) Result() *Result {
	res := m.st.accumulate(m.workers)
	res.summarize()
	return res
}

// Resample accumulates over a multiset of images: counts[r] copies of the
// r-th image in ascending id order (see ImageIDs). The result is, bit for
// bit, Evaluate's on a dataset where each copy is a distinct image, the
// copies of an image numbered consecutively in place of the original (so
// score ties across copies keep that order, as pycocotools' stable sort
// would). Workers 1 keeps many concurrent resamples from oversubscribing.
func (m *Matched) Resample(counts []int, workers int) (*Result, error) {
	st := m.st
	gt := st.gt
	if len(counts) != len(gt.Images) {
		return nil, fmt.Errorf("resample: %d counts for %d images", len(counts), len(gt.Images))
	}
	for r, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("resample: negative count %d for image rank %d", c, r)
		}
	}
	res := st.accumulateMulti(counts, defaultWorkers(workers))
	res.summarize()
	return res, nil
}

// accumulateMulti is accumulate over counts[r] copies of image rank r.
func (st *evalState) accumulateMulti(counts []int, workers int) *Result {
	gt := st.gt
	K, M := len(gt.Categories), len(st.p.MaxDets)
	nImg, nAnn, nCrowd, nDet := 0, 0, 0, 0
	for r, c := range counts {
		nImg += c
		nAnn += c * int(st.gtStart[r+1]-st.gtStart[r])
		nDet += c * int(st.dtStart[r+1]-st.dtStart[r])
		for _, g := range st.gtByImg[st.gtStart[r]:st.gtStart[r+1]] {
			if gt.Annotations[g].IsCrowd {
				nCrowd += c
			}
		}
	}
	res := &Result{
		IoUType:     st.p.IoUType,
		MaxDets:     st.p.MaxDets,
		CategoryIDs: gt.CategoryIDs(),
		precision:   make([]float64, numIoU*numRec*K*numArea*M),
		recall:      make([]float64, numIoU*K*numArea*M),
		numCats:     K,
		Counts:      Counts{Images: nImg, Categories: K, GTAnnotations: nAnn, GTCrowd: nCrowd, Detections: nDet},
	}
	for i := range res.precision {
		res.precision[i] = -1
	}
	for i := range res.recall {
		res.recall[i] = -1
	}
	npig := make([]int, K*numArea)
	for r, c := range counts {
		if c == 0 {
			continue
		}
		for _, g := range st.gtByImg[st.gtStart[r]:st.gtStart[r+1]] {
			a := &gt.Annotations[g]
			if a.IsCrowd {
				continue
			}
			k := int(st.gtCat[g])
			for ar := range numArea {
				if !outside(a.Area, ar) {
					npig[k*numArea+ar] += c
				}
			}
		}
	}
	// Per category, kept detections in (image, copy, rank) order: each
	// image's run of detections repeated once per copy.
	lists := make([][]int32, K)
	for r, c := range counts {
		if c == 0 {
			continue
		}
		dts := st.dtByImg[st.dtStart[r]:st.dtStart[r+1]]
		run := make([]int32, 0, len(dts))
		for _, d := range dts {
			if st.out[d].kept {
				run = append(run, d)
			}
		}
		// Within an image: by category, then rank.
		slices.SortFunc(run, func(a, b int32) int {
			if ca, cb := st.detCat[a], st.detCat[b]; ca != cb {
				return int(ca - cb)
			}
			return int(st.out[a].rank - st.out[b].rank)
		})
		for range c {
			for _, d := range run {
				k := st.detCat[d]
				lists[k] = append(lists[k], d)
			}
		}
	}
	runParallel(K, workers, func() func(k int) {
		var cb curveBuf
		return func(k int) {
			cb.category(st, res, lists[k], npig[k*numArea:(k+1)*numArea], k)
		}
	})
	return res
}

// runParallel calls a per-worker function for every index in 0..n-1 over
// up to workers goroutines.
func runParallel(n, workers int, newWorker func() func(int)) {
	if workers <= 1 || n <= 1 {
		f := newWorker()
		for i := range n {
			f(i)
		}
		return
	}
	next := make(chan int)
	done := make(chan struct{})
	for range min(workers, n) {
		go func() {
			f := newWorker()
			for i := range next {
				f(i)
			}
			done <- struct{}{}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	for range min(workers, n) {
		<-done
	}
}
