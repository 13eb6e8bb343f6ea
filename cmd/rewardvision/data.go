package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"rewardvision/dataset/shapes"
	"rewardvision/dataset/stats"
	"rewardvision/internal/cli"
)

const dataGenHelp = `Writes one split of the synthetic shapes world in COCO formats: images/ (RGB
PNG), gray/ (grayscale copies for colorization), instances.json (RLE masks,
iscrowd=1 dense groups), panoptic.json + panoptic/ (things and stuff, void on
stuff borders) and captions.json (5 references per image). The same --seed,
--split, --n and difficulty give byte-identical files, whatever --workers.
Difficulty flags override --config, which overrides --preset; see
--print-config for the effective values.

The split is written into a folder beside --out and renamed into place only
when complete: a failed run (a full disk, Ctrl-C) leaves --out as it was and
nothing else behind. An existing --out is replaced if it is empty or a split
(it has instances.json); any other folder is refused.`

// genFlags are the difficulty flags of data gen, each bound to a field of
// shapes.Config.
type genFlags struct {
	fs   *cli.FlagSet
	cfg  shapes.Config
	sets []func(*shapes.Config)
}

func (g *genFlags) intFlag(name string, field func(*shapes.Config) *int, help string) {
	overrideIfSet(g, name, g.fs.Int(name, "", *field(&g.cfg), help), field)
}

func (g *genFlags) floatFlag(name string, field func(*shapes.Config) *float64, help string) {
	overrideIfSet(g, name, g.fs.Float64(name, "", *field(&g.cfg), help), field)
}

func (g *genFlags) boolFlag(name string, field func(*shapes.Config) *bool, help string) {
	overrideIfSet(g, name, g.fs.Bool(name, "", *field(&g.cfg), help), field)
}

// overrideIfSet makes flag name's value p replace field, when the flag is
// given, after the preset and --config have been applied.
func overrideIfSet[T any](g *genFlags, name string, p *T, field func(*shapes.Config) *T) {
	g.sets = append(g.sets, func(c *shapes.Config) {
		if g.isSet(name) {
			*field(c) = *p
		}
	})
}

