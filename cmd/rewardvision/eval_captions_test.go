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
	"reflect"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/cli"
	"rewardvision/internal/testfix"
)

// captionsFixture is file of the pycocoevalcap fixture captions/<name> (the
// shared one, else the repository's copy).
func captionsFixture(t testing.TB, name, file string) string {
	t.Helper()
	return filepath.Join(testfix.Dir(t, "captions/"+name), file)
}

func TestEvalCaptionsJSONMatchesFixture(t *testing.T) {
	for _, name := range []string{"small", "shapes50"} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := evalCaptionsCommand(&out).Run(context.Background(), []string{
				"--refs", captionsFixture(t, name, "refs.json"), "--preds", captionsFixture(t, name, "preds.json"), "--json"})
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			data, err := os.ReadFile(captionsFixture(t, name, "expected.json"))
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
		"--refs", captionsFixture(t, "small", "refs.json"), "--preds", captionsFixture(t, "small", "preds.json")})
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
		{"missing prediction, strict", []string{"--strict", "--refs", refs, "--preds", write("one.json", `[{"image_id": 1, "caption": "a cat"}]`)},
			cli.ExitFailure, "image 2 has reference captions but no prediction"},
		{"tokenize with refs", []string{"--tokenize", refs, "--refs", refs}, cli.ExitUsage, "--tokenize takes no --refs or --preds"},
		{"tokenize missing file", []string{"--tokenize", filepath.Join(dir, "none.txt")}, cli.ExitFailure, "none.txt"},
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
	code := run([]string{"eval", "captions", "--refs", captionsFixture(t, "small", "refs.json"),
		"--preds", captionsFixture(t, "small", "preds.json"), "--json"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `"CIDEr-D": 1.9534008703525`) {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out.String(), errb.String())
	}
	code = run([]string{"eval", "captions", "--refs", "/no/such/refs.json", "--preds", "x"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "rewardvision: load refs: open /no/such/refs.json") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// --tokenize prints exactly the tokens pycocoevalcap scores (Stanford
// PTBTokenizer 3.4.1 and its punctuation removal) for the 3,427 real COCO
// captions of the shared fixture.
func TestEvalCaptionsTokenizeMatchesPTBTokenizer(t *testing.T) {
	data, err := os.ReadFile(testfix.Path(t, "captions/ptb-tokenizer/cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Caption, Tokens string }
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.Caption + "\n")
	}
	path := filepath.Join(t.TempDir(), "captions.txt")
	if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := evalCaptionsCommand(&out).Run(context.Background(), []string{"--tokenize", path}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("%d lines out for %d captions", len(lines), len(cases))
	}
	bad := 0
	for i, c := range cases {
		if lines[i] != c.Tokens {
			if bad++; bad <= 20 {
				t.Errorf("%q\n got %q\nwant %q", c.Caption, lines[i], c.Tokens)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d captions tokenized differently from PTBTokenizer 3.4.1", bad, len(cases))
	}
}

// A reference file with more images than predictions is scored on the
// predicted images only, CIDEr-D document frequencies included, as
// pycocoevalcap does; the left-out images are counted in a warning.
func TestEvalCaptionsScoresPredictedImagesOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	anns := `{"image_id": 1, "caption": "a cat on a mat."}, {"image_id": 1, "caption": "A cat sits on the mat"},
		{"image_id": 2, "caption": "a dog in the park"}, {"image_id": 2, "caption": "A dog runs in a park."}`
	all := write("all.json", `{"images": [{"id": 1}, {"id": 2}, {"id": 3}], "annotations": [`+anns+`,
		{"image_id": 3, "caption": "a cat and a dog in the park"}]}`)
	predicted := write("predicted.json", `{"images": [{"id": 1}, {"id": 2}], "annotations": [`+anns+`]}`)
	preds := write("preds.json", `[{"image_id": 1, "caption": "a cat on the mat"}, {"image_id": 2, "caption": "a dog in a park"}]`)

	var want, got, errb bytes.Buffer
	if code := run([]string{"eval", "captions", "--refs", predicted, "--preds", preds, "--json"}, &want, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"--log-format", "text", "eval", "captions", "--refs", all, "--preds", preds, "--json"}, &got, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	strip := func(b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m["meta"].(map[string]any), "refs")
		return m
	}
	if g, w := strip(got.Bytes()), strip(want.Bytes()); !reflect.DeepEqual(g, w) {
		t.Errorf("scores with the extra reference image:\n%v\nwant those of the predicted images alone:\n%v", g, w)
	}
	if !strings.Contains(errb.String(), "not scored") || !strings.Contains(errb.String(), "images=1") {
		t.Errorf("no warning counting the unscored image; stderr:\n%s", errb.String())
	}

	errb.Reset()
	if code := run([]string{"eval", "captions", "--strict", "--refs", all, "--preds", preds}, &got, &errb); code != 1 ||
		!strings.Contains(errb.String(), "image 3 has reference captions but no prediction") {
		t.Errorf("--strict: exit %d, stderr %s", code, errb.String())
	}
	t.Setenv("RV_EVAL_STRICT", "1")
	errb.Reset()
	if code := run([]string{"eval", "captions", "--refs", all, "--preds", preds}, &got, &errb); code != 1 {
		t.Errorf("RV_EVAL_STRICT=1: exit %d, stderr %s", code, errb.String())
	}
}

// An annotation of an image missing from "images" is ignored, as
// pycocotools' COCO (and so pycocoevalcap) ignores it; --strict refuses it.
func TestEvalCaptionsUnlistedImageAnnotations(t *testing.T) {
	dir := t.TempDir()
	anns := `{"image_id": 1, "caption": "a cat on a mat."}, {"image_id": 2, "caption": "a dog in the park"}`
	clean := writeFile(t, dir, "clean.json", `{"images": [{"id": 1}, {"id": 2}], "annotations": [`+anns+`]}`)
	dangling := writeFile(t, dir, "dangling.json", `{"images": [{"id": 1}, {"id": 2}], "annotations": [`+anns+`,
		{"image_id": 9, "caption": "a bird"}, {"image_id": 9, "caption": "a bird again"}]}`)
	preds := writeFile(t, dir, "preds.json", `[{"image_id": 1, "caption": "a cat on the mat"}, {"image_id": 2, "caption": "a dog"}]`)
	code, want, errb := runEval(t, "eval", "captions", "--refs", clean, "--preds", preds)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	code, got, logs := runEval(t, "eval", "captions", "--refs", dangling, "--preds", preds)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, logs)
	}
	if strings.ReplaceAll(got, dangling, clean) != want {
		t.Errorf("output:\n%s\nwant the clean file's:\n%s", got, want)
	}
	if !strings.Contains(logs, `missing from \"images\" are ignored`) || !strings.Contains(logs, "images=1") {
		t.Errorf("no warning:\n%s", logs)
	}
	code, _, errb = runEval(t, "eval", "captions", "--strict", "--refs", dangling, "--preds", preds)
	if code != 1 || !strings.Contains(errb, `annotations[2]: image_id 9 is not in "images"`) {
		t.Errorf("--strict: exit %d: %s", code, errb)
	}
}
