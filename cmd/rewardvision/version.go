package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"rewardvision/internal/buildinfo"
	"rewardvision/internal/cli"
	"rewardvision/models/ortrun"
)

// ortFlags are the ONNX Runtime flags shared by every command that runs models.
type ortFlags struct {
	fs     *cli.FlagSet
	lib    *string
	device *string
}

func addORTFlags(fs *cli.FlagSet) ortFlags {
	return ortFlags{fs: fs,
		lib: fs.String("ort-lib", "", "", "path of libonnxruntime.so (default: $"+ortrun.EnvLib+
			", then third_party/onnxruntime, then the system library path)"),
		device: fs.String("device", "RV_DEVICE", "cpu", "execution provider: cpu, cuda, cuda:N, or auto (CUDA if it works, else CPU)"),
	}
}

// open loads ONNX Runtime and resolves the device. A device name that
// does not parse is a usage error naming where it came from.
func (f ortFlags) open() (*ortrun.Runtime, ortrun.Device, error) {
	dev, err := ortrun.ParseDevice(*f.device)
	if err != nil {
		if v, ok := os.LookupEnv("RV_DEVICE"); ok && v == *f.device && !f.fs.Given("device") {
			return nil, dev, cli.Usagef("env RV_DEVICE: %v", err)
		}
		return nil, dev, cli.Usagef("%v", err)
	}
	rt, err := ortrun.Load(*f.lib)
	if err != nil {
		return nil, dev, err
	}
	used, err := rt.CheckDevice(dev)
	return rt, used, err
}

// versionInfo is what `rewardvision version --json` prints.
type versionInfo struct {
	Commit     string   `json:"commit"`
	GoVersion  string   `json:"go_version"`
	ORTVersion string   `json:"onnxruntime_version"`
	ORTPath    string   `json:"onnxruntime_path"`
	ORTSource  string   `json:"onnxruntime_source"`
	Providers  []string `json:"execution_providers"`
	Device     string   `json:"device"`
}

func versionCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Short: "print the build, the ONNX Runtime loaded and its execution providers",
		Run: func(ctx context.Context, args []string) error {
			fs := cli.NewFlagSet("version", "rewardvision version [--json] [--ort-lib PATH] [--device D]")
			asJSON := fs.Bool("json", "", false, "print JSON")
			of := addORTFlags(fs)
			if err := fs.ParseNoArgs(args); err != nil {
				return err
			}
			rt, dev, err := of.open()
			if err != nil {
				return err
			}
			v := versionInfo{
				Commit: buildinfo.Revision(), GoVersion: buildinfo.GoVersion(),
				ORTVersion: rt.Version, ORTPath: rt.Path, ORTSource: rt.Source,
				Providers: rt.Providers, Device: dev.String(),
			}
			if *asJSON {
				return printJSON(stdout, v)
			}
			fmt.Fprintf(stdout, "rewardvision %s\n", v.Commit)
			fmt.Fprintf(stdout, "go:                  %s\n", v.GoVersion)
			fmt.Fprintf(stdout, "onnxruntime:         %s (%s, from %s)\n", v.ORTVersion, v.ORTPath, v.ORTSource)
			fmt.Fprintf(stdout, "execution providers: %s\n", strings.Join(v.Providers, ", "))
			fmt.Fprintf(stdout, "device:              %s\n", v.Device)
			return nil
		},
	}
}
