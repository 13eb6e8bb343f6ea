package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/cli"
)

// captionsFixture is a copy of the shared pycocoevalcap fixture kept by the
// captions package.
func captionsFixture(name, file string) string {
	return filepath.Join("..", "..", "eval", "captions", "testdata", "fixtures", name, file)
}

func TestEvalCaptionsJSONMatchesFixture(t *testing.T) {
	for _, name := range []string{"small", "shapes50"} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := evalCaptionsCommand(&out).Run(context.Background(), []string{
				"--refs", captionsFixture(name, "refs.json"), "--preds", captionsFixture(name, "preds.json"), "--json"})
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			data, err := os.ReadFile(captionsFixture(name, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
				t.Fatalf("keys %v, want %v", sortedKeys(got), sortedKeys(want))
			}
			for k, w := range want {
				switch wv := w.(type) {
				case float64:
					if g := got[k].(float64); math.Abs(g-wv) > 1e-9 {
						t.Errorf("%s = %v, want %v", k, g, wv)
					}
				case map[string]any:
					if k == "meta" {
						continue
					}
					gm := got[k].(map[string]any)
					if !slices.Equal(sortedKeys(gm), sortedKeys(wv)) {
						t.Fatalf("%s: image ids differ", k)
					}
					for id, v := range wv {
						if g := gm[id].(float64); math.Abs(g-v.(float64)) > 1e-9 {
							t.Errorf("%s[%s] = %v, want %v", k, id, g, v)
						}
					}
				}
			}
			meta := got["meta"].(map[string]any)
			if meta["images"].(float64) != float64(len(want["per_image_CIDEr-D"].(map[string]any))) || meta["implementation"] == "" {
				t.Errorf("meta = %v", meta)
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestEvalCaptionsTable(t *testing.T) {
	var out bytes.Buffer
	err := evalCaptionsCommand(&out).Run(context.Background(), []string{
		"--refs", captionsFixture("small", "refs.json"), "--preds", captionsFixture("small", "preds.json")})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5 images", "BLEU-1   0.878788", "BLEU-4   0.581861", "ROUGE-L  0.685978",
		"CIDEr-D  1.953401", "lowest per-image CIDEr-D: 5 (0.213)", "METEOR and SPICE: not computed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEvalCaptionsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refs := write("refs.json", `{"images": [{"id": 1}, {"id": 2}], "annotations": [
		{"image_id": 1, "caption": "a cat"}, {"image_id": 2, "caption": "a dog"}]}`)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, cli.ExitOK, ""},
		{"no flags", nil, cli.ExitUsage, "--refs and --preds are required"},
		{"stray argument", []string{"--refs", refs, "--preds", refs, "x"}, cli.ExitUsage, "takes no arguments"},
		{"unknown flag", []string{"--nope"}, cli.ExitUsage, "flag provided but not defined"},
		{"missing file", []string{"--refs", filepath.Join(dir, "none.json"), "--preds", refs}, cli.ExitFailure, "none.json"},
		{"malformed JSON", []string{"--refs", refs, "--preds", write("bad.json", `[{"image_id": 1,`)}, cli.ExitFailure, "bad.json: bad JSON"},
		{"non-string caption", []string{"--refs", refs, "--preds", write("num.json", `[{"image_id": 1, "caption": "a"}, {"image_id": 2, "caption": 7}]`)},
			cli.ExitFailure, "num.json: [1]: image 2: caption: want a string, got number"},
		{"missing prediction", []string{"--refs", refs, "--preds", write("one.json", `[{"image_id": 1, "caption": "a cat"}]`)},
			cli.ExitFailure, "image 2 has reference captions but no prediction"},
		{"prediction without refs", []string{"--refs", refs, "--preds", write("three.json", `[{"image_id": 1, "caption": "a"}, {"image_id": 2, "caption": "b"}, {"image_id": 3, "caption": "c"}]`)},
			cli.ExitFailure, "prediction for image 3, which has no reference captions"},
		{"swapped files", []string{"--refs", write("p.json", `[]`), "--preds", refs}, cli.ExitFailure, "p.json: want a COCO captions annotation object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := evalCaptionsCommand(&out).Run(context.Background(), tc.args)
			if code := cli.ExitCode(err); code != tc.code {
				t.Fatalf("exit code %d (err %v), want %d", code, err, tc.code)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.code == cli.ExitOK && !errors.Is(err, flag.ErrHelp) && err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The command is reachable from the root as `rewardvision eval captions`.
func TestEvalCaptionsRegistered(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"eval", "captions", "--refs", captionsFixture("small", "refs.json"),
		"--preds", captionsFixture("small", "preds.json"), "--json"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `"CIDEr-D": 1.9534008703525`) {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out.String(), errb.String())
	}
	code = run([]string{"eval", "captions", "--refs", "/no/such/refs.json", "--preds", "x"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "rewardvision: load refs: open /no/such/refs.json") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