func (g *genFlags) isSet(name string) bool {
	set := false
	g.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func dataGenCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "gen",
		Short: "generate a split of the synthetic shapes world (detection, panoptic, captions, colorization)",
		Long:  dataGenHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("data gen", "rewardvision data gen --out DIR --n N [--seed S] [--split train|val] [--size 64] [difficulty flags]\n\n"+dataGenHelp)
			out := fs.String("out", "", "", "output folder (created if missing)")
			n := fs.Int("n", "", 0, "number of images")
			seed := fs.Int("seed", "", 0, "random seed")
			split := fs.String("split", "", "train", "split name, train, val or test (part of each image's seed)")
			workers := fs.Int("workers", "RV_WORKERS", 0, "images made at once (0: one per CPU); never changes the output")
			preset := fs.String("preset", "", "full", "starting world: "+strings.Join(shapes.PresetNames(), ", ")+" (the reduced worlds the shipped models train on; see the README)")
			configPath := fs.String("config", "", "", "JSON file with a shapes config (see --print-config)")
			printConfig := fs.Bool("print-config", "", false, "print the effective config as JSON and exit")
			force := fs.Bool("force", "", false, "replace a split already in --out")
			asJSON := fs.Bool("json", "", false, "print the summary as JSON")
			g := &genFlags{fs: fs, cfg: shapes.DefaultConfig()}
			g.intFlag("size", func(c *shapes.Config) *int { return &c.Size }, "image side in pixels")
			g.intFlag("min-objects", func(c *shapes.Config) *int { return &c.MinObjects }, "fewest objects per image")
			g.intFlag("max-objects", func(c *shapes.Config) *int { return &c.MaxObjects }, "most objects per image")
			g.floatFlag("min-size", func(c *shapes.Config) *float64 { return &c.MinObjectSize }, "smallest object diameter, fraction of the image side")
			g.floatFlag("max-size", func(c *shapes.Config) *float64 { return &c.MaxObjectSize }, "largest object diameter, fraction of the image side")
			g.floatFlag("occlusion", func(c *shapes.Config) *float64 { return &c.MaxOcclusion }, "largest hidden fraction of an object")
			g.intFlag("min-visible", func(c *shapes.Config) *int { return &c.MinVisiblePixels }, "smallest visible object area in pixels")
			g.floatFlag("crowd-prob", func(c *shapes.Config) *float64 { return &c.CrowdProb }, "chance of a dense iscrowd=1 group in an image")
			g.floatFlag("rotation", func(c *shapes.Config) *float64 { return &c.MaxRotation }, "largest rotation in degrees")
			g.floatFlag("color-jitter", func(c *shapes.Config) *float64 { return &c.ColorJitter }, "object colour jitter in 8-bit levels")
			g.floatFlag("contrast", func(c *shapes.Config) *float64 { return &c.MinContrast }, "least RGB distance between an object and the background")
			g.floatFlag("texture", func(c *shapes.Config) *float64 { return &c.Texture }, "background texture strength (0: flat)")
			g.floatFlag("lighting", func(c *shapes.Config) *float64 { return &c.Lighting }, "brightness gradient strength")
			g.floatFlag("noise", func(c *shapes.Config) *float64 { return &c.Noise }, "pixel noise amplitude in 8-bit levels")
			g.intFlag("max-stuff", func(c *shapes.Config) *int { return &c.MaxStuff }, "most background regions (1-3)")
			g.floatFlag("void-border", func(c *shapes.Config) *float64 { return &c.VoidBorder }, "half-width in pixels of the panoptic void band between background regions")
			g.boolFlag("class-colors", func(c *shapes.Config) *bool { return &c.ClassColors }, "draw the i-th class of --shapes in the i-th colour of --colors whatever --contrast says, so colour tells the class (distinct colours, at least one per class)")
			shapeList := fs.String("shapes", "", "", "comma-separated thing classes to draw (default all: "+strings.Join(shapes.ThingNames(), ",")+")")
			colorList := fs.String("colors", "", "", "comma-separated object colours to draw (default all: "+strings.Join(shapes.ColorNames(), ",")+")")
			stuffList := fs.String("stuff", "", "", "comma-separated background kinds to draw, with --max-stuff 1 (default all: "+strings.Join(shapes.StuffNames(), ",")+")")
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			if *workers < 0 {
				return cli.Usagef("data gen: --workers %d: want ≥ 0 (0: one per CPU)", *workers)
			}
			if _, err := shapes.Preset(*preset); err != nil {
				return cli.Usagef("data gen: %v", err)
			}
			cfg, err := shapes.LoadConfig(*preset, *configPath)
			if err != nil {
				return err
			}
			for _, set := range g.sets {
				set(&cfg)
			}
			for _, l := range []struct {
				flag string
				val  *string
				dst  *[]string
			}{{"shapes", shapeList, &cfg.Shapes}, {"colors", colorList, &cfg.Colors}, {"stuff", stuffList, &cfg.Stuff}} {
				if g.isSet(l.flag) {
					if *l.dst, err = cli.SplitList(l.flag, *l.val); err != nil {
						return cli.Usagef("data gen: %v", err)
					}
				}
			}
			if err := cfg.Validate(); err != nil {
				return cli.Usagef("data gen: %v", err)
			}
			if *printConfig {
				return printJSON(stdout, cfg)
			}
			switch {
			case *out == "":
				return cli.Usagef("data gen: --out is required (see --help)")
			case *n <= 0:
				return cli.Usagef("data gen: --n must be positive, got %d", *n)
			case *split != "train" && *split != "val" && *split != "test":
				return cli.Usagef("data gen: --split %q: want train, val or test", *split)
			}
			if err := prepareOut(*out, *force); err != nil {
				return err
			}
			p := cli.NewProgress("data gen", *n, stderr, cli.IsTerminal(stderr), slog.Default())
			start := time.Now()
			sum, err := shapes.Generate(ctx, cfg, shapes.Options{
				Out: *out, N: *n, Seed: int64(*seed), Split: *split, Workers: *workers, Progress: p.Add,
			})
			if err != nil {
				return fmt.Errorf("data gen: %w", err)
			}
			p.Done()
			el := time.Since(start)
			if sum.BelowMinObjects > 0 {
				// Objects that do not fit or stay under --min-visible are
				// dropped, not redrawn: say how far the split fell short.
				slog.Warn("images below --min-objects", "images", sum.BelowMinObjects, "of", sum.Images, "min_objects", cfg.MinObjects,
					"hint", "lower --min-visible or --min-size, or raise --size")
			}
			if *asJSON {
				return printJSON(stdout, map[string]any{"out": *out, "summary": sum, "seconds": el.Seconds(),
					"images_per_second": float64(sum.Images) / el.Seconds(), "config": cfg})
			}
			fmt.Fprintf(stdout, "wrote %d images (%d objects, %d crowd regions, %d stuff segments, %d captions) to %s in %s (%.0f images/s)\n",
				sum.Images, sum.Objects, sum.Crowds, sum.StuffRegion, sum.Captions, *out, el.Round(time.Millisecond), float64(sum.Images)/el.Seconds())
			return nil
		},
	}
}

