package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"rewardvision/internal/buildinfo"
	"rewardvision/internal/cli"
	"rewardvision/models/export"
	"rewardvision/models/ortrun"
	"rewardvision/models/task"
)

const exportHelp = `Exports a training checkpoint (GoMLX weights + meta.json, as written by
'rewardvision train') into a model repository entry REPO/NAME/VERSION/:
model.json (task, input normalisation, token layout, labels, decoding
defaults, provenance, graphs by role), encoder.onnx, decoder_step.onnx (KV
cache with a growing sequence axis) and, for captioning, vocab.json. The
graphs are traced from the same GoMLX code that trains the model.

An existing entry is refused unless --force. --verify then runs the entry in
ONNX Runtime and the checkpoint in GoMLX on a few generated shapes images and
prints the largest |logit difference| and whether greedy decoding agrees
token for token, with the decoded boxes or captions; it exits 1 when the
difference exceeds 1e-4 or any token differs.`

func exportCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Short: "export a checkpoint to an ONNX model repository entry (model.json + ONNX graphs)",
		Long:  exportHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("export", "rewardvision export --ckpt DIR --repo REPO [--name N] [--version V] [--variant mle|reward] [--force] [--verify]\n\n"+exportHelp)
			ckpt := fs.String("ckpt", "", "", "checkpoint directory (GoMLX checkpoint and meta.json)")
			repoDir := fs.String("repo", "RV_MODEL_REPO", "", "model repository root")
			name := fs.String("name", "", "", "entry name (default <task>-<variant>)")
			version := fs.Int("version", "", 1, "entry version (≥ 1)")
			variant := fs.String("variant", "", "", "mle or reward (default: the checkpoint's)")
			force := fs.Bool("force", "", false, "replace an existing entry")
			verify := fs.Bool("verify", "", false, "compare ONNX Runtime with GoMLX on generated images; exit 1 on a mismatch")
			images := fs.Int("verify-images", "", 4, "images decoded by --verify")
			threads := fs.Int("threads", "", 0, "ONNX Runtime intra-op threads for --verify (0: one per core)")
			of := addORTFlags(fs)
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			switch {
			case *ckpt == "" || *repoDir == "":
				return cli.Usagef("export: --ckpt and --repo are required (see --help)")
			case *version < 1:
				return cli.Usagef("export: --version %d: want ≥ 1", *version)
			case *variant != "" && *variant != task.MLE && *variant != task.Reward:
				return cli.Usagef("export: --variant %q: want %s or %s", *variant, task.MLE, task.Reward)
			case *name != "" && (filepath.Base(*name) != *name || !filepath.IsLocal(*name)):
				return cli.Usagef("export: --name %q: want a plain directory name", *name)
			case *images < 1 || *images > 64:
				return cli.Usagef("export: --verify-images %d: want 1..64", *images)
			case *threads < 0:
				return cli.Usagef("export: --threads %d: want ≥ 0", *threads)
			case !*verify && (fs.Given("device") || fs.Given("ort-lib") || fs.Given("threads") || fs.Given("verify-images")):
				return cli.Usagef("export: --device, --ort-lib, --threads and --verify-images apply to --verify only")
			}
			// Load ONNX Runtime before the (slower) export, so a missing
			// library fails fast.
			var rt *ortrun.Runtime
			var dev ortrun.Device
			if *verify {
				var err error
				if rt, dev, err = of.open(); err != nil {
					return err
				}
			}
			start := time.Now()
			res, err := export.FromCheckpoint(export.Options{Checkpoint: *ckpt, Repo: *repoDir, Name: *name,
				Version: *version, Variant: *variant, Force: *force, Commit: buildinfo.Revision()})
			if err != nil {
				return err
			}
			m := res.Manifest
			var files []string
			roles := make([]string, 0, len(m.Graphs))
			for role := range m.Graphs {
				roles = append(roles, role)
			}
			sort.Strings(roles)
			for _, role := range roles {
				g := m.Graphs[role]
				files = append(files, fmt.Sprintf("%s %.2f MB", g.File, float64(g.Bytes)/1e6))
			}
			fmt.Fprintf(stdout, "exported %s %s (%s, %d parameters) to %s: %s; %.2fs (load %.2fs, trace %.2fs, write %.2fs)\n",
				m.Task, m.Variant, m.Name, m.Architecture.ParamCount(), res.Dir, strings.Join(files, ", "),
				time.Since(start).Seconds(), res.Load.Seconds(), res.Trace.Seconds(), res.Write.Seconds())
			if !*verify {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rep, err := export.Verify(res.Dir, res.Model, rt, export.VerifyOptions{Images: *images, Device: dev, Threads: *threads})
			if err != nil {
				return err
			}
			return printVerify(stdout, rep)
		},
	}
}

func printVerify(w io.Writer, rep *export.Report) error {
	agree := "yes"
	var differ []string
	for _, ic := range rep.Images {
		if !ic.TokensAgree {
			differ = append(differ, fmt.Sprint(ic.Index))
		}
	}
	if !rep.TokensAgree {
		agree = "no (images " + strings.Join(differ, ", ") + ")"
	}
	fmt.Fprintf(w, "verify: %d images, %d decoder steps: max |logit diff| %.3g (encoder outputs %.3g, tolerance %g); greedy tokens agree: %s; ORT %.0f ms, GoMLX %.0f ms\n",
		len(rep.Images), rep.Steps, rep.MaxLogitDiff, rep.MaxCrossDiff, export.Tolerance, agree,
		float64(rep.ORT.Microseconds())/1e3, float64(rep.GoMLX.Microseconds())/1e3)
	if rep.CodeDiff >= 0 {
		what := fmt.Sprintf("max |chroma diff| %.3g (tolerance %g)", rep.CodeDiff, export.Tolerance)
		if rep.Panoptic {
			what = fmt.Sprintf("%.0f pixels with another label", rep.CodeDiff)
		}
		fmt.Fprintf(w, "verify: code decoder, ORT against GoMLX on the greedy codes: %s\n", what)
	}
	for _, ic := range rep.Images {
		if ic.TokensAgree {
			fmt.Fprintf(w, "  image %d: %d tokens, same; %s\n", ic.Index, len(ic.ORTTokens), ic.ORTDecoded)
			continue
		}
		fmt.Fprintf(w, "  image %d: DIFFERENT\n    ORT   %v %s\n    GoMLX %v %s\n", ic.Index, ic.ORTTokens, ic.ORTDecoded, ic.GoTokens, ic.GoDecoded)
	}
	if !rep.OK() {
		code := ""
		switch {
		case rep.Panoptic:
			code = fmt.Sprintf(", code decoder: %.0f pixels with another label", rep.CodeDiff)
		case rep.CodeDiff >= 0:
			code = fmt.Sprintf(", code decoder %.3g", rep.CodeDiff)
		}
		return fmt.Errorf("verify failed: max |logit diff| %.3g (encoder %.3g%s, tolerance %g), greedy tokens agree: %s",
			rep.MaxLogitDiff, rep.MaxCrossDiff, code, export.Tolerance, agree)
	}
	fmt.Fprintln(w, "verify: OK")
	return nil
}
