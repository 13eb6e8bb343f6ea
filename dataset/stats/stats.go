// Package stats summarises a COCO-format split: objects per class, object
// sizes, objects per image, panoptic segments and void, caption lengths
// and vocabulary. It backs `rewardvision data stats`.
package stats

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"rewardvision/dataset/coco"
)

// COCO's area thresholds for small / medium / large objects (pixels).
const (
	SmallArea  = 32 * 32
	MediumArea = 96 * 96
)

// sizeEdges are the bin edges of the sqrt(area) histogram, in pixels.
var sizeEdges = []float64{0, 4, 8, 16, 32, 64, 128, 256}

// Stats is what `data stats` prints.
type Stats struct {
	Instances *InstanceStats `json:"instances,omitempty"`
	Panoptic  *PanopticStats `json:"panoptic,omitempty"`
	Captions  *CaptionStats  `json:"captions,omitempty"`
}

// ClassCount counts one category's annotations.
type ClassCount struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	IsThing   bool   `json:"isthing"`
	Instances int    `json:"instances"` // iscrowd = 0
	Crowd     int    `json:"crowd"`     // iscrowd = 1
	Images    int    `json:"images"`    // images with at least one
}

// Bin is one histogram bin [Lo, Hi) (Hi = -1: no upper edge).
type Bin struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// InstanceStats summarises an instances file. Sizes count non-crowd
// annotations by their "area": small < 32², medium < 96², large the rest
// (COCO's ranges, made disjoint).
type InstanceStats struct {
	Images          int          `json:"images"`
	Objects         int          `json:"objects"`
	CrowdRegions    int          `json:"crowd_regions"`
	PerClass        []ClassCount `json:"per_class"`
	Small           int          `json:"small"`
	Medium          int          `json:"medium"`
	Large           int          `json:"large"`
	SqrtAreaHist    []Bin        `json:"sqrt_area_hist"`
	ObjectsPerImage []int        `json:"objects_per_image"` // [n] = images with n objects
	MeanPerImage    float64      `json:"mean_objects_per_image"`
}

// PanopticStats summarises a panoptic JSON file (PNGs are not read: void
// is image area minus the segments' areas).
type PanopticStats struct {
	Images        int          `json:"images"`
	Segments      int          `json:"segments"`
	ThingSegments int          `json:"thing_segments"`
	StuffSegments int          `json:"stuff_segments"`
	VoidFraction  float64      `json:"void_fraction"`
	Stuff         []StuffCount `json:"stuff"`
}

// StuffCount is one stuff class's share of the pixels.
type StuffCount struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	Segments      int     `json:"segments"`
	PixelFraction float64 `json:"pixel_fraction"`
}

// CaptionStats summarises a captions file; words are split on spaces.
type CaptionStats struct {
	Images     int     `json:"images"`
	Captions   int     `json:"captions"`
	PerImage   float64 `json:"captions_per_image"`
	MeanWords  float64 `json:"mean_words"`
	MinWords   int     `json:"min_words"`
	MaxWords   int     `json:"max_words"`
	LengthHist []int   `json:"length_hist"` // [n] = captions of n words
	Vocabulary int     `json:"vocabulary"`
	TopWords   []Word  `json:"top_words"`
}

// Word is a vocabulary entry with its count.
type Word struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Files names the inputs of Compute; empty paths are skipped.
type Files struct {
	Instances, Panoptic, Captions string
}

// SplitFiles returns the files of a folder in the `data gen` layout that
// exist.
func SplitFiles(dir string) (Files, error) {
	var f Files
	for _, p := range []struct {
		name string
		dst  *string
	}{{"instances.json", &f.Instances}, {"panoptic.json", &f.Panoptic}, {"captions.json", &f.Captions}} {
		path := filepath.Join(dir, p.name)
		if _, err := os.Stat(path); err == nil {
			*p.dst = path
		} else if !errors.Is(err, os.ErrNotExist) {
			return f, err
		}
	}
	if f == (Files{}) {
		return f, fmt.Errorf("%s holds none of instances.json, panoptic.json, captions.json", dir)
	}
	return f, nil
}

// Compute reads the files and summarises them.
func Compute(f Files) (*Stats, error) {
	s := &Stats{}
	if f.Instances != "" {
		ds, err := coco.LoadInstances(f.Instances)
		if err != nil {
			return nil, err
		}
		if err := wrongKind(f.Instances, "instances", len(ds.Annotations), func(i int) bool {
			a := ds.Annotations[i]
			return a.BBox[2] > 0 || a.BBox[3] > 0 || a.Segmentation != nil
		}); err != nil {
			return nil, err
		}
		s.Instances = instanceStats(ds)
	}
	if f.Panoptic != "" {
		p, err := coco.LoadPanoptic(f.Panoptic)
		if err != nil {
			return nil, err
		}
		if err := wrongKind(f.Panoptic, "panoptic", len(p.Annotations), func(i int) bool {
			return p.Annotations[i].FileName != ""
		}); err != nil {
			return nil, err
		}
		s.Panoptic = panopticStats(p)
	}
	if f.Captions != "" {
		c, err := coco.LoadCaptions(f.Captions)
		if err != nil {
			return nil, err
		}
		if err := wrongKind(f.Captions, "captions", len(c.Annotations), func(i int) bool {
			return c.Annotations[i].Caption != ""
		}); err != nil {
			return nil, err
		}
		s.Captions = captionStats(c)
	}
	return s, nil
}

// fields names what an annotation of each kind of file must carry.
var fields = map[string]string{
	"instances": `a "bbox" or "segmentation"`,
	"panoptic":  `a "file_name"`,
	"captions":  `a "caption"`,
}

