package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"rewardvision/eval/panoptic"
	"rewardvision/internal/cli"
)

const evalPanopticHelp = `Computes panoptic quality (PQ, SQ, RQ) for All, Things and Stuff and per class,
with the semantics of panopticapi's pq_compute (cocodataset/panopticapi 7bb4655):
segments match at IoU > 0.5, void pixels of the prediction leave the union,
crowd regions absorb predictions of their class. Inputs are COCO panoptic JSON
files with folders of RGB PNG segment-id maps (id = R + 256·G + 256²·B). The
categories are the ground truth's. As in panopticapi, predictions for images
the ground truth lacks are ignored and of several predictions for one image the
last is used, with a warning (--strict refuses both); a ground-truth image
without a prediction is an error. --json prints the keys of panopticapi's
result (All, Things, Stuff, per_class) plus meta.`

func evalPanopticCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "panoptic",
		Short: "PQ/SQ/RQ of COCO panoptic predictions (panopticapi semantics)",
		Long:  evalPanopticHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval panoptic", "rewardvision eval panoptic --gt-json F [--gt-dir D] --pred-json F [--pred-dir D] [--strict] [--json]\n\n"+evalPanopticHelp)
			limits := addInputLimits(fs, true, true)
			gtJSON := fs.String("gt-json", "", "", "COCO panoptic ground-truth JSON")
			gtDir := fs.String("gt-dir", "", "", "folder of ground-truth PNGs (default: --gt-json without .json, as panopticapi)")
			predJSON := fs.String("pred-json", "", "", "COCO panoptic prediction JSON")
			predDir := fs.String("pred-dir", "", "", "folder of predicted PNGs (default: --pred-json without .json)")
			asJSON := fs.Bool("json", "", false, "print JSON with the keys of panopticapi's result")
			workers := fs.Int("workers", "RV_WORKERS", 0, "images decoded and matched at once (0: one per CPU)")
			strict := fs.Bool("strict", strictEnv, false, "refuse predictions for images the ground truth lacks instead of ignoring them")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			if *workers < 0 {
				return cli.Usagef("eval panoptic: --workers %d: want ≥ 0 (0: one per CPU)", *workers)
			}
			if *gtJSON == "" || *predJSON == "" {
				return cli.Usagef("eval panoptic: --gt-json and --pred-json are required (see --help)")
			}
			if *gtDir == "" {
				*gtDir = strings.TrimSuffix(*gtJSON, ".json")
			}
			if *predDir == "" {
				*predDir = strings.TrimSuffix(*predJSON, ".json")
			}
			start := time.Now()
			gt, err := panoptic.LoadFile(*gtJSON)
			if err != nil {
				return err
			}
			var pred *panoptic.File
			if *strict {
				pred, err = panoptic.LoadFile(*predJSON)
			} else {
				var dropped []int
				if pred, dropped, err = panoptic.LoadPredictionFile(*predJSON); len(dropped) > 0 {
					slog.Warn("of several predictions for one image the last is used, as panopticapi does (--strict refuses them)",
						"dropped_annotations", dropped[:min(5, len(dropped))], "count", len(dropped), "pred", *predJSON)
				}
			}
			if err != nil {
				return err
			}
			// The files first: a missing --pred-json is named as such, not as
			// the PNG folder its name implies.
			for _, d := range []string{*gtDir, *predDir} {
				if st, err := os.Stat(d); err != nil || !st.IsDir() {
					return fmt.Errorf("PNG folder %s: not a directory", d)
				}
			}
			opts := panoptic.Options{Workers: *workers, Strict: *strict}
			if unused := panoptic.UnusedPredictions(gt, pred); len(unused) > 0 && !*strict {
				ids := make([]panoptic.ImageID, 0, 5)
				for _, i := range unused[:min(5, len(unused))] {
					ids = append(ids, pred.Annotations[i].ImageID)
				}
				slog.Warn("predictions for images the ground truth lacks are ignored, as panopticapi does (--strict refuses them)",
					"annotations", len(unused), "first_image_ids", ids, "pred", *predJSON)
			}
			if n := len(gt.Annotations); n >= 100 { // small sets finish before a report is due
				p := cli.NewProgress("eval panoptic", n, stderr, cli.IsTerminal(stderr), slog.Default())
				opts.Progress = func(int, int) { p.Add(1) }
				defer p.Done()
			}
			res, err := panoptic.EvaluateFiles(ctx, gt, *gtDir, pred, *predDir, opts)
			if err != nil {
				return fmt.Errorf("gt %s, pred %s: %w", *gtJSON, *predJSON, err)
			}
			slog.Debug("panoptic evaluated", "images", len(res.PerImage), "elapsed", time.Since(start))
			if *asJSON {
				ref := res.Reference(map[string]any{
					"gt":     *gtJSON + " + " + *gtDir,
					"pred":   *predJSON + " + " + *predDir,
					"images": len(res.PerImage),
				})
				return printJSON(stdout, ref)
			}
			fmt.Fprintf(stdout, "panoptic: %d images, gt %s, pred %s\n\n", len(res.PerImage), *gtJSON, *predJSON)
			return res.WriteTable(stdout)
		},
	}
}
