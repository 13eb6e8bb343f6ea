package cocoeval

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"rewardvision/dataset/rle"
)

// detOut is what matching decides for one kept detection, per area range:
// bit t of tp/fp is set when the detection is a true/false positive at IoU
// threshold t (neither bit: ignored).
type detOut struct {
	tp, fp [numArea]uint16
	rank   int32 // position among its image+category's detections by score
	kept   bool  // within MaxDets[last] of its image+category
}

// evalState holds the indexed inputs of one evaluation.
type evalState struct {
	gt     *GroundTruth
	dets   []Detection
	p      Params
	segm   bool
	detCat []int32   // category rank of each detection
	score  []float64 // score of each detection (contiguous for sorting)
	detImg []int32   // image rank of each detection
	// gtIgnBits and dtOutBits: bit a = ignored ground truth / detection
	// area outside, for area range a.
	gtIgnBits, dtOutBits []uint8
	// Ground truths and detections bucketed by image rank: image r owns
	// gtByImg[gtStart[r]:gtStart[r+1]] (file order), likewise for dets.
	gtStart, dtStart []int32
	gtByImg, dtByImg []int32
	gtCat            []int32 // category rank of each annotation
	out              []detOut
}

// Evaluate runs pycocotools' evaluate(), accumulate() and summarize() on
// gt and dets (see the package comment for the exact semantics).
func Evaluate(gt *GroundTruth, dets []Detection, p Params) (*Result, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkDetections(gt, dets); err != nil {
		return nil, err
	}
	workers := defaultWorkers(p.Workers)
	t0 := time.Now()
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
	t1 := time.Now()
	res := st.accumulate(workers)
	t2 := time.Now()
	res.summarize()
	res.Timing = Timing{Evaluate: t1.Sub(t0), Accumulate: t2.Sub(t1), Summarize: time.Since(t2)}
	return res, nil
}

// Timing splits an evaluation's wall time like pycocotools' phases.
type Timing struct {
	Evaluate, Accumulate, Summarize time.Duration
}

// bucket groups annotations and detections by image rank (counting sort,
// stable, so file order survives inside an image).
func (st *evalState) bucket() {
	gt := st.gt
	nImg := len(gt.Images)
	st.gtCat = make([]int32, len(gt.Annotations))
	gtImg := make([]int32, len(gt.Annotations))
	for i := range gt.Annotations {
		a := &gt.Annotations[i]
		ii, _ := gt.imgIndex.get(a.ImageID)
		ci, _ := gt.catIndex.get(a.CategoryID)
		gtImg[i], st.gtCat[i] = gt.imgRank[ii], gt.catRank[ci]
	}
	st.detCat = make([]int32, len(st.dets))
	st.score = make([]float64, len(st.dets))
	dtImg := make([]int32, len(st.dets))
	for i := range st.dets {
		d := &st.dets[i]
		st.score[i] = d.Score
		ii, _ := gt.imgIndex.get(d.ImageID)
		ci, _ := gt.catIndex.get(d.CategoryID)
		dtImg[i], st.detCat[i] = gt.imgRank[ii], gt.catRank[ci]
	}
	st.gtStart, st.gtByImg = countingSort(gtImg, nImg)
	st.dtStart, st.dtByImg = countingSort(dtImg, nImg)
	st.detImg = dtImg
	st.out = make([]detOut, len(st.dets))
	// Per-area flags, bit a for area range a: ignored ground truths
	// (crowd or area outside), detections whose area is outside.
	st.gtIgnBits = make([]uint8, len(gt.Annotations))
	for i := range gt.Annotations {
		a := &gt.Annotations[i]
		for ar := range numArea {
			if a.IsCrowd || outside(a.Area, ar) {
				st.gtIgnBits[i] |= 1 << ar
			}
		}
	}
	st.dtOutBits = make([]uint8, len(st.dets))
	for i := range st.dets {
		area := detArea(&st.dets[i])
		for ar := range numArea {
			if outside(area, ar) {
				st.dtOutBits[i] |= 1 << ar
			}
		}
	}
}

