package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/cli"
)

func runData(t *testing.T, cmd func(io *bytes.Buffer) *cli.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := cmd(&out).Run(context.Background(), args)
	return out.String(), err
}

func genCmd(b *bytes.Buffer) *cli.Command   { return dataGenCommand(b, io.Discard) }
func statsCmd(b *bytes.Buffer) *cli.Command { return dataStatsCommand(b) }

func TestDataGenThenStats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "val")
	out, err := runData(t, genCmd, "--out", dir, "--n", "12", "--seed", "4", "--split", "val", "--max-objects", "3", "--workers", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "wrote 12 images (") {
		t.Errorf("gen printed %q", out)
	}
	var info struct {
		Info struct {
			Seed   int64         `json:"seed"`
			Split  string        `json:"split"`
			Config shapes.Config `json:"config"`
		} `json:"info"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "instances.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Info.Seed != 4 || info.Info.Split != "val" || info.Info.Config.MaxObjects != 3 || info.Info.Config.MinObjectSize != shapes.DefaultConfig().MinObjectSize {
		t.Errorf("info = %+v", info.Info)
	}
	out, err = runData(t, statsCmd, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "instances: 12 images") || !strings.Contains(out, "captions: 60 for 12 images") {
		t.Errorf("stats printed %q", out)
	}
	out, err = runData(t, statsCmd, "--json", "--captions", filepath.Join(dir, "captions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &st); err != nil || st["captions"] == nil || st["instances"] != nil {
		t.Errorf("stats --json = %s (%v)", out, err)
	}
	out, err = runData(t, statsCmd, dir, "--json") // flags after the folder, as the README writes it
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st["captions"] == nil || st["instances"] == nil {
		t.Errorf("stats DIR --json = %s (%v)", out, err)
	}

	// a second run into the same folder needs --force
	if _, err := runData(t, genCmd, "--out", dir, "--n", "3"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second gen: %v", err)
	}
	if _, err := runData(t, genCmd, "--out", dir, "--n", "3", "--force", "--json"); err != nil {
		t.Fatal(err)
	}
	if n, _ := os.ReadDir(filepath.Join(dir, "images")); len(n) != 3 {
		t.Errorf("--force left %d images, want 3", len(n))
	}
}

func TestDataGenConfigAndPrint(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "cfg.json")
	os.WriteFile(cfgPath, []byte(`{"size": 32, "max_objects": 4, "noise": 2}`), 0o644)
	out, err := runData(t, genCmd, "--config", cfgPath, "--noise", "9", "--shapes", "circle, star",
		"--colors", "white,cyan", "--stuff", "road", "--max-stuff", "1", "--class-colors", "--print-config")
	if err != nil {
		t.Fatal(err)
	}
	var cfg shapes.Config
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatal(err)
	}
	want := shapes.DefaultConfig()
	want.Size, want.MaxObjects, want.Noise, want.Shapes = 32, 4, 9, []string{"circle", "star"}
	if cfg.Size != want.Size || cfg.MaxObjects != want.MaxObjects || cfg.Noise != want.Noise || strings.Join(cfg.Shapes, ",") != "circle,star" || cfg.Texture != want.Texture ||
		strings.Join(cfg.Colors, ",") != "white,cyan" || strings.Join(cfg.Stuff, ",") != "road" || cfg.MaxStuff != 1 || !cfg.ClassColors {
		t.Errorf("config = %+v", cfg)
	}
	// --preset starts the layering; --config and flags still override it.
	out, err = runData(t, genCmd, "--preset", "detection", "--config", cfgPath, "--rotation", "30", "--print-config")
	if err != nil {
		t.Fatal(err)
	}
	cfg = shapes.Config{}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatal(err)
	}
	want, _ = shapes.Preset("detection")
	want.Size, want.MaxObjects, want.Noise, want.MaxRotation = 32, 4, 2, 30
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("preset + config + flag = %+v, want %+v", cfg, want)
	}
	os.WriteFile(cfgPath, []byte(`{"sise": 32}`), 0o644)
	if _, err := runData(t, genCmd, "--config", cfgPath, "--print-config"); err == nil || !strings.Contains(err.Error(), "sise") {
		t.Errorf("unknown config field: %v", err)
	}
}

func TestDataUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cmd  func(*bytes.Buffer) *cli.Command
		args []string
		want string
	}{
		{"gen no out", genCmd, []string{"--n", "3"}, "--out is required"},
		{"gen no n", genCmd, []string{"--out", dir}, "--n must be positive"},
		{"gen bad split", genCmd, []string{"--out", dir, "--n", "1", "--split", "dev"}, "--split"},
		{"gen bad knob", genCmd, []string{"--out", dir, "--n", "1", "--occlusion", "2"}, "max occlusion"},
		{"gen bad preset", genCmd, []string{"--out", dir, "--n", "1", "--preset", "hard"}, `preset "hard": want one of captioning, detection, full`},
		{"gen bad shape", genCmd, []string{"--out", dir, "--n", "1", "--shapes", "blob"}, "unknown shape"},
		{"gen bad colour", genCmd, []string{"--out", dir, "--n", "1", "--colors", "mauve"}, "unknown colour"},
		{"gen stuff without max-stuff 1", genCmd, []string{"--out", dir, "--n", "1", "--stuff", "road"}, "needs max stuff 1"},
		{"gen argument", genCmd, []string{"extra"}, "no arguments"},
		{"gen bad flag", genCmd, []string{"--nope"}, "nope"},
		{"stats nothing", statsCmd, nil, "give a folder"},
		{"stats two dirs", statsCmd, []string{"a", "b"}, "one folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runData(t, tc.cmd, tc.args...)
			var ue *cli.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error with %q", err, tc.want)
			}
		})
	}
	if _, err := runData(t, statsCmd, dir); err == nil || !strings.Contains(err.Error(), "holds none") {
		t.Errorf("stats of an empty folder: %v", err)
	}
}

// Objects dropped for --min-visible leave images below --min-objects; the
// command says how many instead of passing it over.
func TestDataGenWarnsBelowMinObjects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		warn string // "" for no warning
	}{
		{"unreachable min-visible", []string{"--n", "4", "--min-visible", "100000", "--min-objects", "1"}, `"images":4,"of":4,"min_objects":1`},
		{"reachable", []string{"--n", "4", "--min-objects", "1", "--max-objects", "2"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--log-format", "json", "data", "gen", "--out", filepath.Join(t.TempDir(), "split")}, tc.args...)
			_, errOut, code := runCLI(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			has := strings.Contains(errOut, "images below --min-objects")
			if tc.warn == "" && has {
				t.Fatalf("unexpected warning: %s", errOut)
			}
			if tc.warn != "" && (!has || !strings.Contains(errOut, tc.warn)) {
				t.Fatalf("stderr %s lacks the warning with %s", errOut, tc.warn)
			}
		})
	}
}
