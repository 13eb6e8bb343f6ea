package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"rewardvision/api"
	"rewardvision/internal/atomicfile"
	"rewardvision/internal/cli"
	"rewardvision/internal/readlimit"
	"rewardvision/serve"
)

// decodeFlags are the request options shared by predict and bench serve.
type decodeFlags struct {
	decoding    *string
	temperature *float64
	topK        *int
	topP        *float64
	seed        *int
	scoreThr    *float64
	maxDets     *int
	numSamples  *int
	imageID     *int
}

func addDecodeFlags(fs *cli.FlagSet) decodeFlags {
	return decodeFlags{
		decoding:    fs.String("decoding", "", "", "greedy or sample (default: the model's)"),
		temperature: fs.Float64("temperature", "", 0, "sampling temperature > 0 (0: the default)"),
		topK:        fs.Int("top-k", "", 0, "sample among the K most likely tokens (0: off)"),
		topP:        fs.Float64("top-p", "", 0, "nucleus sampling threshold in (0, 1] (0: off)"),
		seed:        fs.Int("seed", "", -1, "sampling seed (-1: the server draws one and reports it)"),
		scoreThr:    fs.Float64("score-threshold", "", 0, "detect: drop boxes scoring below"),
		maxDets:     fs.Int("max-detections", "", 0, "detect: keep at most this many boxes (0: all)"),
		numSamples:  fs.Int("num-samples", "", 0, "caption: sample this many candidates"),
		imageID:     fs.Int("image-id", "", 0, "image_id to put in the results (several images: the first's, then +1 each)"),
	}
}

// taskOptions are one request's options, typed for api.Client.
type taskOptions struct {
	task string
	det  api.DetectOptions
	capt api.CaptionOptions
	col  api.ColorizeOptions
	pan  api.PanopticOptions
	req  api.RequestOptions
}

// options turns the flags into a request's options.
func (f decodeFlags) options(task string, imageID int64, variant string) (taskOptions, error) {
	d := api.DecodeOptions{Decoding: *f.decoding}
	if *f.temperature != 0 {
		d.Temperature = f.temperature
	}
	if *f.topK != 0 {
		d.TopK = f.topK
	}
	if *f.topP != 0 {
		d.TopP = f.topP
	}
	if *f.seed >= 0 {
		d.Seed = api.Ptr(uint64(*f.seed))
	}
	o := taskOptions{task: task, req: api.RequestOptions{ImageID: imageID, Variant: variant}}
	switch task {
	case api.TaskDetect:
		o.det = api.DetectOptions{RequestOptions: o.req, DecodeOptions: d}
		if *f.scoreThr != 0 {
			o.det.ScoreThreshold = f.scoreThr
		}
		if *f.maxDets != 0 {
			o.det.MaxDetections = f.maxDets
		}
	case api.TaskCaption:
		o.capt = api.CaptionOptions{RequestOptions: o.req, DecodeOptions: d, NumSamples: *f.numSamples}
	case api.TaskColorize:
		o.col = api.ColorizeOptions{RequestOptions: o.req, DecodeOptions: d}
	case api.TaskPanoptic:
		o.pan = api.PanopticOptions{RequestOptions: o.req, DecodeOptions: d}
	default:
		return o, cli.Usagef("--task %q: want detect, caption, panoptic or colorize", task)
	}
	return o, nil
}

// query is the options as the server reads them (the names api.Client sends).
func (o taskOptions) query() url.Values {
	switch o.task {
	case api.TaskDetect:
		return o.det.Query()
	case api.TaskCaption:
		return o.capt.Query()
	case api.TaskColorize:
		return o.col.Query()
	case api.TaskPanoptic:
		return o.pan.Query()
	}
	return api.CaptionOptions{RequestOptions: o.req}.Query()
}

// remote runs the request through api.Client.
func (o taskOptions) remote(ctx context.Context, c *api.Client, img api.Image) (any, error) {
	switch o.task {
	case api.TaskDetect:
		return c.Detect(ctx, img, o.det)
	case api.TaskCaption:
		return c.Caption(ctx, img, o.capt)
	case api.TaskPanoptic:
		return c.Panoptic(ctx, img, o.pan)
	case api.TaskColorize:
		return c.Colorize(ctx, img, o.col)
	}
	return nil, fmt.Errorf("unknown task %q", o.task)
}

