package train

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"rewardvision/eval/panoptic"
	"rewardvision/models/checkpoint"
	"rewardvision/models/codec"
	"rewardvision/models/seq"
)

// panopticTask is stage II of the UViM-style panoptic model: the sequence
// model reads the image and predicts the Grid² codes of the stage-I
// panoptic code (see codec.Panoptic and RunPanopticVQ).
type panopticTask struct {
	p    *codec.Panoptic
	enc  *codec.Encoder
	cats *panoptic.Categories
}

// newPanopticTask loads the stage-I code (see loadStageI).
func newPanopticTask(cfg *Config, train *split) (*panopticTask, error) {
	p, err := loadStageI(cfg, codec.LoadPanoptic, codec.SavePanoptic, func(p *codec.Panoptic) error {
		return sameSize(p.Size, train.size)
	})
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, c := range train.allCats {
		names[int(c.ID)] = c.Name
	}
	return newPanopticSpec(p, names)
}

// newPanopticSpec is the task of code p, whose categories are named by
// names (category id → name).
func newPanopticSpec(p *codec.Panoptic, names map[int]string) (*panopticTask, error) {
	var list []panoptic.Category
	for _, id := range p.Things {
		list = append(list, panoptic.Category{ID: id, Name: names[id], IsThing: true})
	}
	for _, id := range p.Stuff {
		list = append(list, panoptic.Category{ID: id, Name: names[id]})
	}
	slices.SortFunc(list, func(a, b panoptic.Category) int { return a.ID - b.ID })
	cats, err := panoptic.NewCategories(list)
	if err != nil {
		return nil, err
	}
	return &panopticTask{p: p, enc: p.NewEncoder(), cats: cats}, nil
}

func (t *panopticTask) vocabSize() int   { return t.p.VocabSize() }
func (t *panopticTask) seqLen() int      { return t.p.SeqLen() }
func (t *panopticTask) mask() []float32  { return t.p.GrammarMask() }
func (t *panopticTask) headline() string { return "PQ" }

// labelMap is image i's canonical label map (codec.Panoptic.LabelMap).
func (t *panopticTask) labelMap(s *split, i int) ([]int16, error) {
	segs := make([]codec.Segment, len(s.segments[i]))
	for j, g := range s.segments[i] {
		segs[j] = codec.Segment{ID: uint32(g.ID), CategoryID: int(g.CategoryID), IsCrowd: g.IsCrowd != 0}
	}
	l, err := t.p.LabelMap(s.panoptic[i], segs)
	if err != nil {
		return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
	}
	return l, nil
}

// target: the codes of the image's panoptic map, then EOS.
func (t *panopticTask) target(s *split, i int, _ *rand.Rand) ([]int32, error) {
	l, err := t.labelMap(s, i)
	if err != nil {
		return nil, err
	}
	codes, err := t.enc.Encode(l)
	if err != nil {
		return nil, fmt.Errorf("%s: image id %d: %w", s.dir, s.ids[i], err)
	}
	return t.p.Tokens(codes), nil
}

func (t *panopticTask) fillMeta(meta *checkpoint.Meta) {
	meta.Panoptic = &checkpoint.Codebook{CodebookFile: CodebookFile, Grid: t.p.Grid(), Codes: t.p.K()}
	for _, c := range t.cats.List() {
		meta.Labels = append(meta.Labels, checkpoint.Label{Index: len(meta.Labels), CategoryID: c.ID, Name: c.Name})
	}
}

// groundTruth is image i's panoptic map as eval/panoptic reads it.
func (t *panopticTask) groundTruth(s *split, i int) panoptic.Image {
	segs := make([]panoptic.Segment, len(s.segments[i]))
	for j, g := range s.segments[i] {
		segs[j] = panoptic.Segment{ID: uint32(g.ID), CategoryID: int(g.CategoryID), IsCrowd: g.IsCrowd != 0, Area: int(g.Area)}
	}
	return panoptic.Image{Width: s.size, Height: s.size, IDs: s.panoptic[i], Segments: segs}
}

