package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"rewardvision/dataset/coco"
	"rewardvision/internal/atomicfile"
	"rewardvision/models/task"
)

// Record is one line of a model's outputs.jsonl.
type Record struct {
	ImageID int `json:"image_id"`
	Output
	// Skipped, with --skip-bad, says why the image was not evaluated.
	Skipped string `json:"skipped,omitempty"`
}

// OutputsFile is a model's JSONL file inside a run folder.
func OutputsFile(dir, key string) string { return filepath.Join(dir, key, "outputs.jsonl") }

// ReadRecords reads a JSONL file of records. A last line without its
// newline is what a killed run leaves: it is dropped and the returned size
// is the length of the complete lines, so the caller can truncate to it.
// A malformed complete line is an error naming the file and line.
func ReadRecords(path string) (map[int]Record, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[int]Record{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	recs := map[int]Record{}
	br := bufio.NewReaderSize(f, 1<<16)
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return recs, good, nil // a partial last line (or none) is dropped
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		var r Record
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if _, dup := recs[r.ImageID]; dup {
			return nil, 0, fmt.Errorf("%s:%d: image_id %d appears twice", path, line, r.ImageID)
		}
		recs[r.ImageID] = r
		good += int64(len(b))
	}
}

// pngDirs maps the tasks whose output is an image to the folder, inside a
// model's folder of the run, holding one PNG per image named by image id:
// colorization's colour image, panoptic's id map (COCO panoptic PNG).
var pngDirs = map[string]string{task.Colorization: ColorizedDir, task.Panoptic: PanopticDir}

// pngName is image id's PNG relative to the model's folder, as
// outputs.jsonl records it; "" for tasks without one.
func pngName(taskName string, id int) string {
	d, ok := pngDirs[taskName]
	if !ok {
		return ""
	}
	return d + "/" + strconv.Itoa(id) + ".png"
}

// pngField is the field of o naming its PNG (nil for tasks without one).
func (o *Output) pngField(taskName string) *string {
	switch taskName {
	case task.Colorization:
		return &o.Colorized
	case task.Panoptic:
		return &o.Panoptic
	}
	return nil
}

// savePNG writes an image output (colorization's Image, panoptic's Map)
// to its PNG in the run folder and records the file in out, dropping the
// image: the JSONL line names the file. The PNG is written before the
// line, so a line always has its file. Other tasks' outputs are left as
// they are.
func savePNG(dir string, info ModelInfo, rec ImageRec, src image.Rectangle, out *Output) error {
	var (
		what   string
		w, h   int
		encode func(io.Writer) error
	)
	switch info.Task {
	case task.Colorization:
		if out.Image == nil {
			return errors.New("the output holds no colorized image")
		}
		b := out.Image.Bounds()
		what, w, h = "colorized image", b.Dx(), b.Dy()
		encode = func(wr io.Writer) error { return png.Encode(wr, out.Image) }
	case task.Panoptic:
		if out.Map == nil {
			return errors.New("the output holds no panoptic map")
		}
		what, w, h = "panoptic map", out.Map.Width, out.Map.Height
		if len(out.Map.IDs) != w*h {
			return fmt.Errorf("panoptic map of %dx%d holds %d ids", w, h, len(out.Map.IDs))
		}
		encode = func(wr io.Writer) error { return coco.EncodeIDMap(wr, out.Map) }
	default:
		out.Image, out.Map = nil, nil
		return nil
	}
	if w != src.Dx() || h != src.Dy() {
		return fmt.Errorf("%s of %dx%d, the input is %dx%d", what, w, h, src.Dx(), src.Dy())
	}
	name := pngName(info.Task, rec.ID)
	if err := atomicfile.Write(filepath.Join(dir, info.Key, filepath.FromSlash(name)), encode); err != nil {
		return err
	}
	*out.pngField(info.Task) = name
	out.Image, out.Map = nil, nil
	return nil
}

// pngPath is the path of the PNG that image id's output of model key names
// in run folder dir, after checking that it names the expected file (a
// record naming another is refused).
func pngPath(taskName, dir, key string, id int, name string) (string, error) {
	if want := pngName(taskName, id); name != want {
		return "", fmt.Errorf("%s: image %d names %s output %q, want %q", OutputsFile(dir, key), id, pngDirs[taskName], name, want)
	}
	return filepath.Join(dir, key, filepath.FromSlash(name)), nil
}

// copyPNG copies the PNG of record r of model key from one run folder to
// another (eval merge); records without one are left.
func copyPNG(taskName, from, to, key string, r Record) error {
	f := r.pngField(taskName)
	if f == nil || *f == "" {
		return nil
	}
	src, err := pngPath(taskName, from, key, r.ImageID, *f)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	dst := filepath.Join(to, key, filepath.FromSlash(*f))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(dst, data)
}

// OutputPNG is the PNG (colorized image, panoptic map) of image position
// pos of a variant.
func (ev *Evaluation) OutputPNG(v *VariantResult, pos int) string {
	return filepath.Join(ev.Dir, v.Info.Key, filepath.FromSlash(*v.Outputs[pos].pngField(ev.Task)))
}

// forEachImage runs f on positions 0..n-1, a few at a time (GOMAXPROCS),
// and returns the error of the first failing position.
func forEachImage(n int, f func(i int) error) error {
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
