package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"rewardvision/eval/cocoeval"
	"rewardvision/internal/cli"
)

const evalCOCOHelp = `Computes COCO detection (bbox) or instance segmentation (segm) mAP with the
semantics of pycocotools 2.0.11 COCOeval: the 12 standard stats and AP per
category. --gt is a COCO instances file, --dt a COCO results list; both may be
gzipped. Categories and images are the ground truth's. As in pycocotools,
results of a category the ground truth lacks are left out (with a warning
naming the ids); with --iou-type bbox a result's segmentation is not checked
against its image, and with segm a result whose mask is not its image's size
never matches (a false positive); --strict makes all three errors. A result for an image
the ground truth lacks is an error (pycocotools refuses the file too).

A ground-truth annotation with id 0 is an ordinary annotation here; pycocotools
never matches it (its detection counts as a false positive), so it reports lower
AP on such files: a warning says so, and --pycocotools-id0 reproduces it.

--json prints the keys of the reference fixtures' expected.json for the IoU
type (results_file, stats, per_category_AP, counts, summary_lines). --timing
reports load / evaluate / accumulate / total seconds (on stderr with --json).`

func evalCOCOCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "coco",
		Short: "COCO bbox/segm mAP of detections (pycocotools semantics)",
		Long:  evalCOCOHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval coco", "rewardvision eval coco --gt F --dt F [--iou-type bbox|segm] [--max-dets 1,10,100] [--strict] [--pycocotools-id0] [--json] [--timing]\n\n"+evalCOCOHelp)
			limits := addInputLimits(fs, true, false)
			gtPath := fs.String("gt", "", "", "COCO instances ground-truth JSON (.json or .json.gz)")
			dtPath := fs.String("dt", "", "", "COCO results JSON list (.json or .json.gz)")
			iouType := fs.String("iou-type", "", "bbox", "bbox or segm")
			maxDetsFlag := fs.String("max-dets", "", "1,10,100", "three increasing per-image-and-category detection limits")
			asJSON := fs.Bool("json", "", false, "print JSON with the keys of the fixtures' expected.json")
			timing := fs.Bool("timing", "", false, "print load / evaluate / accumulate / total seconds")
			workers := fs.Int("workers", "RV_WORKERS", 0, "goroutines for matching and accumulation (0: GOMAXPROCS)")
			strict := fs.Bool("strict", strictEnv, false, "refuse results of unknown categories and masks that do not fit their image")
			id0Quirk := fs.Bool("pycocotools-id0", "", false, "never match a ground truth with annotation id 0, as pycocotools does")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			if *gtPath == "" || *dtPath == "" {
				return cli.Usagef("eval coco: --gt and --dt are required (see --help)")
			}
			if *iouType != cocoeval.IoUBBox && *iouType != cocoeval.IoUSegm {
				return cli.Usagef("eval coco: --iou-type %q: want bbox or segm", *iouType)
			}
			maxDets, err := parseMaxDets(*maxDetsFlag)
			if err != nil {
				return cli.Usagef("eval coco: --max-dets %q: %v", *maxDetsFlag, err)
			}
			if *workers < 0 {
				return cli.Usagef("eval coco: --workers %d: want >= 0", *workers)
			}

			start := time.Now()
			gt, dets, rep, err := cocoeval.LoadFilesOptions(*gtPath, *dtPath, cocoeval.LoadOptions{IoUType: *iouType, Strict: *strict})
			if err != nil {
				return err
			}
			loaded := time.Since(start)
			if err := ctx.Err(); err != nil {
				return err
			}
			warnCOCODeviations(gt, rep, *dtPath, *id0Quirk)
			res, err := cocoeval.Evaluate(gt, dets, cocoeval.Params{IoUType: *iouType, MaxDets: maxDets, Workers: *workers,
				PycocotoolsID0Quirk: *id0Quirk, PycocotoolsMaskSizeIoU: !*strict})
			if err != nil {
				return err
			}
			total := time.Since(start)
			slog.Debug("coco evaluated", "images", res.Counts.Images, "detections", res.Counts.Detections, "elapsed", total)

			timingOut := stdout
			if *asJSON {
				timingOut = stderr
				if err := printJSON(stdout, res.Report(filepath.Base(*dtPath))); err != nil {
					return err
				}
			} else {
				writeCOCOTable(stdout, gt, res, *gtPath, *dtPath)
			}
			if *timing {
				fmt.Fprintf(timingOut, "timing: load %.3fs  evaluate %.3fs  accumulate %.3fs  total %.3fs\n",
					loaded.Seconds(), res.Timing.Evaluate.Seconds(),
					(res.Timing.Accumulate + res.Timing.Summarize).Seconds(), total.Seconds())
			}
			return nil
		},
	}
}

