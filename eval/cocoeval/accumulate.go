package cocoeval

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// eps is numpy's np.spacing(1), added to precision denominators.
const eps = 2.220446049250313e-16

// accumulate is pycocotools' accumulate(): per category, area range and
// maxDets, the precision/recall curve over all images, its monotone
// envelope sampled at the 101 recall thresholds, and the final recall.
func (st *evalState) accumulate(workers int) *Result {
	gt := st.gt
	K, M := len(gt.Categories), len(st.p.MaxDets)
	res := &Result{
		IoUType:     st.p.IoUType,
		MaxDets:     st.p.MaxDets,
		CategoryIDs: gt.CategoryIDs(),
		precision:   make([]float64, numIoU*numRec*K*numArea*M),
		recall:      make([]float64, numIoU*K*numArea*M),
		numCats:     K,
		Counts: Counts{
			Images: len(gt.Images), Categories: K,
			GTAnnotations: len(gt.Annotations), GTCrowd: gt.numCrowd, Detections: len(st.dets),
		},
	}
	for i := range res.precision {
		res.precision[i] = -1
	}
	for i := range res.recall {
		res.recall[i] = -1
	}

	// Non-ignored ground truths per category and area range.
	npig := make([]int, K*numArea)
	for i, a := range gt.Annotations {
		if a.IsCrowd {
			continue
		}
		k := int(st.gtCat[i])
		for ar := range numArea {
			if !outside(a.Area, ar) {
				npig[k*numArea+ar]++
			}
		}
	}

	// Kept detections ordered by (category, image, rank): pycocotools
	// concatenates each category's per-image score-sorted lists in
	// ascending image id. Three stable counting sorts build that order.
	maxDet := st.p.MaxDets[M-1]
	kept := make([]int32, 0, len(st.dets))
	keys := make([]int32, 0, len(st.dets))
	for i := range st.dets {
		if st.out[i].kept {
			kept = append(kept, int32(i))
			keys = append(keys, st.out[i].rank)
		}
	}
	kept = applyOrder(kept, keys, min(maxDet, len(st.dets)+1))
	for i, d := range kept {
		keys[i] = st.detImg[d]
	}
	kept = applyOrder(kept, keys, len(gt.Images))
	for i, d := range kept {
		keys[i] = st.detCat[d]
	}
	start, _ := countingSort(keys, K)
	kept = applyOrder(kept, keys, K)
	order := kept

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c curveBuf
			for {
				k := int(next.Add(1) - 1)
				if k >= K {
					return
				}
				c.category(st, res, order[start[k]:start[k+1]], npig[k*numArea:(k+1)*numArea], k)
			}
		}()
	}
	wg.Wait()
	return res
}

// accEntry is a kept detection as accumulate needs it, contiguous so the
// sort and the curve passes stay in cache.
type accEntry struct {
	key    uint64 // descending-score sort key (scoreKey)
	rank   int32  // rank within its image+category
	tp, fp [numArea]uint16
}

// curveBuf holds one worker's buffers.
type curveBuf struct {
	entries, tmp []accEntry
	sorted       []accEntry        // entries or tmp, whichever holds the sorted order
	pr           [numIoU][]float64 // precision at each true positive
	minTP        [numRec]int       // true positives needed per recall threshold
}

// scoreKey maps a score to a uint64 whose ascending order is descending
// score order (-0 and 0 equal, as numpy compares them).
func scoreKey(score float64) uint64 {
	if score == 0 {
		score = 0 // -0 -> +0
	}
	b := math.Float64bits(score)
	if b>>63 != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return ^b
}

// radixSort sorts entries by key, stably (LSD radix, 8 bits a pass,
// skipping bytes every key shares).
func radixSort(entries, tmp []accEntry) []accEntry {
	var count [8][256]int
	for i := range entries {
		k := entries[i].key
		for p := range 8 {
			count[p][byte(k>>(8*p))]++
		}
	}
	src, dst := entries, tmp[:len(entries)]
	for p := range 8 {
		c := &count[p]
		if c[byte(src[0].key>>(8*p))] == len(src) {
			continue // every key has this byte
		}
		sum := 0
		for i := range c {
			c[i], sum = sum, sum+c[i]
		}
		for i := range src {
			b := byte(src[i].key >> (8 * p))
			dst[c[b]] = src[i]
			c[b]++
		}
		src, dst = dst, src
	}
	return src
}

// category accumulates category rank k from its kept detections, given in
// (image, rank) order.
func (c *curveBuf) category(st *evalState, res *Result, list []int32, npig []int, k int) {
	if len(list) == 0 && npig[0] == 0 {
		return
	}
	c.entries = grow(c.entries, len(list))
	c.tmp = grow(c.tmp, len(list))
	maxRank := int32(-1)
	for i, d := range list {
		o := &st.out[d]
		c.entries[i] = accEntry{key: scoreKey(st.score[d]), rank: o.rank, tp: o.tp, fp: o.fp}
		maxRank = max(maxRank, o.rank)
	}
	// A stable sort by descending score of the (image, rank) order is
	// pycocotools' mergesort of the concatenated lists.
	sorted := c.entries
	if len(list) > 1 {
		sorted = radixSort(c.entries, c.tmp)
	}
	c.sorted = sorted
	M := len(st.p.MaxDets)
	for ar := range numArea {
		n := npig[ar]
		if n == 0 {
			continue // no ground truth: precision and recall stay -1
		}
		c.recallSteps(n)
		c.curve(res, ar, M-1, st.p.MaxDets[M-1], n, k)
		for mi := M - 2; mi >= 0; mi-- {
			if int(maxRank) < st.p.MaxDets[mi] {
				// The limit removes nothing: same curve as the next.
				res.copyCurve(k, ar, mi, mi+1)
				continue
			}
			c.curve(res, ar, mi, st.p.MaxDets[mi], n, k)
		}
	}
}