const predictHelp = `Prints one JSON answer per image, as the HTTP API returns it. --out draws
the boxes and labels (detection; small images are scaled up so labels stay
readable), draws the panoptic segments tinted over the image with a legend
(panoptic) or writes the colorized image (colorize; the PNG of the answer,
at the input's size).`

func predictCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Short: "run a model on images, in-process (the server's own code path) or through a running server",
		Long:  predictHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("predict", "rewardvision predict --task detect|caption|panoptic|colorize IMAGE... [--server URL] [--variant V] [--out FILE] [flags]\n\n"+predictHelp)
			taskName := fs.String("task", "", "", "detect, caption, panoptic or colorize")
			server := fs.String("server", "RV_SERVER", "", "URL of a running server (default: run in-process)")
			variant := fs.String("variant", "", "", "model variant (mle, reward; default: the server's routing)")
			out := fs.String("out", "", "", "detect: write the image with boxes drawn here; panoptic: the segments drawn; colorize: the colorized image (PNG; with several images, a folder)")
			df := addDecodeFlags(fs)
			mf := addModelFlags(fs)
			images, err := fs.ParseMixed(args)
			if err != nil {
				return err
			}
			if len(images) == 0 {
				return cli.Usagef("predict: no images given")
			}
			if *out != "" && *taskName == api.TaskCaption {
				return cli.Usagef("predict: --out writes drawn detections or segments or the colorized image; --task caption has none")
			}
			o, err := df.options(*taskName, 0, "")
			if err != nil {
				return err
			}
			// Flags of another task would be silently ignored.
			for _, f := range [][2]string{{"score-threshold", api.TaskDetect}, {"max-detections", api.TaskDetect}, {"num-samples", api.TaskCaption}} {
				if fs.Given(f[0]) && *taskName != f[1] {
					return cli.Usagef("predict: --%s is for --task %s; --task %s has no use for it", f[0], f[1], *taskName)
				}
			}
			if err := serve.ValidateParams(*taskName, o.query()); err != nil {
				return cli.Usagef("predict: %v", err)
			}
			if err := mf.check(); err != nil {
				return err
			}
			// The flags that set up in-process models have no effect on a
			// remote server.
			if *server != "" {
				for _, f := range []string{"repo", "device", "ort-lib", "intra-op-threads", "inter-op-threads", "max-inflight", "max-queue",
					"max-batch-size", "max-queue-delay-us", "preferred-batch-sizes", "model-batching", "ab", "ort-arena", "drain-timeout", "timeout"} {
					if fs.Given(f) {
						return cli.Usagef("predict: --%s sets up in-process models; with --server the server runs them", f)
					}
				}
			}
			if err := checkPredictOut(*out, len(images)); err != nil {
				return err
			}
			if err := checkOutNotInput(*out, images); err != nil {
				return err
			}
			// Every image is read and decoded before any model runs, so a
			// missing or corrupt one fails the command before it writes
			// anything.
			maxBytes := int64(*mf.maxBodyMB) << 20
			for _, path := range images {
				data, err := readImageFile(path, maxBytes)
				if err != nil {
					return err
				}
				if _, _, err := serve.DecodeImage(data, int64(*mf.maxPixels)); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
			var do func(ctx context.Context, data []byte, o taskOptions) (any, error)
			if *server != "" {
				c, err := api.NewClient(*server, nil)
				if err != nil {
					return cli.Usagef("--server: %v", err)
				}
				do = func(ctx context.Context, data []byte, o taskOptions) (any, error) {
					return o.remote(ctx, c, api.Image{Data: data})
				}
			} else {
				srv, err := mf.open(slog.Default())
				if err != nil {
					return err
				}
				defer srv.Registry().Close()
				if vs := srv.Registry().Variants(*taskName); *variant != "" && len(vs) > 0 && !slices.Contains(vs, *variant) {
					return cli.Usagef("predict: --variant %q: the repository %s serves %v for --task %s", *variant, *mf.repo, vs, *taskName)
				}
				do = func(ctx context.Context, data []byte, o taskOptions) (any, error) {
					res, err := srv.Predict(ctx, serve.Request{Task: o.task, Image: data, Params: o.query()})
					if err != nil {
						return nil, err
					}
					return res.Body, nil
				}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			for i, path := range images {
				data, err := readImageFile(path, maxBytes)
				if err != nil {
					return err
				}
				id := int64(0)
				if *df.imageID != 0 {
					id = int64(*df.imageID + i)
				}
				o, _ := df.options(*taskName, id, *variant)
				body, err := do(ctx, data, o)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if err := enc.Encode(body); err != nil {
					return err
				}
				if *out != "" {
					dst := predictDst(*out, path, len(images))
					if err := writeDrawn(dst, data, body, int64(*mf.maxPixels)); err != nil {
						return fmt.Errorf("--out %s: %w", dst, err)
					}
				}
			}
			return nil
		},
	}
}

