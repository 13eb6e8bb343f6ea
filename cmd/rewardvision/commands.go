package main

import (
	"io"

	"rewardvision/internal/cli"
)

// rootCommand registers every subcommand of the binary, in one place.
func rootCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name: "rewardvision",
		Long: rootHelp,
		Subs: []*cli.Command{
			versionCommand(stdout),
			serveCommand(stdout),
			predictCommand(stdout),
			benchCommand(stdout),
			trainCommand(stdout),
			exportCommand(stdout),
			{
				Name:  "eval",
				Short: "score predictions with the standard benchmarks (COCO mAP, PQ, captions, colorfulness)",
				Subs: []*cli.Command{
					// one line per evaluator, e.g. evalCOCOCommand(stdout),
					evalCOCOCommand(stdout),
					evalCaptionsCommand(stdout),
					evalPanopticCommand(stdout),
					evalColorfulnessCommand(stdout),
					evalRunCommand(stdout),
					evalMergeCommand(stdout),
				},
			},
			{
				Name:  "data",
				Short: "generate the synthetic shapes world and inspect COCO-format datasets",
				Subs: []*cli.Command{
					// one line per data subcommand, e.g. dataGenCommand(stdout),
					dataGenCommand(stdout),
					dataStatsCommand(stdout),
					dataCheckCommand(stdout),
				},
			},
		},
	}
}
