package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"rewardvision/internal/atomicfile"
	"rewardvision/internal/cli"
	"rewardvision/train"
)

const trainPlotHelp = `Draws a run's log.jsonl (written by 'train mle') as an SVG line chart: the
training loss against the step (the logged values, thin, and their centred
moving mean over 10 logged points, thick), every validation metric against
the step (headline metric first) and, for detection, the predicted boxes per
validation image. --log may name the log or the run folder holding it.
Steps that a resumed run logged again replace the earlier lines. The SVG is
written atomically (--out - writes it to stdout). 'train ship' writes the
same chart as curve.svg beside the shipped weights.`

func trainPlotCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "plot",
		Short: "draw a run's log.jsonl (loss and validation metrics) as an SVG chart",
		Long:  trainPlotHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("train plot", "rewardvision train plot --log FILE|DIR --out FILE.svg [--title T]\n\n"+trainPlotHelp)
			logPath := fs.String("log", "", "", "the run's log.jsonl, or the run folder holding it")
			out := fs.String("out", "", "", "SVG file to write (- for stdout)")
			title := fs.String("title", "", "", "figure title (default: the name of the log's folder)")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			if *logPath == "" || *out == "" {
				return cli.Usagef("train plot: --log and --out are required (see --help)")
			}
			path := *logPath
			if st, err := os.Stat(path); err == nil && st.IsDir() {
				path = filepath.Join(path, train.LogFile)
			}
			if li, err := os.Stat(path); err == nil {
				if oi, err := os.Stat(*out); err == nil && os.SameFile(li, oi) {
					return cli.Usagef("train plot: --out %s is the log itself; write the SVG elsewhere", *out)
				}
			}
			var svg bytes.Buffer
			if err := train.PlotLog(path, *title, &svg); err != nil {
				return err
			}
			if *out == "-" {
				_, err := stdout.Write(svg.Bytes())
				return err
			}
			if err := atomicfile.WriteBytes(*out, svg.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s (%d bytes) from %s\n", *out, svg.Len(), path)
			return nil
		},
	}
}
