package shapes

import (
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"rewardvision/dataset/coco"
	"rewardvision/dataset/internal/ordered"
	"rewardvision/internal/atomicfile"
)

// Folder and file names of a generated split.
const (
	ImagesDir     = "images"   // RGB PNGs
	GrayDir       = "gray"     // grayscale copies, the colorization inputs
	PanopticDir   = "panoptic" // panoptic id-map PNGs
	InstancesFile = "instances.json"
	PanopticFile  = "panoptic.json"
	CaptionsFile  = "captions.json"
)

// Options says what to generate.
type Options struct {
	Out     string // output folder, created if missing
	N       int    // number of images
	Seed    int64
	Split   string // "train" or "val"; part of every image's seed
	Workers int    // 0 = GOMAXPROCS; never changes the output
	// Progress, when set, is called with the number of images finished
	// since the last call, from the writing goroutine.
	Progress func(n int)
}

// Summary counts what was written.
type Summary struct {
	Images      int `json:"images"`
	Objects     int `json:"objects"`
	Crowds      int `json:"crowds"`
	Captions    int `json:"captions"`
	StuffRegion int `json:"stuff_segments"`
	// BelowMinObjects counts images with fewer objects (crowd regions
	// included) than the config's MinObjects: objects that did not fit or
	// stayed under MinVisiblePixels are dropped, not redrawn.
	BelowMinObjects int `json:"below_min_objects"`
}

// info is the "info" object of every file: enough to regenerate the split.
type info struct {
	Description string `json:"description"`
	Version     string `json:"version"`
	Split       string `json:"split"`
	Seed        int64  `json:"seed"`
	Images      int    `json:"images"`
	Config      Config `json:"config"`
}

// FormatVersion changes whenever the same seed and config would give
// different files.
const FormatVersion = "shapes-1"

// FileName is the image file name of index i (COCO style, id = i+1).
func FileName(i int) string { return fmt.Sprintf("%012d.png", i+1) }

// ImageID is the COCO image id of index i; ids start at 1 because some
// tools treat id 0 as missing.
func ImageID(i int) int64 { return int64(i) + 1 }

type rendered struct {
	anns     annotations
	captions []string
	objects  int
	crowds   int
}

// Generate writes one split: images/, gray/, panoptic/ PNGs and
// instances.json, panoptic.json, captions.json. The bytes depend only on
// cfg, Seed, Split and N, not on Workers.
//
// The split is written into a folder beside opt.Out and renamed into
// place only when complete, so a failure (a full disk, a cancel) leaves
// opt.Out as it was. An existing opt.Out is replaced if it is empty or a
// split (it has instances.json); any other folder is refused.
func Generate(ctx context.Context, cfg Config, opt Options) (Summary, error) {
	var sum Summary
	if err := cfg.Validate(); err != nil {
		return sum, err
	}
	if opt.N < 0 {
		return sum, fmt.Errorf("n = %d, want >= 0", opt.N)
	}
	if opt.Split == "" {
		return sum, errors.New("no split name")
	}
	final := filepath.Clean(opt.Out)
	if err := checkOut(final); err != nil {
		return sum, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return sum, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".gen-")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up a failure
	opt.Out = tmp
	if sum, err = writeSplit(ctx, cfg, opt); err != nil {
		return sum, fmt.Errorf("%w (nothing was written to %s)", err, final)
	}
	return sum, atomicfile.ReplaceDir(tmp, final)
}

// checkOut refuses an output folder that holds something other than a
// split: replacing it would lose those files.
func checkOut(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, InstancesFile)); err != nil {
		return fmt.Errorf("output %s is not empty and holds no split (no %s): refusing to replace it", dir, InstancesFile)
	}
	return nil
}