// wrongKind refuses a file none of whose n annotations has the fields of
// kind (ok(i) says whether annotation i has them): a panoptic or captions
// file given as instances decodes without error but means nothing.
func wrongKind(path, kind string, n int, ok func(i int) bool) error {
	for i := range n {
		if ok(i) {
			return nil
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%s: none of its %d annotations has %s: not a COCO %s file", path, n, fields[kind], kind)
}

func instanceStats(ds *coco.Instances) *InstanceStats {
	st := &InstanceStats{Images: len(ds.Images)}
	byID := map[int64]*ClassCount{}
	for _, c := range ds.Categories {
		byID[c.ID] = &ClassCount{ID: c.ID, Name: c.Name, IsThing: c.Thing()}
	}
	perImage := map[int64]int{}
	seen := map[[2]int64]bool{}
	st.SqrtAreaHist = make([]Bin, len(sizeEdges))
	for i, lo := range sizeEdges {
		hi := -1.0
		if i+1 < len(sizeEdges) {
			hi = sizeEdges[i+1]
		}
		st.SqrtAreaHist[i] = Bin{Lo: lo, Hi: hi}
	}
	for _, a := range ds.Annotations {
		cc := byID[a.CategoryID]
		if cc == nil { // a category missing from the list still counts
			cc = &ClassCount{ID: a.CategoryID, Name: "?", IsThing: true}
			byID[a.CategoryID] = cc
		}
		if !seen[[2]int64{a.CategoryID, a.ImageID}] {
			seen[[2]int64{a.CategoryID, a.ImageID}] = true
			cc.Images++
		}
		if a.IsCrowd != 0 {
			cc.Crowd++
			st.CrowdRegions++
			continue
		}
		cc.Instances++
		st.Objects++
		perImage[a.ImageID]++
		switch {
		case a.Area < SmallArea:
			st.Small++
		case a.Area < MediumArea:
			st.Medium++
		default:
			st.Large++
		}
		r := math.Sqrt(max(0, a.Area))
		k := sort.SearchFloat64s(sizeEdges, r)
		if k == len(sizeEdges) || sizeEdges[k] != r {
			k--
		}
		st.SqrtAreaHist[max(0, k)].Count++
	}
	for _, cc := range byID {
		st.PerClass = append(st.PerClass, *cc)
	}
	sort.Slice(st.PerClass, func(i, j int) bool { return st.PerClass[i].ID < st.PerClass[j].ID })
	maxN := 0
	for _, n := range perImage {
		maxN = max(maxN, n)
	}
	st.ObjectsPerImage = make([]int, maxN+1)
	for _, im := range ds.Images {
		st.ObjectsPerImage[perImage[im.ID]]++
	}
	if st.Images > 0 {
		st.MeanPerImage = float64(st.Objects) / float64(st.Images)
	}
	return st
}

func panopticStats(p *coco.Panoptic) *PanopticStats {
	st := &PanopticStats{Images: len(p.Annotations)}
	cats := map[int64]coco.Category{}
	for _, c := range p.Categories {
		cats[c.ID] = c
	}
	sizes := map[int64]float64{}
	for _, im := range p.Images {
		sizes[im.ID] = float64(im.Width) * float64(im.Height)
	}
	stuff := map[int64]*StuffCount{}
	var total, labelled float64
	for _, a := range p.Annotations {
		total += sizes[a.ImageID]
		for _, s := range a.SegmentsInfo {
			st.Segments++
			labelled += s.Area
			c, ok := cats[s.CategoryID]
			if !ok || c.Thing() {
				st.ThingSegments++
				continue
			}
			st.StuffSegments++
			sc := stuff[s.CategoryID]
			if sc == nil {
				sc = &StuffCount{ID: c.ID, Name: c.Name}
				stuff[s.CategoryID] = sc
			}
			sc.Segments++
			sc.PixelFraction += s.Area
		}
	}
	if total > 0 {
		st.VoidFraction = max(0, (total-labelled)/total)
	}
	for _, sc := range stuff {
		if total > 0 {
			sc.PixelFraction /= total
		}
		st.Stuff = append(st.Stuff, *sc)
	}
	sort.Slice(st.Stuff, func(i, j int) bool { return st.Stuff[i].ID < st.Stuff[j].ID })
	return st
}

func captionStats(c *coco.Captions) *CaptionStats {
	st := &CaptionStats{Images: len(c.Images), Captions: len(c.Annotations)}
	vocab := map[string]int{}
	words := 0
	for i, a := range c.Annotations {
		ws := strings.Fields(strings.ToLower(a.Caption))
		n := len(ws)
		words += n
		if i == 0 || n < st.MinWords {
			st.MinWords = n
		}
		st.MaxWords = max(st.MaxWords, n)
		for len(st.LengthHist) <= n {
			st.LengthHist = append(st.LengthHist, 0)
		}
		st.LengthHist[n]++
		for _, w := range ws {
			vocab[w]++
		}
	}
	st.Vocabulary = len(vocab)
	if st.Captions > 0 {
		st.MeanWords = float64(words) / float64(st.Captions)
	}
	if st.Images > 0 {
		st.PerImage = float64(st.Captions) / float64(st.Images)
	}
	for w, n := range vocab {
		st.TopWords = append(st.TopWords, Word{w, n})
	}
	sort.Slice(st.TopWords, func(i, j int) bool {
		a, b := st.TopWords[i], st.TopWords[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Word < b.Word)
	})
	if len(st.TopWords) > 20 {
		st.TopWords = st.TopWords[:20]
	}
	return st
}
