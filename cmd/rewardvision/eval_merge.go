package main

import (
	"context"
	"io"
	"log/slog"

	"rewardvision/eval/batch"
	"rewardvision/internal/cli"
)

const evalMergeHelp = `Joins the run folders of a sharded 'eval run' (--shard i/N for every i) into
DIR and scores them: the metrics, bootstrap intervals and report are exactly
those of a single unsharded run with the same flags.`

func evalMergeCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "merge",
		Short: "join the shard folders of a sharded eval run and score them",
		Long:  evalMergeHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("eval merge", "rewardvision eval merge SHARD_DIR... --out DIR [flags]\n\n"+evalMergeHelp)
			out := fs.String("out", "RV_OUT", "", "merged run folder")
			resamples := fs.Int("resamples", "", 1000, "bootstrap resamples for the A/B intervals")
			seed := fs.Int("seed", "RV_SEED", 1, "bootstrap seed")
			dirs, err := fs.ParseMixed(args)
			if err != nil {
				return err
			}
			switch {
			case *out == "":
				return cli.Usagef("eval merge: --out is required")
			case len(dirs) == 0:
				return cli.Usagef("eval merge: name the shard folders")
			case *resamples < 1 || *seed < 0:
				return cli.Usagef("eval merge: --resamples ≥ 1 and --seed ≥ 0")
			}
			info, err := batch.Merge(dirs, *out)
			if err != nil {
				return err
			}
			slog.Info("merged", "shards", len(dirs), "out", *out)
			return finishRun(stdout, *out, info, nil, batch.ABOptions{Resamples: *resamples, Seed: uint64(*seed)})
		},
	}
}
