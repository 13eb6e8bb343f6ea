package rle

// runCursor walks the runs of an RLE: left pixels remain in the current run,
// whose value is on.
type runCursor struct {
	counts []uint32
	next   int
	left   uint32
	on     bool
}

func newCursor(r RLE) runCursor {
	c := runCursor{counts: r.Counts}
	if len(r.Counts) > 0 {
		c.left, c.next = r.Counts[0], 1
	}
	c.skipEmpty()
	return c
}

// skipEmpty moves past exhausted runs (including zero-length ones).
func (c *runCursor) skipEmpty() {
	for c.left == 0 && c.next < len(c.counts) {
		c.left = c.counts[c.next]
		c.next++
		c.on = !c.on
	}
}

func (c *runCursor) done() bool { return c.left == 0 }

func (c *runCursor) advance(n uint32) {
	c.left -= n
	c.skipEmpty()
}

// Intersection counts the pixels that are foreground in both a and b,
// walking their runs (no rasterisation). Sizes are not compared.
func Intersection(a, b RLE) int {
	ca, cb := newCursor(a), newCursor(b)
	var n uint64
	for !ca.done() && !cb.done() {
		step := min(ca.left, cb.left)
		if ca.on && cb.on {
			n += uint64(step)
		}
		ca.advance(step)
		cb.advance(step)
	}
	return int(n)
}

// Merge returns the union (intersect false) or intersection of masks of one
// size, in canonical form (no zero-length runs except a leading one). It
// returns an error if the sizes differ or an input is invalid.
func Merge(rs []RLE, intersect bool) (RLE, error) {
	if len(rs) == 0 {
		return RLE{}, invalidf("merge of no masks")
	}
	h, w := rs[0].Height, rs[0].Width
	for i, r := range rs {
		if r.Height != h || r.Width != w {
			return RLE{}, invalidf("merge: mask %d is %dx%d, mask 0 is %dx%d", i, r.Height, r.Width, h, w)
		}
		if err := r.Validate(); err != nil {
			return RLE{}, invalidf("merge: mask %d: %v", i, errorsTail(err))
		}
	}
	acc := canonical(rs[0])
	for _, r := range rs[1:] {
		acc = merge2(acc, r, intersect)
	}
	return acc, nil
}

// canonical drops zero-length runs (other than a leading background run).
func canonical(r RLE) RLE {
	out := RLE{Height: r.Height, Width: r.Width, Counts: make([]uint32, 0, len(r.Counts))}
	on := false
	var run uint32
	c := newCursor(r)
	for !c.done() {
		if c.on != on {
			out.Counts = append(out.Counts, run)
			run, on = 0, c.on
		}
		run += c.left
		c.advance(c.left)
	}
	out.Counts = append(out.Counts, run)
	return out
}

// merge2 combines two valid masks of the same size.
func merge2(a, b RLE, intersect bool) RLE {
	out := RLE{Height: a.Height, Width: a.Width, Counts: make([]uint32, 0, len(a.Counts)+len(b.Counts))}
	ca, cb := newCursor(a), newCursor(b)
	on := false
	var run uint32
	for !ca.done() && !cb.done() {
		step := min(ca.left, cb.left)
		v := ca.on || cb.on
		if intersect {
			v = ca.on && cb.on
		}
		if v != on {
			out.Counts = append(out.Counts, run)
			run, on = 0, v
		}
		run += step
		ca.advance(step)
		cb.advance(step)
	}
	out.Counts = append(out.Counts, run)
	return out
}

// PairIoU is the IoU of one detection mask and one ground-truth mask as
// pycocotools computes it: intersection / union, or intersection /
// detection area when the ground truth is a crowd region; 0 when they do not
// overlap, -1 when their sizes differ.
func PairIoU(dt, gt RLE, crowd bool) float64 {
	if dt.Height != gt.Height || dt.Width != gt.Width {
		return -1
	}
	i := Intersection(dt, gt)
	if i == 0 {
		return 0
	}
	u := dt.Area()
	if !crowd {
		u += gt.Area() - i
	}
	return float64(i) / float64(u)
}

// IoU returns the IoU of every detection with every ground truth,
// out[d][g], as pycocotools' iou(dts, gts, iscrowd). iscrowd[g] marks crowd
// ground truths (missing entries count as false).
func IoU(dts, gts []RLE, iscrowd []bool) [][]float64 {
	out := make([][]float64, len(dts))
	for d, dt := range dts {
		out[d] = make([]float64, len(gts))
		for g, gt := range gts {
			out[d][g] = PairIoU(dt, gt, g < len(iscrowd) && iscrowd[g])
		}
	}
	return out
}