// prepareOut refuses to mix two splits in one folder unless force, which
// removes the old split's files first.
func prepareOut(out string, force bool) error {
	names := []string{shapes.ImagesDir, shapes.GrayDir, shapes.PanopticDir, shapes.InstancesFile, shapes.PanopticFile, shapes.CaptionsFile}
	var found []string
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			found = append(found, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if len(found) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%s already holds a split (%s); use --force to replace it", out, strings.Join(found, ", "))
	}
	for _, name := range found {
		if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
			return err
		}
	}
	return nil
}

const dataStatsHelp = `Summarises a split: objects per class, object sizes (COCO small/medium/large
and a histogram of sqrt(area)), objects per image, panoptic segments and void,
caption lengths and vocabulary. DIR is a folder in the layout of data gen;
--instances, --panoptic and --captions name files directly (they override the
folder's).`

func dataStatsCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Short: "summarise a COCO-format split (classes, sizes, objects per image, captions)",
		Long:  dataStatsHelp,
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("data stats", "rewardvision data stats [DIR] [--instances F] [--panoptic F] [--captions F] [--json]\n\n"+dataStatsHelp)
			limits := addInputLimits(fs, true, false)
			inst := fs.String("instances", "", "", "COCO instances JSON")
			pan := fs.String("panoptic", "", "", "COCO panoptic JSON")
			caps := fs.String("captions", "", "", "COCO captions JSON")
			asJSON := fs.Bool("json", "", false, "print JSON")
			dirs, err := fs.ParseMixed(args)
			if err != nil {
				return err
			}
			if err := limits(); err != nil {
				return err
			}
			var files stats.Files
			switch len(dirs) {
			case 0:
			case 1:
				f, err := stats.SplitFiles(dirs[0])
				if err != nil {
					return err
				}
				files = f
			default:
				return cli.Usagef("data stats takes one folder, got %q", dirs)
			}
			for _, o := range []struct{ src, dst *string }{{inst, &files.Instances}, {pan, &files.Panoptic}, {caps, &files.Captions}} {
				if *o.src != "" {
					*o.dst = *o.src
				}
			}
			if files == (stats.Files{}) {
				return cli.Usagef("data stats: give a folder or at least one of --instances, --panoptic, --captions")
			}
			st, err := stats.Compute(files)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(stdout, st)
			}
			return st.WriteText(stdout)
		},
	}
}
