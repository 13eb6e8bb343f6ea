package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rewardvision/eval/captions"
	"rewardvision/internal/cli"
)

// captionsReport is what `eval captions --json` prints: the keys of the
// pycocoevalcap fixtures' expected.json, with meta describing this tool.
type captionsReport struct {
	BLEU1    float64            `json:"BLEU-1"`
	BLEU2    float64            `json:"BLEU-2"`
	BLEU3    float64            `json:"BLEU-3"`
	BLEU4    float64            `json:"BLEU-4"`
	ROUGEL   float64            `json:"ROUGE-L"`
	CIDErD   float64            `json:"CIDEr-D"`
	PerImage map[string]float64 `json:"per_image_CIDEr-D"`
	Meta     captionsMeta       `json:"meta"`
}

// captionsMeta says how the scores were made (the fixtures' meta names the
// Python tool and its versions; ours names this implementation instead).
type captionsMeta struct {
	Implementation string   `json:"implementation"`
	Reference      string   `json:"reference"`
	Tokenizer      string   `json:"tokenizer"`
	NotComputed    []string `json:"not_computed"`
	Images         int      `json:"images"`
	Refs           string   `json:"refs"`
	Preds          []string `json:"preds"`
}

const evalCaptionsHelp = `Scores one predicted caption per image against the reference captions with
BLEU-1..4, ROUGE-L and CIDEr-D, as pycocoevalcap 1.2 (coco-caption) does: captions
are tokenized like its PTBTokenizer step (Stanford PTBTokenizer 3.4.1), CIDEr-D
document frequencies come from the references of the scored images. As in
pycocoevalcap, only the images with a prediction are scored: reference images
without one are left out with a warning, and so are reference annotations of
images missing from "images" (--strict refuses both). A prediction
for an image without references, or two for one image, is an error. METEOR and
SPICE are not computed.

--refs is a COCO captions annotation file {"images", "annotations": [{"image_id",
"caption"}]}; --preds a COCO results file [{"image_id", "caption"}].
--tokenize FILE prints the tokens scored for each line of FILE (one caption per
line, "-" for stdin), space-separated, one line each, and scores nothing. Each
line is read as if the next caption began with "A " (the few rules that look
past a line's end; evaluation uses the real neighbours).`

func evalCaptionsCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "captions",
		Short: "BLEU-1..4, ROUGE-L and CIDEr-D of COCO caption results (pycocoevalcap semantics)",
		Long:  evalCaptionsHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval captions", "rewardvision eval captions --refs F --preds F [--json] [--strict]\n       rewardvision eval captions --tokenize FILE\n\n"+evalCaptionsHelp)
			limits := addInputLimits(fs, true, false)
			refsPath := fs.String("refs", "", "", "COCO captions annotation file (reference captions)")
			predsPath := fs.String("preds", "", "", "COCO captions results file (one prediction per image)")
			asJSON := fs.Bool("json", "", false, "print JSON with the keys of pycocoevalcap's expected.json")
			strict := fs.Bool("strict", strictEnv, false, "refuse reference images without a prediction instead of leaving them out")
			tokenize := fs.String("tokenize", "", "", "print the tokens of each line of this file (\"-\": stdin) and exit")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			if *tokenize != "" {
				if *refsPath != "" || *predsPath != "" {
					return cli.Usagef("eval captions: --tokenize takes no --refs or --preds")
				}
				// It prints tokens and scores nothing: the scoring flags
				// would be ignored (RV_EVAL_STRICT, set for every
				// evaluator, is not refused).
				for _, f := range []string{"json", "strict", "max-json-mb"} {
					if fs.OnCommandLine(f) {
						return cli.Usagef("eval captions: --%s has no effect with --tokenize %s (it prints tokens and scores nothing)", f, *tokenize)
					}
				}
				return tokenizeLines(stdout, *tokenize)
			}
			if *refsPath == "" || *predsPath == "" {
				return cli.Usagef("eval captions: --refs and --preds are required (see --help)")
			}
			start := time.Now()
			rf, err := captions.LoadRefsFile(*refsPath, *strict)
			if err != nil {
				return err
			}
			if n := len(rf.Unlisted); n > 0 {
				slog.Warn("reference annotations of images missing from \"images\" are ignored, as pycocotools does (--strict refuses them)",
					"images", n, "first", rf.Unlisted[:min(5, n)], "refs", *refsPath)
			}
			refs := rf.Refs
			preds, err := captions.LoadPreds(*predsPath)
			if err != nil {
				return err
			}
			if !*strict {
				var left []int
				if refs, left = captions.PredictedOnly(refs, preds); len(left) > 0 {
					slog.Warn("reference images without a prediction are not scored, as in pycocoevalcap (--strict refuses them)",
						"images", len(left), "first", left[:min(5, len(left))], "refs", *refsPath)
				}
			}
			// Tokenized in pycocoevalcap's order: whether a caption's
			// last period stays can depend on the next caption.
			res, err := captions.EvaluateOrdered(refs, preds, rf.Order)
			if err != nil {
				return fmt.Errorf("evaluate %s against %s: %w", *predsPath, *refsPath, err)
			}
			slog.Debug("captions evaluated", "images", len(res.PerImageCIDErD), "elapsed", time.Since(start))
			if *asJSON {
				return writeCaptionsJSON(stdout, res, *refsPath, *predsPath)
			}
			return writeCaptionsTable(stdout, res, *refsPath, *predsPath)
		},
	}
}