// predict decodes codes on image i into a panoptic map.
func (t *panopticTask) predict(s *split, i int, codes []int32) (panoptic.Image, error) {
	labels, err := t.p.Decode(codes, s.pixels[i])
	if err != nil {
		return panoptic.Image{}, fmt.Errorf("image id %d: %w", s.ids[i], err)
	}
	ids, segs, err := t.p.Segments(labels, s.size, s.size)
	if err != nil {
		return panoptic.Image{}, fmt.Errorf("image id %d: %w", s.ids[i], err)
	}
	out := panoptic.Image{Width: s.size, Height: s.size, IDs: ids, Segments: make([]panoptic.Segment, len(segs))}
	for j, g := range segs {
		out.Segments[j] = panoptic.Segment{ID: g.ID, CategoryID: g.CategoryID, Area: g.Area}
	}
	return out, nil
}

// match scores codes on image i against its ground truth.
func (t *panopticTask) match(s *split, i int, codes []int32) (*panoptic.ImageStats, error) {
	pred, err := t.predict(s, i, codes)
	if err != nil {
		return nil, err
	}
	st, err := panoptic.MatchImage(t.groundTruth(s, i), pred, t.cats)
	if err != nil {
		return nil, fmt.Errorf("image id %d: %w", s.ids[i], err)
	}
	return st, nil
}

// evaluate: greedy codes decoded on each validation image → PQ, SQ, RQ
// (All, Things, Stuff) over the images, the mean per-image PQ (the
// reward), and the teacher-forced loss (nll).
func (t *panopticTask) evaluate(m *seq.Model, val *split, n, batch int) (map[string]float64, results, error) {
	return scoreGreedyWithNLL(m, val, n, batch, t, t.score)
}

func (t *panopticTask) score(val *split, n int, decode decodeFunc) (map[string]float64, results, error) {
	var stats []*panoptic.ImageStats
	var res codeResults
	err := decode(func(i int, toks []int32, _ []float32) error {
		codes, err := t.p.CodesOf(toks)
		if err != nil {
			return fmt.Errorf("image id %d: %w", val.ids[i], err)
		}
		st, err := t.match(val, i, codes)
		if err != nil {
			return err
		}
		stats = append(stats, st)
		res = append(res, codeResult{ImageID: val.ids[i], Codes: codes})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return pqMetrics(t.cats, stats), res, nil
}

// pqMetrics are the dataset PQ, SQ, RQ (All, Things, Stuff) of the images
// and their mean per-image PQ (the reward).
func pqMetrics(cats *panoptic.Categories, stats []*panoptic.ImageStats) map[string]float64 {
	r := panoptic.Aggregate(cats, stats)
	reward := 0.0
	for _, s := range stats {
		reward += s.PQ()
	}
	if len(stats) > 0 {
		reward /= float64(len(stats))
	}
	return map[string]float64{
		"PQ": r.All.PQ, "SQ": r.All.SQ, "RQ": r.All.RQ,
		"PQ_things": r.Things.PQ, "SQ_things": r.Things.SQ, "RQ_things": r.Things.RQ,
		"PQ_stuff": r.Stuff.PQ, "SQ_stuff": r.Stuff.SQ, "RQ_stuff": r.Stuff.RQ,
		"reward": reward, "images": float64(len(stats)),
	}
}

// panopticRewarder is the paper's panoptic reward: the image's PQ.
type panopticRewarder struct{ t *panopticTask }

func (r *panopticRewarder) score(s *split, i int, tokens []int32) float64 {
	codes, err := r.t.p.CodesOf(tokens)
	if err != nil {
		return 0 // not reachable under the grammar mask
	}
	st, err := r.t.match(s, i, codes)
	if err != nil {
		// Not reachable for a split the loader accepted: it checks each
		// panoptic PNG against its segments (coco.CheckIDMap), and a
		// decoded map always matches its own segments.
		return 0
	}
	return st.PQ()
}

// size is the labels the codes name (Decode may place fewer of them).
func (r *panopticRewarder) size(tokens []int32) int {
	seen := map[int]bool{}
	codes, err := r.t.p.CodesOf(tokens)
	if err != nil {
		return 0
	}
	for _, k := range codes {
		for _, l := range r.t.p.Codes[k] {
			seen[l] = true
		}
	}
	return len(seen)
}

func (r *panopticRewarder) describe() string {
	return "per-image panoptic quality (PQ over the categories present, eval/panoptic.ImagePQ)"
}
