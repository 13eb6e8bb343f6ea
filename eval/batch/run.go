package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"

	"rewardvision/dataset/loader"
	"rewardvision/internal/atomicfile"
)

// RunFormat identifies run.json's layout.
const RunFormat = "rewardvision.eval-run/v1"

// RunInfo is run.json: what a run folder holds outputs of. A resumed run
// must have the same; shards of one job differ only in Shard.
type RunInfo struct {
	Format   string      `json:"format"`
	Task     string      `json:"task"`
	Ann      string      `json:"ann"`
	Images   string      `json:"images"`
	TrainAnn string      `json:"train_ann"`
	Limit    int         `json:"limit"`
	Shard    int         `json:"shard"`
	Shards   int         `json:"shards"`
	Models   []ModelInfo `json:"models"`
}

// Options control Run.
type Options struct {
	Concurrency int  // images in flight (≥ 1)
	SkipBad     bool // skip and count unreadable images instead of failing
	// OnImage is called once per image finished (all models), for progress.
	OnImage func()
	Logger  *slog.Logger
}

// RunStats counts what Run did.
type RunStats struct {
	Images  int // in this run's subset
	Resumed int // already done by an earlier run
	Done    int // evaluated now
	Skipped int // unreadable (with SkipBad), this run and earlier
}

// Prepare creates the run folder and writes run.json, or checks that an
// existing one describes the same run (a resume).
func Prepare(dir string, info RunInfo) error {
	info.Format = RunFormat
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s is a file, not a folder", dir)
	}
	path := filepath.Join(dir, "run.json")
	if data, err := os.ReadFile(path); err == nil {
		var old RunInfo
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if !reflect.DeepEqual(normalize(old), normalize(info)) {
			return fmt.Errorf("%s describes another run (dataset, models, limit or shard differ): use a new --out folder", path)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// run.json is written before any output, so a folder with files but
	// none is not a run: writing there would mix the outputs into it.
	if des, err := os.ReadDir(dir); err == nil && len(des) > 0 {
		return fmt.Errorf("--out %s holds files but no run.json, so it is not an eval run folder: use a new or empty folder", dir)
	}
	return writeRunInfo(dir, info)
}

// writeRunInfo writes DIR/run.json (Format set), making DIR.
func writeRunInfo(dir string, info RunInfo) error {
	info.Format = RunFormat
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, "run.json"), append(data, '\n'))
}

// normalize drops fields json does not keep, for comparison.
func normalize(r RunInfo) RunInfo {
	data, _ := json.Marshal(r)
	var out RunInfo
	_ = json.Unmarshal(data, &out)
	return out
}

// LoadRunInfo reads DIR/run.json.
func LoadRunInfo(dir string) (RunInfo, error) {
	path := filepath.Join(dir, "run.json")
	var info RunInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	if info.Format != RunFormat {
		return info, fmt.Errorf("%s: format %q, want %q", path, info.Format, RunFormat)
	}
	return info, nil
}

// Run evaluates every model on every image of imgs not yet in its
// outputs.jsonl under dir, appending one line per image as it finishes.
// Images are decoded one at a time per worker, never preloaded.
func Run(ctx context.Context, dir string, imgs []ImageRec, models []Model, opt Options) (RunStats, error) {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	st := RunStats{Images: len(imgs)}
	files := make([]*os.File, len(models))
	done := make([]map[int]Record, len(models))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, m := range models {
		path := OutputsFile(dir, m.Info().Key)
		mkdir := filepath.Dir(path)
		if d, ok := pngDirs[m.Info().Task]; ok {
			mkdir = filepath.Join(mkdir, d)
		}
		if err := os.MkdirAll(mkdir, 0o755); err != nil {
			return st, err
		}
		recs, size, err := ReadRecords(path)
		if err != nil {
			return st, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return st, err
		}
		// Drop a half-written last line before appending.
		if err := f.Truncate(size); err != nil {
			f.Close()
			return st, fmt.Errorf("truncate %s: %w", path, err)
		}
		if _, err := f.Seek(size, 0); err != nil {
			f.Close()
			return st, err
		}
		files[i], done[i] = f, recs
	}
	type job struct {
		img     ImageRec
		pending []int // model indices still to run
	}
	var jobs []job
	for _, im := range imgs {
		var pending []int
		skipped := false
		for i := range models {
			r, ok := done[i][im.ID]
			if !ok {
				pending = append(pending, i)
			} else if r.Skipped != "" {
				skipped = true
			}
		}
		if skipped {
			st.Skipped++
		}
		if len(pending) == 0 {
			st.Resumed++
			continue
		}
		jobs = append(jobs, job{im, pending})
	}
	if st.Resumed > 0 {
		log.Info("resuming", "dir", dir, "done", st.Resumed, "left", len(jobs))
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex // guards files, st
	write := func(mi int, r Record) error {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		// One write per line: a kill leaves at most a partial last line.
		if _, err := files[mi].Write(append(line, '\n')); err != nil {
			return fmt.Errorf("write %s: %w", files[mi].Name(), err)
		}
		return nil
	}
	work := make(chan job)
	var wg sync.WaitGroup
	conc := max(1, min(opt.Concurrency, len(imgs))) // no idle goroutines past the images
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				img, err := DecodeImage(j.img)
				if err != nil {
					err = fmt.Errorf("%s (image id %d): %w", j.img.Path, j.img.ID, err)
					if !opt.SkipBad {
						cancel(err)
						return
					}
					log.Warn("skipping bad image", "err", err)
					for _, mi := range j.pending {
						if werr := write(mi, Record{ImageID: j.img.ID, Skipped: err.Error()}); werr != nil {
							cancel(werr)
							return
						}
					}
					mu.Lock()
					st.Skipped++
					mu.Unlock()
				} else {
					for _, mi := range j.pending {
						out, err := models[mi].Predict(ctx, img)
						if err == nil {
							err = savePNG(dir, models[mi].Info(), j.img, img.Bounds(), &out)
						}
						if err != nil {
							cancel(fmt.Errorf("model %s on %s (image id %d): %w", models[mi].Info().Key, j.img.Path, j.img.ID, err))
							return
						}
						if err := write(mi, Record{ImageID: j.img.ID, Output: out}); err != nil {
							cancel(err)
							return
						}
					}
				}
				mu.Lock()
				st.Done++
				mu.Unlock()
				if opt.OnImage != nil {
					opt.OnImage()
				}
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// DecodeImage reads an image file with the training loader's decoder
// (loader.OpenImage: header bound, EXIF orientation) and checks its size
// against the annotation file.
func DecodeImage(rec ImageRec) (image.Image, error) {
	img, err := loader.OpenImage(rec.Path, loader.MaxPixels)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	b := img.Bounds()
	if (rec.Width > 0 && rec.Width != b.Dx()) || (rec.Height > 0 && rec.Height != b.Dy()) {
		return nil, fmt.Errorf("decoded %dx%d (after EXIF orientation), the annotation file says %dx%d", b.Dx(), b.Dy(), rec.Width, rec.Height)
	}
	return img, nil
}