func writeSplit(ctx context.Context, cfg Config, opt Options) (Summary, error) {
	var sum Summary
	for _, d := range []string{ImagesDir, GrayDir, PanopticDir} {
		if err := os.MkdirAll(filepath.Join(opt.Out, d), 0o755); err != nil {
			return sum, err
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	infoJSON, err := json.Marshal(info{"rewardvision synthetic shapes world", FormatVersion, opt.Split, opt.Seed, opt.N, cfg})
	if err != nil {
		return sum, err
	}
	images := make([]coco.Image, opt.N)
	for i := range images {
		images[i] = coco.Image{ID: ImageID(i), Width: cfg.Size, Height: cfg.Size, FileName: FileName(i)}
	}
	cats := Categories()
	files, err := newSplitWriters(opt.Out, infoJSON, images, cats)
	if err != nil {
		return sum, err
	}
	defer files.abort()

	work := func(ctx context.Context, i int) (rendered, error) {
		return renderAndWrite(cfg, opt, i)
	}
	annID, capID := int64(1), int64(1)
	err = ordered.Run(ctx, opt.N, workers, 4*workers, work, func(i int, r rendered) error {
		id := ImageID(i)
		for _, a := range r.anns.instances {
			a.ID = annID
			annID++
			if err := files.inst.Add(a); err != nil {
				return err
			}
		}
		if err := files.pan.Add(coco.PanopticAnnotation{ImageID: id, FileName: FileName(i), SegmentsInfo: r.anns.segments}); err != nil {
			return err
		}
		for _, c := range r.captions {
			if err := files.caps.Add(coco.Caption{ImageID: id, ID: capID, Caption: c}); err != nil {
				return err
			}
			capID++
		}
		sum.Images++
		sum.Objects += r.objects
		sum.Crowds += r.crowds
		sum.Captions += len(r.captions)
		sum.StuffRegion += len(r.anns.segments) - r.objects - r.crowds
		if r.objects+r.crowds < cfg.MinObjects {
			sum.BelowMinObjects++
		}
		if opt.Progress != nil {
			opt.Progress(1)
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	return sum, files.commit()
}

// renderAndWrite renders image i, writes its three PNGs and returns its
// annotations.
func renderAndWrite(cfg Config, opt Options, i int) (rendered, error) {
	sc := Render(cfg, opt.Seed, opt.Split, i)
	anns, err := annotate(sc, ImageID(i))
	if err != nil {
		return rendered{}, err
	}
	S := sc.Size
	ids := make([]byte, 3*S*S)
	for p, id := range anns.idMap.IDs {
		if id > coco.MaxSegmentID {
			return rendered{}, fmt.Errorf("image %d: segment id %d does not fit in RGB", ImageID(i), id)
		}
		ids[3*p], ids[3*p+1], ids[3*p+2] = byte(id), byte(id>>8), byte(id>>16)
	}
	name := FileName(i)
	for _, f := range []struct {
		dir      string
		pix      []byte
		channels int
		level    int
	}{
		{ImagesDir, sc.Pix, 3, zlib.HuffmanOnly},
		{GrayDir, sc.Gray(), 1, zlib.HuffmanOnly},
		{PanopticDir, ids, 3, zlib.BestSpeed},
	} {
		data := encodePNG(nil, f.pix, S, S, f.channels, f.level)
		if err := os.WriteFile(filepath.Join(opt.Out, f.dir, name), data, 0o644); err != nil {
			return rendered{}, err
		}
	}
	capRand := imageRand(opt.Seed, opt.Split+"/captions", i)
	r := rendered{anns: anns, captions: captionScene(capRand, sc)}
	for _, o := range sc.Objects {
		if o.Crowd {
			r.crowds++
		} else {
			r.objects++
		}
	}
	return r, nil
}

// splitWriters streams the three JSON files into temporary names and
// renames them into place only when the whole split is written.
type splitWriters struct {
	out       string
	inst      *coco.InstancesWriter
	pan       *coco.PanopticWriter
	caps      *coco.CaptionsWriter
	tmp       []*os.File
	names     []string
	committed bool
}

func newSplitWriters(out string, infoJSON []byte, images []coco.Image, cats []coco.Category) (*splitWriters, error) {
	w := &splitWriters{out: out}
	open := func(name string) (*os.File, error) {
		f, err := os.CreateTemp(out, "."+name+".tmp*")
		if err != nil {
			return nil, err
		}
		w.tmp = append(w.tmp, f)
		w.names = append(w.names, name)
		return f, nil
	}
	f, err := open(InstancesFile)
	if err == nil {
		w.inst, err = coco.NewInstancesWriter(f, &coco.Instances{Info: infoJSON, Images: images, Categories: cats})
	}
	if err == nil {
		f, err = open(PanopticFile)
	}
	if err == nil {
		w.pan, err = coco.NewPanopticWriter(f, &coco.Panoptic{Info: infoJSON, Images: images, Categories: cats})
	}
	if err == nil {
		f, err = open(CaptionsFile)
	}
	if err == nil {
		capImages := make([]coco.Image, len(images))
		copy(capImages, images)
		w.caps, err = coco.NewCaptionsWriter(f, &coco.Captions{Info: infoJSON, Images: capImages, Categories: cats})
	}
	if err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

func (w *splitWriters) commit() error {
	for _, err := range []error{w.inst.Close(), w.pan.Close(), w.caps.Close()} {
		if err != nil {
			return err
		}
	}
	for k, f := range w.tmp {
		if err := f.Chmod(0o644); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), filepath.Join(w.out, w.names[k])); err != nil {
			return err
		}
	}
	w.committed = true
	return nil
}

func (w *splitWriters) abort() {
	if w.committed {
		return
	}
	for _, f := range w.tmp {
		f.Close()
		os.Remove(f.Name())
	}
}
