package main

import (
	"io"

	"rewardvision/internal/cli"
)

// rootCommand registers every subcommand of the binary, in one place.
func rootCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name: "rewardvision",
		Long: rootHelp,
		Subs: []*cli.Command{
			versionCommand(stdout),
			serveCommand(stdout),
			predictCommand(stdout),
			benchCommand(stdout),
			trainCommand(stdout, stderr),
			exportCommand(stdout),
			{
				Name:  "eval",
				Short: "score predictions with the standard benchmarks (COCO mAP, PQ, captions, colorfulness)",
				Subs: []*cli.Command{
					// one line per evaluator, e.g. evalCOCOCommand(stdout, stderr),
					evalCOCOCommand(stdout, stderr),
					evalCaptionsCommand(stdout),
					evalPanopticCommand(stdout, stderr),
					evalColorfulnessCommand(stdout),
					evalRunCommand(stdout, stderr),
					evalMergeCommand(stdout),
				},
			},
			{
				Name:  "data",
				Short: "generate the synthetic shapes world and inspect COCO-format datasets",
				Subs: []*cli.Command{
					// one line per data subcommand, e.g. dataGenCommand(stdout, stderr),
					dataGenCommand(stdout, stderr),
					dataStatsCommand(stdout),
					dataCheckCommand(stdout, stderr),
				},
			},
		},
	}
}