// recallSteps sets minTP[r] to the true-positive count at which recall
// tp/npig first reaches RecallThresholds[r] (npig+1: never), with the
// same float64 division pycocotools' rc = tp / npig uses.
func (c *curveBuf) recallSteps(npig int) {
	np := float64(npig)
	tp := 0
	for r, thr := range RecallThresholds {
		for tp <= npig && float64(tp)/np < thr {
			tp++
		}
		c.minTP[r] = tp
	}
}

// curve fills precision[:, :, k, ar, mi] and recall[:, k, ar, mi] for
// detections ranked below maxDet in their image.
//
// pycocotools builds, per threshold, recall rc and precision pr at every
// detection, takes the right-to-left running max of pr and reads it at the
// first position where rc reaches each recall threshold. Recall only grows
// at true positives, and pr falls at false positives and stays at ignored
// detections, so that running max at such a position equals the running
// max over the true positives from the tp-th on. Only true positives are
// stored: the values are the same, bit for bit.
func (c *curveBuf) curve(res *Result, ar, mi, maxDet, npig, k int) {
	for t := range numIoU {
		c.pr[t] = c.pr[t][:0]
	}
	var tp [numIoU]int
	if len(c.sorted) < 1<<laneBits {
		// False positives counted in three 21-bit lanes per word, one
		// table add per three thresholds (counts stay below 2^21).
		var fp [4]uint64
		for i := range c.sorted {
			e := &c.sorted[i]
			if int(e.rank) >= maxDet {
				continue
			}
			if f := e.fp[ar]; f != 0 {
				fp[0] += spread3[f&7]
				fp[1] += spread3[f>>3&7]
				fp[2] += spread3[f>>6&7]
				fp[3] += spread3[f>>9&7]
			}
			for b := e.tp[ar]; b != 0; b &= b - 1 {
				t := bits.TrailingZeros16(b)
				tp[t]++
				f := int(fp[t/3] >> (laneBits * (t % 3)) & laneMask)
				c.pr[t] = append(c.pr[t], float64(tp[t])/(float64(f+tp[t])+eps))
			}
		}
	} else {
		var fp [numIoU]int
		for i := range c.sorted {
			e := &c.sorted[i]
			if int(e.rank) >= maxDet {
				continue
			}
			for b := e.fp[ar]; b != 0; b &= b - 1 {
				fp[bits.TrailingZeros16(b)]++
			}
			for b := e.tp[ar]; b != 0; b &= b - 1 {
				t := bits.TrailingZeros16(b)
				tp[t]++
				c.pr[t] = append(c.pr[t], float64(tp[t])/(float64(fp[t]+tp[t])+eps))
			}
		}
	}
	K, M := res.numCats, len(res.MaxDets)
	np := float64(npig)
	for t := range numIoU {
		pr := c.pr[t]
		res.recall[((t*K+k)*numArea+ar)*M+mi] = float64(tp[t]) / np
		// Right-to-left running max (a plain compare: the builtin max's
		// NaN and signed-zero handling costs a branch chain here).
		run := 0.0
		for i := len(pr) - 1; i >= 0; i-- {
			if pr[i] > run {
				run = pr[i]
			} else {
				pr[i] = run
			}
		}
		for r := range numRec {
			q := 0.0
			if need := c.minTP[r]; need == 0 && len(pr) > 0 {
				q = pr[0]
			} else if need >= 1 && need <= len(pr) {
				q = pr[need-1]
			}
			res.precision[(((t*numRec+r)*K+k)*numArea+ar)*M+mi] = q
		}
	}
}

// Lanes of the packed false-positive counters.
const (
	laneBits = 21
	laneMask = 1<<laneBits - 1
)

// spread3[x] puts bit j of x into lane j.
var spread3 = func() (t [8]uint64) {
	for x := range 8 {
		for j := range 3 {
			if x>>j&1 != 0 {
				t[x] |= 1 << (laneBits * j)
			}
		}
	}
	return t
}()

// applyOrder returns items stably reordered by keys (in 0..n-1), and
// permutes keys alike.
func applyOrder(items, keys []int32, n int) []int32 {
	_, order := countingSort(keys, n)
	out := make([]int32, len(items))
	k2 := make([]int32, len(keys))
	for i, j := range order {
		out[i] = items[j]
		k2[i] = keys[j]
	}
	copy(keys, k2)
	return out
}

// copyCurve copies precision and recall of maxDets index from to index to.
func (r *Result) copyCurve(k, ar, to, from int) {
	K, M := r.numCats, len(r.MaxDets)
	for t := range numIoU {
		base := ((t*K+k)*numArea + ar) * M
		r.recall[base+to] = r.recall[base+from]
		for rec := range numRec {
			base := (((t*numRec+rec)*K+k)*numArea + ar) * M
			r.precision[base+to] = r.precision[base+from]
		}
	}
}