// tokenizeLines writes the tokens of every line of path ("-": stdin), as
// pycocoevalcap scores them, one line each.
func tokenizeLines(w io.Writer, path string) error {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("tokenize: %w", err)
		}
		defer f.Close()
		r = f
	}
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		bw.WriteString(strings.Join(captions.Tokenize(sc.Text()), " "))
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tokenize %s: %w", path, err)
	}
	return bw.Flush()
}

func writeCaptionsJSON(w io.Writer, res *captions.Result, refs, preds string) error {
	rep := captionsReport{
		BLEU1: res.BLEU[0], BLEU2: res.BLEU[1], BLEU3: res.BLEU[2], BLEU4: res.BLEU[3],
		ROUGEL: res.ROUGEL, CIDErD: res.CIDErD,
		PerImage: make(map[string]float64, len(res.PerImageCIDErD)),
		Meta: captionsMeta{
			Implementation: "rewardvision eval/captions (Go)",
			Reference: "pycocoevalcap 1.2 semantics: Bleu(4) option='closest', Rouge (beta=1.2), " +
				"Cider (= CIDEr-D: sigma=6, clipped, x10, idf from the refs of this corpus)",
			Tokenizer:   "port of Stanford PTBTokenizer 3.4.1 (-preserveLines -lowerCase), pycocoevalcap punctuation removed",
			NotComputed: []string{"METEOR", "SPICE"},
			Images:      len(res.PerImageCIDErD),
			Refs:        refs,
			Preds:       []string{preds},
		},
	}
	for id, v := range res.PerImageCIDErD {
		rep.PerImage[strconv.Itoa(id)] = v
	}
	return printJSON(w, rep)
}

func writeCaptionsTable(w io.Writer, res *captions.Result, refs, preds string) error {
	fmt.Fprintf(w, "captions: %d images, refs %s, preds %s\n\n", len(res.PerImageCIDErD), refs, preds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tscore")
	for k, b := range res.BLEU {
		fmt.Fprintf(tw, "BLEU-%d\t%.6f\n", k+1, b)
	}
	fmt.Fprintf(tw, "ROUGE-L\t%.6f\n", res.ROUGEL)
	fmt.Fprintf(tw, "CIDEr-D\t%.6f\n", res.CIDErD)
	if err := tw.Flush(); err != nil {
		return err
	}
	// The weakest images are where a reader looks first.
	ids := make([]int, 0, len(res.PerImageCIDErD))
	for id := range res.PerImageCIDErD {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int) int {
		if c := cmp.Compare(res.PerImageCIDErD[a], res.PerImageCIDErD[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	fmt.Fprint(w, "\nlowest per-image CIDEr-D:")
	for _, id := range ids[:min(5, len(ids))] {
		fmt.Fprintf(w, " %d (%.3f)", id, res.PerImageCIDErD[id])
	}
	_, err := fmt.Fprintln(w, "\nMETEOR and SPICE: not computed (they need the Java reference tools)")
	return err
}
