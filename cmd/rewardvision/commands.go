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
		},
	}
}
