package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"rewardvision/dataset/loader"
	"rewardvision/internal/cli"
)

const dataCheckHelp = `Reads a split with the loader training uses (instances.json, panoptic.json
and captions.json cross-checked, then every image decoded, and every panoptic
PNG, which training does not read) and reports the images, annotations and
problems found. Without --skip-bad the
first problem (a missing or corrupt image, an annotation of an unknown image,
...) is an error naming the file and the record, exit code 1. With --skip-bad
each problem is a warning, the bad record is skipped and the summary counts
what was skipped; train mle --skip-bad skips bad records the same way.`

// checkSize is the letterbox side the check decodes to; any size reads
// every byte of the files, this one keeps the work small.
const checkSize = 64

// checkSummary is what data check prints (--json).
type checkSummary struct {
	Dir                 string       `json:"dir"`
	Images              int          `json:"images"`               // records in instances.json
	Annotations         int          `json:"annotations"`          // records in instances.json
	PanopticAnnotations int          `json:"panoptic_annotations"` // records in panoptic.json
	Captions            int          `json:"captions"`             // records in captions.json
	ImagesChecked       int          `json:"images_checked"`       // records whose files were read
	ImagesOK            int          `json:"images_ok"`            // image files decoded without error
	PanopticPNGsOK      int          `json:"panoptic_pngs_ok"`     // panoptic PNGs decoded without error
	Skipped             checkSkipped `json:"skipped"`
	Problems            int          `json:"problems"` // skipped records, all kinds together
	SkipBad             bool         `json:"skip_bad"`
	Seconds             float64      `json:"seconds"`
}

type checkSkipped struct {
	ImageFiles            int `json:"image_files"`             // missing or undecodable image or panoptic PNG
	ImageRecords          int `json:"image_records"`           // bad images[] entries of instances.json
	Annotations           int `json:"annotations"`             // annotations of unknown images or categories, bad boxes or masks
	PanopticRecords       int `json:"panoptic_records"`        // bad images[] or annotations[] entries of panoptic.json
	ImagesWithoutPanoptic int `json:"images_without_panoptic"` // images dropped for lacking a panoptic annotation
	Captions              int `json:"captions"`                // captions of unknown images
}

func (s checkSkipped) total() int {
	return s.ImageFiles + s.ImageRecords + s.Annotations + s.PanopticRecords + s.ImagesWithoutPanoptic + s.Captions
}

func dataCheckCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Short: "read a split as training does and report missing, corrupt or dangling records",
		Long:  dataCheckHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("data check", "rewardvision data check DIR [--skip-bad] [--workers N] [--json]\n\n"+dataCheckHelp)
			limits := addInputLimits(fs, true, true)
			skipBad := fs.Bool("skip-bad", "", false, "skip bad records with a warning and count them, instead of failing on the first")
			workers := fs.Int("workers", "RV_WORKERS", 2, "image decoding goroutines")
			asJSON := fs.Bool("json", "", false, "print the summary as JSON")
			dirs, err := fs.ParseMixed(args)
			if err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			if len(dirs) != 1 {
				return cli.Usagef("data check takes one split folder, got %q (see --help)", dirs)
			}
			if *workers < 0 {
				return cli.Usagef("data check: --workers must be ≥ 0, got %d", *workers)
			}
			sum, err := checkSplit(ctx, dirs[0], *skipBad, *workers, stderr, slog.Default())
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(stdout, sum)
			}
			writeCheckSummary(stdout, sum)
			return nil
		},
	}
}

// checkSplit loads dir as training does (loader.LoadSplitCounts, then an
// iterator over every record, panoptic PNGs included) and counts what it
// read and skipped.
func checkSplit(ctx context.Context, dir string, skipBad bool, workers int, stderr io.Writer, log *slog.Logger) (checkSummary, error) {
	start := time.Now()
	sum := checkSummary{Dir: dir, SkipBad: skipBad}
	if _, err := os.Stat(filepath.Join(dir, "instances.json")); err != nil {
		return sum, fmt.Errorf("data check: %s is not a split folder (want instances.json and images/ from `rewardvision data gen`): %w", dir, err)
	}
	hint := func(err error) error {
		return fmt.Errorf("data check: %w (--skip-bad skips bad records with a warning)", err)
	}
	recs, n, err := loader.LoadSplitCounts(dir, skipBad, log)
	if err != nil {
		if skipBad {
			return sum, fmt.Errorf("data check: %w", err)
		}
		return sum, hint(err)
	}
	sum.Images, sum.Annotations, sum.PanopticAnnotations, sum.Captions = n.Images, n.Annotations, n.PanopticAnnotations, n.Captions
	sum.Skipped = checkSkipped{
		ImageRecords: n.SkippedImages, Annotations: n.SkippedAnnotations, PanopticRecords: n.SkippedPanoptic,
		ImagesWithoutPanoptic: n.SkippedNoPanoptic, Captions: n.SkippedCaptions,
	}
	it, err := loader.New(ctx, recs, loader.Config{Size: checkSize, Workers: workers, SkipBad: skipBad, Logger: log})
	if err != nil {
		return sum, err
	}
	defer it.Close()
	sum.ImagesChecked = len(recs)
	p := cli.NewProgress("data check", len(recs), stderr, cli.IsTerminal(stderr), log)
	done := 0
	for {
		s, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			return sum, hint(err)
		}
		sum.ImagesOK++
		if s.Panoptic != nil {
			sum.PanopticPNGsOK++
		}
		now := sum.ImagesOK + it.Skipped()
		p.Add(now - done)
		done = now
	}
	if d := sum.ImagesOK + it.Skipped() - done; d > 0 {
		p.Add(d) // records skipped after the last sample
	}
	p.Done()
	sum.Skipped.ImageFiles = it.Skipped()
	sum.Problems = sum.Skipped.total()
	sum.Seconds = time.Since(start).Seconds()
	if sum.Problems > 0 {
		log.Warn("data check skipped bad records", "dir", dir, "problems", sum.Problems)
	}
	return sum, nil
}

func writeCheckSummary(w io.Writer, s checkSummary) {
	fmt.Fprintf(w, "%s: %d images, %d annotations, %d panoptic annotations, %d captions\n",
		s.Dir, s.Images, s.Annotations, s.PanopticAnnotations, s.Captions)
	fmt.Fprintf(w, "checked %d images in %.2f s: %d decoded, %d panoptic PNGs decoded\n", s.ImagesChecked, s.Seconds, s.ImagesOK, s.PanopticPNGsOK)
	if s.Problems == 0 {
		fmt.Fprintln(w, "problems: 0")
		return
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.Skipped.ImageFiles, "missing or corrupt image files"},
		{s.Skipped.ImageRecords, "bad image records"},
		{s.Skipped.Annotations, "bad annotations"},
		{s.Skipped.PanopticRecords, "bad panoptic records"},
		{s.Skipped.ImagesWithoutPanoptic, "images without panoptic annotation"},
		{s.Skipped.Captions, "captions of unknown images"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.what, c.n))
		}
	}
	fmt.Fprintf(w, "problems: %d skipped (%s)\n", s.Problems, strings.Join(parts, ", "))
}
