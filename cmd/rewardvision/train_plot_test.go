package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainPlot drives `train plot` in a child process: usage errors exit
// 2, unreadable or malformed logs exit 1 naming the file (and the line),
// a good log writes a well-formed SVG atomically.
func TestTrainPlot(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "run", "log.jsonl")
	if err := os.MkdirAll(filepath.Dir(good), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := `{"step":10,"loss":3.5,"grad_norm":1,"lr":0.001,"wall_s":1}
{"step":20,"loss":2.5,"grad_norm":1,"lr":0.001,"wall_s":2,"eval":{"CIDEr-D":0.4,"BLEU-4":0.2,"images":8}}
`
	bad := filepath.Join(dir, "bad.jsonl")
	for p, s := range map[string]string{good: lines, bad: lines + "{\"step\":30,\"loss\":}\n"} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "curve.svg")
	missing := filepath.Join(dir, "no", "log.jsonl")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no log", []string{"--out", out}, 2, "--log and --out are required"},
		{"no out", []string{"--log", good}, 2, "--log and --out are required"},
		{"argument", []string{"--log", good, "--out", out, "extra"}, 2, "takes no arguments"},
		{"unknown flag", []string{"--log", good, "--out", out, "--width", "3"}, 2, "flag provided but not defined"},
		{"unreadable", []string{"--log", missing, "--out", out}, 1, missing},
		{"malformed", []string{"--log", bad, "--out", out}, 1, bad + ":3:"},
		{"out folder missing", []string{"--log", good, "--out", filepath.Join(dir, "no", "c.svg")}, 1, filepath.Join(dir, "no", "c.svg")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, append([]string{"train", "plot"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, stderr, tc.code, tc.inStderr, stdout)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s written on error (%v)", out, err)
			}
		})
	}

	// The run folder works as --log; the SVG parses and names the metrics.
	stdout, stderr, code := runCLI(t, nil, "train", "plot", "--log", filepath.Dir(good), "--out", out, "--title", "tiny <run>")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s is not XML: %v", out, err)
		}
	}
	for _, s := range []string{"tiny &lt;run&gt;: 2 logged steps", ">CIDEr-D<", ">BLEU-4<", "at step 20: CIDEr-D 0.4"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("SVG lacks %q", s)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".curve.svg.tmp*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	// --out - writes the same SVG to stdout.
	stdout, _, code = runCLI(t, nil, "train", "plot", "--log", good, "--out", "-", "--title", "tiny <run>")
	if code != 0 || stdout != string(svg) {
		t.Errorf("--out -: exit %d, stdout differs from the file", code)
	}
}
