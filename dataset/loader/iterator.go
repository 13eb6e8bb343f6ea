package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/internal/ordered"
)

// Config says how to iterate.
type Config struct {
	Size    int   // model input side S; required
	Seed    int64 // shuffle seed
	Shuffle bool
	// Epoch is mixed into the shuffle so each pass has its own order.
	Epoch int
	// Shard and NumShards select positions p of the (shuffled) order with
	// p mod NumShards = Shard; the shards of one seed partition the set.
	// NumShards 0 means 1.
	Shard, NumShards int
	Workers          int // decoding goroutines; default 2
	Prefetch         int // decoded samples kept ahead; default 2·Workers
	// SkipBad skips an image that cannot be read (missing file, corrupt
	// data, size disagreeing with the JSON) with a warning instead of
	// failing the pass.
	SkipBad bool
	Pad     [3]uint8 // colour of the letterbox padding
	Logger  *slog.Logger
}

// Sample is one decoded item.
type Sample struct {
	Record    Record
	Position  int     // position within this shard's pass
	Pixels    []uint8 // RGB, row-major, Size·Size·3, letterboxed
	Boxes     []coco.BBox
	Panoptic  []uint32 // Size·Size segment ids (0 = void or padding); nil without a panoptic PNG
	Letterbox Letterbox
}

// Order returns the record indices of one pass: a permutation seeded by
// (seed, epoch) when shuffling, then the positions of shard of numShards.
func Order(n int, seed int64, epoch int, shuffle bool, shard, numShards int) []int {
	numShards = max(1, numShards)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if shuffle {
		r := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)^0x6c6f61646572))
		r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	out := make([]int, 0, n/numShards+1)
	for p := shard; p < n; p += numShards {
		out = append(out, idx[p])
	}
	return out
}

// Iterator yields the samples of one pass over a shard. It is not safe
// for concurrent use; Close it when done.
type Iterator struct {
	stream  *ordered.Stream[loaded]
	order   []int
	recs    []Record
	cfg     Config
	log     *slog.Logger
	skipped atomic.Int64
}

type loaded struct {
	s       Sample
	skipErr error // set when the item was skipped under SkipBad
}

// New starts a pass over recs.
func New(ctx context.Context, recs []Record, cfg Config) (*Iterator, error) {
	if cfg.Size <= 0 || cfg.Size > coco.MaxImageSide {
		return nil, fmt.Errorf("loader: input size %d out of range", cfg.Size)
	}
	if cfg.NumShards == 0 {
		cfg.NumShards = 1
	}
	if cfg.NumShards < 0 || cfg.Shard < 0 || cfg.Shard >= cfg.NumShards {
		return nil, fmt.Errorf("loader: shard %d/%d out of range", cfg.Shard, cfg.NumShards)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	it := &Iterator{
		order: Order(len(recs), cfg.Seed, cfg.Epoch, cfg.Shuffle, cfg.Shard, cfg.NumShards),
		recs:  recs, cfg: cfg, log: logger(cfg.Logger),
	}
	it.stream = ordered.Start(ctx, len(it.order), cfg.Workers, cfg.Prefetch, it.load)
	return it, nil
}

// Len is the number of records in this pass (skipped ones included).
func (it *Iterator) Len() int { return len(it.order) }

// Skipped is the number of records skipped so far under SkipBad.
func (it *Iterator) Skipped() int { return int(it.skipped.Load()) }

// Next returns the next sample, io.EOF at the end of the pass, or the
// error of a record that could not be loaded (without SkipBad).
func (it *Iterator) Next() (Sample, error) {
	for {
		_, l, err := it.stream.Next()
		if err != nil {
			return Sample{}, err
		}
		if l.skipErr != nil {
			it.skipped.Add(1)
			it.log.Warn("skipping image", "err", l.skipErr)
			continue
		}
		return l.s, nil
	}
}

// Close stops the workers.
func (it *Iterator) Close() { it.stream.Close() }

func (it *Iterator) load(ctx context.Context, pos int) (loaded, error) {
	ri := it.order[pos]
	rec := it.recs[ri]
	s, err := loadSample(rec, it.cfg)
	if err != nil {
		err = fmt.Errorf("%s (image id %d, record %d): %w", rec.Path, rec.ImageID, ri, err)
		if it.cfg.SkipBad {
			return loaded{skipErr: err}, nil
		}
		return loaded{}, err
	}
	s.Position = pos
	return loaded{s: s}, nil
}

// errSize is returned when the decoded image disagrees with the JSON.
var errSize = errors.New("image size differs from the annotation file")

func loadSample(rec Record, cfg Config) (Sample, error) {
	img, err := OpenImage(rec.Path, MaxPixels)
	if err != nil {
		return Sample{}, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if (rec.Width > 0 && rec.Width != w) || (rec.Height > 0 && rec.Height != h) {
		return Sample{}, fmt.Errorf("%w: decoded %dx%d (after EXIF orientation), JSON says %dx%d", errSize, w, h, rec.Width, rec.Height)
	}
	pix, lb := LetterboxImage(img, cfg.Size, cfg.Pad)
	s := Sample{Record: rec, Pixels: pix, Letterbox: lb}
	s.Boxes = make([]coco.BBox, len(rec.Annotations))
	for i, a := range rec.Annotations {
		s.Boxes[i] = lb.Box(a.BBox)
	}
	if rec.PanopticPath != "" {
		m, err := coco.ReadIDMap(rec.PanopticPath)
		if err != nil {
			return Sample{}, err
		}
		if m.Width != w || m.Height != h {
			return Sample{}, fmt.Errorf("%w: panoptic PNG %s is %dx%d, image %dx%d", errSize, rec.PanopticPath, m.Width, m.Height, w, h)
		}
		// The PNG's ids must be the record's segments, as the panoptic
		// evaluator requires (a PNG swapped with another image's fails here).
		a := coco.PanopticAnnotation{ImageID: rec.ImageID, FileName: rec.PanopticPath, SegmentsInfo: rec.Segments}
		if err := coco.CheckIDMap(a, m); err != nil {
			return Sample{}, err
		}
		s.Panoptic = letterboxIDs(m, lb)
	}
	return s, nil
}

// letterboxIDs resamples an id map by nearest neighbour (ids must not
// blend) into the letterbox; padding is void.
func letterboxIDs(m *coco.IDMap, lb Letterbox) []uint32 {
	S := lb.Size
	out := make([]uint32, S*S)
	xs := make([]int, lb.W)
	for x := range xs {
		xs[x] = min(m.Width-1, (2*x+1)*m.Width/(2*lb.W))
	}
	for y := 0; y < lb.H; y++ {
		sy := min(m.Height-1, (2*y+1)*m.Height/(2*lb.H))
		row := m.IDs[sy*m.Width:]
		for x, sx := range xs {
			out[y*S+x] = row[sx]
		}
	}
	return out
}

// All drains an iterator, for small sets and tests.
func All(it *Iterator) ([]Sample, error) {
	var out []Sample
	for {
		s, err := it.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}
