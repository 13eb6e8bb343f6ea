// Package loader iterates over a COCO-format dataset for training and
// evaluation: it shuffles with a seed, takes a shard, decodes images
// (PNG, JPEG with EXIF orientation, and the other formats imaging reads),
// letterboxes them to the model input, and prefetches on a bounded number
// of goroutines. The order depends only on the seed, epoch and shard, never
// on the number of workers, and decoded images are only ever held for the
// items in flight.
package loader

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"rewardvision/dataset/coco"
)

// Record is one image with its annotations, as read from the JSON files.
type Record struct {
	ImageID       int64
	Path          string // image file
	Width, Height int    // from the JSON; 0 when unknown
	Annotations   []coco.Annotation
	// PanopticPath is the PNG id map, "" when the dataset has none.
	PanopticPath string
	Segments     []coco.Segment
	Captions     []string
}

// FromInstances makes one record per image of ds, in file order, with its
// annotations. Bad records are errors, or skipped with a warning under
// opt.SkipBad (see coco.NewIndex); the index reports how many.
func FromInstances(ds *coco.Instances, imageDir string, opt coco.IndexOptions) ([]Record, *coco.Index, error) {
	ix, err := coco.NewIndex(ds, opt)
	if err != nil {
		return nil, nil, err
	}
	ids := ix.ImageIDs()
	recs := make([]Record, 0, len(ids))
	for _, id := range ids {
		im, _ := ix.Image(id)
		recs = append(recs, Record{
			ImageID: id, Path: filepath.Join(imageDir, im.FileName), Width: im.Width, Height: im.Height,
			Annotations: ix.Annotations(id),
		})
	}
	return recs, ix, nil
}

// AttachPanoptic adds each record's panoptic PNG and segments. A record
// without a panoptic annotation is an error unless opt.SkipBad, which
// drops the record with a warning; panoptic annotations of images not in
// recs are ignored.
func AttachPanoptic(recs []Record, p *coco.Panoptic, pngDir string, opt coco.IndexOptions) ([]Record, error) {
	px, err := coco.NewPanopticIndex(p, opt)
	if err != nil {
		return nil, err
	}
	return attachPanoptic(recs, px, pngDir, opt)
}

func attachPanoptic(recs []Record, px *coco.PanopticIndex, pngDir string, opt coco.IndexOptions) ([]Record, error) {
	out := recs[:0:0]
	for i, r := range recs {
		a, ok := px.Annotation(r.ImageID)
		if !ok {
			err := fmt.Errorf("%simage id %d (record %d) has no panoptic annotation", prefix(opt.Source), r.ImageID, i)
			if !opt.SkipBad {
				return nil, err
			}
			logger(opt.Logger).Warn("skipping image", "err", err)
			continue
		}
		r.PanopticPath = filepath.Join(pngDir, a.FileName)
		r.Segments = a.SegmentsInfo
		out = append(out, r)
	}
	return out, nil
}

// AttachCaptions adds each record's reference captions, in file order.
// Captions of unknown images are errors, or skipped under opt.SkipBad; it
// returns how many were skipped.
func AttachCaptions(recs []Record, c *coco.Captions, opt coco.IndexOptions) (int, error) {
	pos := make(map[int64]int, len(recs))
	for i, r := range recs {
		pos[r.ImageID] = i
	}
	skipped := 0
	for k, a := range c.Annotations {
		i, ok := pos[a.ImageID]
		if !ok {
			err := fmt.Errorf("%sannotations[%d] (id %d): caption of unknown image id %d", prefix(opt.Source), k, a.ID, a.ImageID)
			if !opt.SkipBad {
				return skipped, err
			}
			logger(opt.Logger).Warn("skipping bad record", "err", err)
			skipped++
			continue
		}
		recs[i].Captions = append(recs[i].Captions, a.Caption)
	}
	return skipped, nil
}

// LoadSplit reads a folder in the layout `rewardvision data gen` writes:
// instances.json with images/, and when present panoptic.json with
// panoptic/ and captions.json.
func LoadSplit(dir string, skipBad bool, log *slog.Logger) ([]Record, error) {
	recs, _, err := LoadSplitCounts(dir, skipBad, log)
	return recs, err
}

// SplitCounts says what LoadSplitCounts read and, under skipBad, dropped.
// Image files are only read by the Iterator, which counts its own skips.
type SplitCounts struct {
	Images, Annotations int // records in instances.json
	PanopticAnnotations int // records in panoptic.json; 0 without one
	Captions            int // records in captions.json; 0 without one

	SkippedImages      int // instances.json images dropped (bad size, duplicate id)
	SkippedAnnotations int // instances.json annotations dropped (unknown image or category, bad box or mask)
	SkippedPanoptic    int // panoptic.json images and annotations dropped
	SkippedNoPanoptic  int // images dropped for lacking a panoptic annotation
	SkippedCaptions    int // captions of unknown images dropped
}

// Skipped is the number of records dropped, all kinds together.
func (c SplitCounts) Skipped() int {
	return c.SkippedImages + c.SkippedAnnotations + c.SkippedPanoptic + c.SkippedNoPanoptic + c.SkippedCaptions
}

// LoadSplitCounts is LoadSplit that also reports how many records the
// files hold and how many were skipped.
func LoadSplitCounts(dir string, skipBad bool, log *slog.Logger) ([]Record, SplitCounts, error) {
	var n SplitCounts
	instPath := filepath.Join(dir, "instances.json")
	ds, err := coco.LoadInstances(instPath)
	if err != nil {
		return nil, n, err
	}
	n.Images, n.Annotations = len(ds.Images), len(ds.Annotations)
	recs, ix, err := FromInstances(ds, filepath.Join(dir, "images"), coco.IndexOptions{SkipBad: skipBad, Source: instPath, Logger: log})
	if err != nil {
		return nil, n, err
	}
	n.SkippedImages, n.SkippedAnnotations = ix.SkippedImages, ix.SkippedAnnotations
	panPath := filepath.Join(dir, "panoptic.json")
	if _, err := os.Stat(panPath); err == nil {
		p, err := coco.LoadPanoptic(panPath)
		if err != nil {
			return nil, n, err
		}
		n.PanopticAnnotations = len(p.Annotations)
		opt := coco.IndexOptions{SkipBad: skipBad, Source: panPath, Logger: log}
		px, err := coco.NewPanopticIndex(p, opt)
		if err != nil {
			return nil, n, err
		}
		n.SkippedPanoptic = px.SkippedImages + px.SkippedAnnotations
		before := len(recs)
		recs, err = attachPanoptic(recs, px, filepath.Join(dir, "panoptic"), opt)
		if err != nil {
			return nil, n, err
		}
		n.SkippedNoPanoptic = before - len(recs)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, n, err
	}
	capPath := filepath.Join(dir, "captions.json")
	if _, err := os.Stat(capPath); err == nil {
		c, err := coco.LoadCaptions(capPath)
		if err != nil {
			return nil, n, err
		}
		n.Captions = len(c.Annotations)
		if n.SkippedCaptions, err = AttachCaptions(recs, c, coco.IndexOptions{SkipBad: skipBad, Source: capPath, Logger: log}); err != nil {
			return nil, n, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, n, err
	}
	return recs, n, nil
}

func prefix(s string) string {
	if s == "" {
		return ""
	}
	return s + ": "
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