// warnCOCODeviations reports what the evaluation leaves out or scores
// differently from pycocotools.
func warnCOCODeviations(gt *cocoeval.GroundTruth, rep *cocoeval.LoadReport, dtPath string, id0Quirk bool) {
	if n := len(rep.UnknownCategories); n > 0 {
		ids := slices.Sorted(maps.Keys(rep.UnknownCategories))
		total := 0
		for _, c := range rep.UnknownCategories {
			total += c
		}
		slog.Warn("results of categories the ground truth lacks are left out, as pycocotools does (--strict refuses them)",
			"results", total, "category_ids", ids, "dt", dtPath)
	}
	if n := rep.MaskSizeMismatches; n > 0 {
		slog.Warn("results whose mask is not their image's size never match, as in pycocotools (IoU -1; --strict refuses them)",
			"results", n, "dt", dtPath)
	}
	id0 := 0
	for i := range gt.Annotations {
		if gt.Annotations[i].ID == 0 {
			id0++
		}
	}
	switch {
	case id0 > 0 && id0Quirk:
		slog.Info("annotation id 0 is never matched, as in pycocotools (--pycocotools-id0)", "annotations", id0)
	case id0 > 0:
		slog.Warn("the ground truth has an annotation with id 0: scored as any other here, while pycocotools never matches it "+
			"(its detection counts as a false positive, lowering AP); --pycocotools-id0 reproduces pycocotools", "annotations", id0)
	}
}

// parseMaxDets reads "1,10,100".
func parseMaxDets(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, fmt.Errorf("want three comma-separated limits")
	}
	out := make([]int, 3)
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("limit %q is not an integer", p)
		}
		if v < 1 || (i > 0 && v <= out[i-1]) {
			return nil, fmt.Errorf("want positive, strictly increasing limits")
		}
		out[i] = v
	}
	return out, nil
}

// writeCOCOTable prints pycocotools' summary and the AP of every category.
func writeCOCOTable(w io.Writer, gt *cocoeval.GroundTruth, res *cocoeval.Result, gtPath, dtPath string) {
	c := res.Counts
	fmt.Fprintf(w, "coco %s: %d images, %d categories, %d ground truths (%d crowd), %d detections\n",
		res.IoUType, c.Images, c.Categories, c.GTAnnotations, c.GTCrowd, c.Detections)
	fmt.Fprintf(w, "gt %s, dt %s\n\n", gtPath, dtPath)
	fmt.Fprint(w, res.Summary())
	fmt.Fprintf(w, "\nPer-category AP @[ IoU=0.50:0.95 | area=all | maxDets=%d ] (-1: no ground truth)\n", res.MaxDets[len(res.MaxDets)-1])
	fmt.Fprintf(w, "%8s  %-24s %8s\n", "id", "name", "AP")
	for _, id := range res.CategoryIDs {
		name := ""
		if cat, ok := gt.Category(id); ok {
			name = cat.Name
		}
		fmt.Fprintf(w, "%8d  %-24s %8.3f\n", id, name, res.PerCategoryAP[id])
	}
}
