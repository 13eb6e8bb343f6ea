package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rewardvision/internal/cli"
	"rewardvision/internal/testfix"
)

// panopticFixture is file of the panopticapi fixture panoptic/<name> (the
// shared one, else the repository's copy).
func panopticFixture(t testing.TB, name, file string) string {
	t.Helper()
	return filepath.Join(testfix.Dir(t, "panoptic/"+name), file)
}

func panopticKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestEvalPanopticJSONMatchesFixture(t *testing.T) {
	for _, name := range []string{"small", "real2"} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := evalPanopticCommand(&out, io.Discard).Run(context.Background(), []string{
				"--gt-json", panopticFixture(t, name, "gt.json"), "--pred-json", panopticFixture(t, name, "pred.json"),
				"--pred-dir", panopticFixture(t, name, "pred"), "--json", "--workers", "2"})
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			data, err := os.ReadFile(panopticFixture(t, name, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(panopticKeys(got), panopticKeys(want)) {
				t.Fatalf("keys %v, want %v", panopticKeys(got), panopticKeys(want))
			}
			for _, group := range []string{"All", "Things", "Stuff"} {
				g, w := got[group].(map[string]any), want[group].(map[string]any)
				if !slices.Equal(panopticKeys(g), panopticKeys(w)) {
					t.Errorf("%s keys %v, want %v", group, panopticKeys(g), panopticKeys(w))
				}
				for k, v := range w {
					if math.Abs(g[k].(float64)-v.(float64)) > 1e-9 {
						t.Errorf("%s.%s = %v, want %v", group, k, g[k], v)
					}
				}
			}
			gc, wc := got["per_class"].(map[string]any), want["per_class"].(map[string]any)
			if !slices.Equal(panopticKeys(gc), panopticKeys(wc)) {
				t.Fatalf("per_class ids differ")
			}
			for id, v := range wc {
				for k, x := range v.(map[string]any) {
					if g := gc[id].(map[string]any)[k].(float64); math.Abs(g-x.(float64)) > 1e-9 {
						t.Errorf("per_class[%s].%s = %v, want %v", id, k, g, x)
					}
				}
			}
			gt, wt := got["meta"].(map[string]any)["printed_table"], want["meta"].(map[string]any)["printed_table"]
			gb, _ := json.Marshal(gt)
			wb, _ := json.Marshal(wt)
			if !bytes.Equal(gb, wb) {
				t.Errorf("printed_table %s, want %s", gb, wb)
			}
		})
	}
}

func TestEvalPanopticTable(t *testing.T) {
	var out bytes.Buffer
	err := evalPanopticCommand(&out, io.Discard).Run(context.Background(), []string{
		"--gt-json", panopticFixture(t, "small", "gt.json"), "--gt-dir", panopticFixture(t, "small", "gt"),
		"--pred-json", panopticFixture(t, "small", "pred.json")})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"panoptic: 20 images",
		"          |    PQ     SQ     RQ     N\n---",
		"All       |  55.7   70.9   77.2     6\n",
		"Things    |  38.0   66.6   57.0     3\n",
		"Stuff     |  73.3   75.2   97.5     3\n",
		"thing person", "stuff wall",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEvalPanopticErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"annotations": [{"image_id": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gt := panopticFixture(t, "small", "gt.json")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no flags", nil, true, "--gt-json and --pred-json are required"},
		{"argument", []string{"--gt-json", gt, "--pred-json", gt, "x"}, true, "takes no arguments"},
		{"bad flag", []string{"--nope"}, true, "flag provided but not defined"},
		{"missing folder", []string{"--gt-json", gt, "--pred-json", gt, "--pred-dir", filepath.Join(dir, "bad")}, false, "PNG folder " + filepath.Join(dir, "bad") + ": not a directory"},
		{"missing prediction file, named before the folder its name implies", []string{"--gt-json", gt, "--pred-json", filepath.Join(dir, "nope.json")}, false, "open " + filepath.Join(dir, "nope.json")},
		{"bad JSON", []string{"--gt-json", gt, "--pred-json", bad, "--pred-dir", panopticFixture(t, "small", "pred")}, false, "load " + bad + ": annotations[0]: image_id 1: missing file_name"},
		{"gt as prediction with other PNGs", []string{"--gt-json", gt, "--pred-json", gt, "--pred-dir", panopticFixture(t, "small", "pred")}, false, "is in the PNG but not in segments_info"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := evalPanopticCommand(&bytes.Buffer{}, io.Discard).Run(context.Background(), tc.args)
			var ue *cli.UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &ue) != tc.usage {
				t.Errorf("err = %v (usage %v), want %q (usage %v)", err, errors.As(err, &ue), tc.want, tc.usage)
			}
		})
	}
}

// Through the binary's entry point: registered under eval, exit codes.
func TestEvalPanopticExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"eval", "panoptic", "--gt-json", panopticFixture(t, "real2", "gt.json"),
		"--pred-json", panopticFixture(t, "real2", "pred.json"), "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"All"`) {
		t.Errorf("stdout %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"eval", "panoptic", "--gt-json", "/no/gt.json", "--gt-dir", ".", "--pred-json", "/no/p.json", "--pred-dir", "."}, &out, &errb); code != 1 ||
		!strings.HasPrefix(errb.String(), "rewardvision: load /no/gt.json") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if code := run([]string{"eval", "panoptic"}, &out, &errb); code != 2 {
		t.Errorf("no flags: exit %d, want 2", code)
	}
}
