package panoptic

// Metrics are PQ, SQ and RQ averaged over N categories.
type Metrics struct {
	PQ, SQ, RQ float64
	N          int
}

// ClassResult is the outcome for one category over the whole dataset.
type ClassResult struct {
	ClassStats
	Name       string
	PQ, SQ, RQ float64
}

// ImageResult is the per-image PQ (see ImageStats.Summary) of one image.
type ImageResult struct {
	ImageID  ImageID
	FileName string
	Metrics
	TP, FP, FN int
}

// Result is the outcome of a dataset evaluation.
type Result struct {
	All, Things, Stuff Metrics
	// PerClass lists every category in category order; one with
	// TP+FP+FN = 0 has zero metrics and is left out of the means.
	PerClass []ClassResult
	// PerImage follows the ground-truth annotations order.
	PerImage []ImageResult
}

// classMetrics are panopticapi's per-category formulas; ok is false when
// the category has no TP, FP or FN.
func classMetrics(c ClassStats) (pq, sq, rq float64, ok bool) {
	if c.TP+c.FP+c.FN == 0 {
		return 0, 0, 0, false
	}
	den := float64(c.TP) + 0.5*float64(c.FP) + 0.5*float64(c.FN)
	pq = c.IoU / den
	if c.TP != 0 {
		sq = c.IoU / float64(c.TP)
	}
	rq = float64(c.TP) / den
	return pq, sq, rq, true
}

// meanMetrics averages over the classes with TP+FP+FN > 0 whose IsThing
// equals *thing (all when thing is nil), summing in slice order as
// panopticapi does. With none counted: 1s when emptyIsOne, else 0s.
func meanMetrics(classes []ClassStats, thing *bool, emptyIsOne bool) Metrics {
	var m Metrics
	for _, c := range classes {
		if thing != nil && c.IsThing != *thing {
			continue
		}
		pq, sq, rq, ok := classMetrics(c)
		if !ok {
			continue
		}
		m.PQ += pq
		m.SQ += sq
		m.RQ += rq
		m.N++
	}
	if m.N == 0 {
		if emptyIsOne {
			return Metrics{PQ: 1, SQ: 1, RQ: 1}
		}
		return Metrics{}
	}
	n := float64(m.N)
	m.PQ, m.SQ, m.RQ = m.PQ/n, m.SQ/n, m.RQ/n
	return m
}

// Aggregate combines per-image stats (in dataset order) into dataset
// metrics. IoUs are summed image by image in match order, panopticapi's
// single-worker order, so the result does not depend on how the images
// were scheduled.
func Aggregate(cats *Categories, images []*ImageStats) *Result {
	totals := make([]ClassStats, cats.Len())
	for i := range totals {
		c := cats.At(i)
		totals[i] = ClassStats{CategoryID: c.ID, IsThing: c.IsThing}
	}
	for _, im := range images {
		for _, c := range im.Classes {
			i, _ := cats.Index(c.CategoryID)
			totals[i].TP += c.TP
			totals[i].FP += c.FP
			totals[i].FN += c.FN
		}
		for _, m := range im.Matches {
			i, _ := cats.Index(m.CategoryID)
			totals[i].IoU += m.IoU
		}
	}
	r := &Result{
		All:      meanMetrics(totals, nil, false),
		Things:   meanMetrics(totals, ptr(true), false),
		Stuff:    meanMetrics(totals, ptr(false), false),
		PerClass: make([]ClassResult, len(totals)),
	}
	for i, t := range totals {
		pq, sq, rq, _ := classMetrics(t)
		r.PerClass[i] = ClassResult{ClassStats: t, Name: cats.At(i).Name, PQ: pq, SQ: sq, RQ: rq}
	}
	return r
}

// imageResult summarises one image's stats.
func imageResult(id ImageID, file string, s *ImageStats) ImageResult {
	all, _, _ := s.Summary()
	r := ImageResult{ImageID: id, FileName: file, Metrics: all}
	for _, c := range s.Classes {
		r.TP += c.TP
		r.FP += c.FP
		r.FN += c.FN
	}
	return r
}