// predictDst is where --out puts the drawing of image path: --out itself
// for one image, else a PNG named after the image in the --out folder.
func predictDst(out, path string, images int) string {
	if images == 1 {
		return out
	}
	return filepath.Join(out, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".png")
}

// checkOutNotInput refuses an --out that would write over one of the
// images (--out IMG IMG, or a folder holding an input's PNG name).
func checkOutNotInput(out string, images []string) error {
	if out == "" {
		return nil
	}
	for _, path := range images {
		dst := predictDst(out, path, len(images))
		di, err := os.Stat(dst)
		if err != nil {
			continue
		}
		for _, img := range images {
			if ii, err := os.Stat(img); err == nil && os.SameFile(di, ii) {
				return cli.Usagef("predict: --out would write %s over the input image %s", dst, img)
			}
		}
	}
	return nil
}

// checkPredictOut refuses an --out that cannot take the output, before
// any model runs: an existing folder for one image (--out names the PNG),
// an existing file for several (--out names their folder).
func checkPredictOut(out string, images int) error {
	if out == "" {
		return nil
	}
	st, err := os.Stat(out)
	switch {
	case err != nil:
		// Created when written: the folder it goes in must be one.
		dir := out
		if images == 1 {
			dir = filepath.Dir(out)
		}
		for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
			if st, err := os.Stat(d); err == nil {
				if !st.IsDir() {
					return fmt.Errorf("--out %s: %s is a file, not a folder", out, d)
				}
				return nil
			}
			if filepath.Dir(d) == d {
				return nil
			}
		}
	case images == 1 && st.IsDir():
		return cli.Usagef("predict: --out %s is a folder; with one image --out names the PNG file to write", out)
	case images > 1 && !st.IsDir():
		return cli.Usagef("predict: --out %s is a file; with %d images --out names the folder of their PNGs", out, images)
	}
	return nil
}

// readImageFile reads an image up to the server's body limit, so that an
// endless or huge file (/dev/zero) fails at once as the server would
// refuse it (413), instead of being read until memory runs out.
func readImageFile(path string, limit int64) ([]byte, error) {
	data, err := readlimit.ReadFile(path, limit, "image")
	if errors.Is(err, readlimit.ErrTooLarge) {
		return nil, fmt.Errorf("%s: larger than the %d MB limit (raise it with --max-body-mb)", path, limit>>20)
	}
	return data, err
}

// writeDrawn writes the image with the detections or segments of body
// drawn, or the colorized image of body as the server encoded it.
func writeDrawn(dst string, data []byte, body any, maxPixels int64) error {
	var write func(w io.Writer) error
	switch b := body.(type) {
	case *api.DetectResponse:
		img, _, err := serve.DecodeImage(data, maxPixels)
		if err != nil {
			return err
		}
		write = func(w io.Writer) error { return png.Encode(w, serve.DrawDetections(img, b.Detections)) }
	case *api.PanopticResponse:
		img, _, err := serve.DecodeImage(data, maxPixels)
		if err != nil {
			return err
		}
		drawn, err := serve.DrawPanoptic(img, b.PNG, b.SegmentsInfo)
		if err != nil {
			return err
		}
		write = func(w io.Writer) error { return png.Encode(w, drawn) }
	case *api.ColorizeResponse:
		write = func(w io.Writer) error { _, err := w.Write(b.PNG); return err }
	default:
		return fmt.Errorf("nothing to draw in the answer (%T)", body)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(dst, write)
}