// countingSort returns bucket starts (n+1) and the item indices ordered by
// key, stable.
func countingSort(keys []int32, n int) (start, order []int32) {
	start = make([]int32, n+1)
	for _, k := range keys {
		start[k+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	order = make([]int32, len(keys))
	next := slices.Clone(start[:n])
	for i, k := range keys {
		order[next[k]] = int32(i)
		next[k]++
	}
	return start, order
}

// imageChunk is the number of images a worker takes at a time.
const imageChunk = 32

// matchAll evaluates every image in parallel.
func (st *evalState) matchAll(workers int) error {
	nImg := len(st.gt.Images)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newMatcher(st)
			for {
				lo := int(next.Add(imageChunk)) - imageChunk
				if lo >= nImg {
					return
				}
				for r := lo; r < min(lo+imageChunk, nImg); r++ {
					if err := m.image(int32(r)); err != nil {
						errs[w] = err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// dtKey orders an image's detections.
type dtKey struct {
	cat, idx int32
	score    float64
}

// dtMasks are one detection's matching outcome at the ten thresholds for
// one area range: bit t set when it matched a ground truth (hit), when
// that ground truth is ignored (ign), when it has id 0 under
// PycocotoolsID0Quirk (zero).
type dtMasks struct {
	hit, ign, zero uint16
}

// allThresholds has a bit per IoU threshold.
const allThresholds = 1<<numIoU - 1

// matcher holds one worker's reusable buffers.
type matcher struct {
	st      *evalState
	gtKeys  []int64 // category<<32 | annotation index
	dtKeys  []dtKey
	masks   []dtMasks // numArea × D
	gts     []int32   // this image's annotations, sorted by category
	dts     []int32   // this image's detections, sorted by category then score
	iou     []float64
	gtIgn   []bool
	crowd   []bool
	gtOrder []int32 // group positions, non-ignored first
	matched []bool  // numIoU × G
	gtBox   [][4]float64
	gtMask  []rle.RLE
	dtMask  []rle.RLE
	gtMBox  [][4]float64
	dtMBox  [][4]float64
	dtOff   []bool // the detection's mask is not the image's size
}

func newMatcher(st *evalState) *matcher { return &matcher{st: st} }

// image evaluates all categories of image rank r.
func (m *matcher) image(r int32) error {
	st := m.st
	gts := st.gtByImg[st.gtStart[r]:st.gtStart[r+1]]
	dts := st.dtByImg[st.dtStart[r]:st.dtStart[r+1]]
	if len(dts) == 0 && len(gts) == 0 {
		return nil
	}
	// Group by category; inside a category keep file order for gts and
	// order detections by score, highest first, ties in file order (numpy's
	// stable mergesort on -score).
	m.gtKeys = m.gtKeys[:0]
	for _, g := range gts {
		m.gtKeys = append(m.gtKeys, int64(st.gtCat[g])<<32|int64(g))
	}
	slices.Sort(m.gtKeys)
	m.gts = m.gts[:0]
	for _, k := range m.gtKeys {
		m.gts = append(m.gts, int32(k))
	}
	m.dtKeys = m.dtKeys[:0]
	for _, d := range dts {
		m.dtKeys = append(m.dtKeys, dtKey{cat: st.detCat[d], idx: d, score: st.score[d]})
	}
	slices.SortFunc(m.dtKeys, func(a, b dtKey) int {
		if a.cat != b.cat {
			return int(a.cat - b.cat)
		}
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return int(a.idx - b.idx)
	})
	m.dts = m.dts[:0]
	for _, k := range m.dtKeys {
		m.dts = append(m.dts, k.idx)
	}
	gi, di := 0, 0
	for gi < len(m.gts) || di < len(m.dts) {
		// The next category present in either list.
		k := int32(1<<31 - 1)
		if gi < len(m.gts) {
			k = st.gtCat[m.gts[gi]]
		}
		if di < len(m.dts) {
			k = min(k, st.detCat[m.dts[di]])
		}
		g0, d0 := gi, di
		for gi < len(m.gts) && st.gtCat[m.gts[gi]] == k {
			gi++
		}
		for di < len(m.dts) && st.detCat[m.dts[di]] == k {
			di++
		}
		if err := m.group(r, m.gts[g0:gi], m.dts[d0:di]); err != nil {
			return err
		}
	}
	return nil
}

// group evaluates one image and category: pycocotools' computeIoU and
// evaluateImg for every area range.
func (m *matcher) group(r int32, gts, dts []int32) error {
	st := m.st
	maxDet := st.p.MaxDets[len(st.p.MaxDets)-1]
	for i, d := range dts {
		o := &st.out[d]
		o.rank = int32(i)
		o.kept = i < maxDet
	}
	if len(dts) > maxDet {
		dts = dts[:maxDet]
	}
	G := len(gts)
	m.crowd = m.crowd[:0]
	for _, g := range gts {
		m.crowd = append(m.crowd, st.gt.Annotations[g].IsCrowd)
	}
	if err := m.computeIoU(r, gts, dts); err != nil {
		return err
	}
	D := len(dts)
	m.gtIgn = grow(m.gtIgn, numArea*G)
	m.gtOrder = grow(m.gtOrder, G)
	m.matched = grow(m.matched, numIoU*G)
	m.masks = grow(m.masks, numArea*D)
	for a := range numArea {
		bit := uint8(1) << a
		ign := m.gtIgn[a*G : (a+1)*G]
		for i, g := range gts {
			ign[i] = st.gtIgnBits[g]&bit != 0
		}
		masks := m.masks[a*D : (a+1)*D]
		// Matching depends on the area range only through the ignore
		// flags: reuse an earlier range's matches when they agree.
		if prev := m.sameIgnore(a, G); prev >= 0 {
			copy(masks, m.masks[prev*D:(prev+1)*D])
		} else {
			m.match(ign, masks, gts, D, G)
		}
		// pycocotools: a detection matched to an ignored ground truth is
		// ignored, an unmatched one outside the area range too; the rest
		// are true (matched) or false (unmatched) positives.
		for di, d := range dts {
			mk := masks[di]
			hit := mk.hit &^ mk.zero // a match to id 0 counts as none (quirk)
			tp := hit &^ mk.ign
			var fp uint16
			if st.dtOutBits[d]&bit == 0 {
				fp = allThresholds &^ hit &^ mk.ign
			}
			o := &st.out[d]
			o.tp[a], o.fp[a] = tp, fp
		}
	}
	return nil
}

// sameIgnore returns an earlier area range with the same ignore flags as
// range a, or -1.
func (m *matcher) sameIgnore(a, G int) int {
	cur := m.gtIgn[a*G : (a+1)*G]
	for prev := range a {
		if slices.Equal(m.gtIgn[prev*G:(prev+1)*G], cur) {
			return prev
		}
	}
	return -1
}

// match runs pycocotools' evaluateImg matching for one area range: for
// every threshold, detections in score order each take their best ground
// truth (bestMatch).
func (m *matcher) match(ign []bool, masks []dtMasks, gts []int32, D, G int) {
	// Ignored ground truths go last, otherwise file order (numpy's stable
	// argsort of the ignore flags).
	n := 0
	for i := range G {
		if !ign[i] {
			m.gtOrder[n] = int32(i)
			n++
		}
	}
	for i := range G {
		if ign[i] {
			m.gtOrder[n] = int32(i)
			n++
		}
	}
	clear(m.matched)
	quirk := m.st.p.PycocotoolsID0Quirk
	for di := range D {
		row := m.iou[di*G : di*G+G]
		rowMax := -1.0
		for _, v := range row {
			rowMax = max(rowMax, v)
		}
		var mk dtMasks
		for t, thr := range IoUThresholds {
			thr = min(thr, maxIoUThreshold)
			if rowMax < thr {
				break // nothing reaches this threshold, nor the higher ones
			}
			b := m.bestMatch(row, ign, t, thr)
			if b < 0 {
				continue
			}
			m.matched[t*G+b] = true
			mk.hit |= 1 << t
			if ign[b] {
				mk.ign |= 1 << t
			}
			if quirk && m.st.gt.Annotations[gts[b]].ID == 0 {
				mk.zero |= 1 << t
			}
		}
		masks[di] = mk
	}
}

// bestMatch is pycocotools' greedy choice for one detection at threshold
// t: the best-IoU ground truth not yet taken (crowds can be retaken),
// preferring regular ones: once a regular one matched, ignored ones are not
// considered. Ties go to the later ground truth, as there. Returns the
// group position or -1.
func (m *matcher) bestMatch(row []float64, ign []bool, t int, thr float64) int {
	G := len(row)
	best := -1
	for _, gi := range m.gtOrder[:G] {
		g := int(gi)
		if m.matched[t*G+g] && !m.crowd[g] {
			continue
		}
		if best >= 0 && !ign[best] && ign[g] {
			break
		}
		if row[g] < thr {
			continue
		}
		thr = row[g]
		best = g
	}
	return best
}

// grow returns s resized to n, reusing its storage.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/2)
	}
	return s[:n]
}

// computeIoU fills m.iou (D×G, row-major by detection).
func (m *matcher) computeIoU(r int32, gts, dts []int32) error {
	G, D := len(gts), len(dts)
	m.iou = grow(m.iou, G*D)
	if G == 0 || D == 0 {
		return nil
	}
	st := m.st
	if !st.segm {
		m.gtBox = m.gtBox[:0]
		for _, g := range gts {
			m.gtBox = append(m.gtBox, st.gt.Annotations[g].BBox)
		}
		for di, d := range dts {
			db := detBox(&st.dets[d])
			row := m.iou[di*G : di*G+G]
			for gi := range m.gtBox {
				row[gi] = boxIoU(&db, &m.gtBox[gi], m.crowd[gi])
			}
		}
		return nil
	}
	// segm: masks at the image size; the boxes of the masks skip pairs
	// that cannot overlap (pycocotools does the same).
	ii := st.gt.imgIndexByRank(r)
	h, w, err := st.gt.imageSize(ii)
	if err != nil {
		return err
	}
	m.gtMask, m.gtMBox = m.gtMask[:0], m.gtMBox[:0]
	for _, g := range gts {
		mk := *st.gt.Annotations[g].Segmentation
		if mk.Height != h || mk.Width != w {
			a := &st.gt.Annotations[g]
			return fmt.Errorf("annotation id %d: segmentation is %dx%d, image %d is %dx%d", a.ID, mk.Height, mk.Width, a.ImageID, h, w)
		}
		m.gtMask = append(m.gtMask, mk)
		m.gtMBox = append(m.gtMBox, mk.ToBBox())
	}
	m.dtMask, m.dtMBox, m.dtOff = m.dtMask[:0], m.dtMBox[:0], m.dtOff[:0]
	for _, d := range dts {
		if sg := st.dets[d].Segmentation; st.p.PycocotoolsMaskSizeIoU && sg != nil && (sg.Height != h || sg.Width != w) {
			m.dtMask = append(m.dtMask, rle.RLE{})
			m.dtMBox = append(m.dtMBox, [4]float64{})
			m.dtOff = append(m.dtOff, true)
			continue
		}
		mk, err := detMask(&st.dets[d], h, w)
		if err != nil {
			return fmt.Errorf("detection %d (image_id %d): %w", d, st.dets[d].ImageID, err)
		}
		m.dtMask = append(m.dtMask, mk)
		m.dtMBox = append(m.dtMBox, mk.ToBBox())
		m.dtOff = append(m.dtOff, false)
	}
	for di := range m.dtMask {
		row := m.iou[di*G : di*G+G]
		if m.dtOff[di] {
			for gi := range row {
				row[gi] = -1 // pycocotools' rleIou for masks of different sizes
			}
			continue
		}
		for gi := range m.gtMask {
			if boxIoU(&m.dtMBox[di], &m.gtMBox[gi], m.crowd[gi]) > 0 {
				row[gi] = rle.PairIoU(m.dtMask[di], m.gtMask[gi], m.crowd[gi])
			} else {
				row[gi] = 0
			}
		}
	}
	return nil
}

// boxIoU is pycocotools' bbIou for one pair, operation for operation (the
// explicit float64 conversions keep the compiler from fusing multiply-adds,
// which would change last bits and so threshold decisions).
func boxIoU(d, g *[4]float64, crowd bool) float64 {
	w := min(d[2]+d[0], g[2]+g[0]) - max(d[0], g[0])
	if w <= 0 {
		return 0
	}
	h := min(d[3]+d[1], g[3]+g[1]) - max(d[1], g[1])
	if h <= 0 {
		return 0
	}
	i := float64(w * h)
	da := float64(d[2] * d[3])
	if crowd {
		return i / da
	}
	ga := float64(g[2] * g[3])
	return i / (da + ga - i)
}

// imgIndexByRank returns the Images index of image rank r.
func (gt *GroundTruth) imgIndexByRank(r int32) int32 { return gt.imgByRank[r] }

// maxIoUThreshold caps the match threshold: pycocotools' min([t, 1-1e-10]),
// computed at run time in float64 as Python does (a Go constant expression
// would be rounded once, exactly, and could differ in the last bit).
var maxIoUThreshold = func() float64 { one, tiny := 1.0, 1e-10; return one - tiny }()
