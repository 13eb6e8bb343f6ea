package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Endless or huge inputs fail fast with exit 1 and a message naming the
// problem, instead of reading until memory runs out.
func TestInputLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	// A JSON list opening, then 2 MB of white space: valid so far, only
	// the size limit can stop it.
	data := make([]byte, 2<<20)
	for i := range data {
		data[i] = ' '
	}
	data[0] = '['
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bigObject := filepath.Join(dir, "big-object.json")
	data[0] = '{'
	if err := os.WriteFile(bigObject, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"eval coco zeros", nil, []string{"eval", "coco", "--gt", "/dev/zero", "--dt", "/dev/zero"}, 1, "not JSON: byte 0 is 0x00"},
		{"eval captions zeros", nil, []string{"eval", "captions", "--refs", "/dev/zero", "--preds", "/dev/zero"}, 1, "not JSON: byte 0 is 0x00"},
		{"eval panoptic zeros", nil, []string{"eval", "panoptic", "--gt-json", "/dev/zero", "--gt-dir", dir, "--pred-json", "/dev/zero", "--pred-dir", dir}, 1, "not JSON"},
		{"eval colorfulness zeros", nil, []string{"eval", "colorfulness", "/dev/zero"}, 1, "unknown format"},
		{"data stats zeros", nil, []string{"data", "stats", "--instances", "/dev/zero"}, 1, "not JSON"},
		{"eval coco over the limit", nil, []string{"eval", "coco", "--gt", big, "--dt", big, "--max-json-mb", "1"}, 1, "larger than the 1 MB limit (raise it with --max-json-mb)"},
		{"eval captions over the limit from env", []string{"RV_MAX_JSON_MB=1"}, []string{"eval", "captions", "--refs", big, "--preds", big}, 1, "larger than the 1 MB limit"},
		{"data stats over the limit", nil, []string{"data", "stats", "--instances", bigObject, "--max-json-mb", "1"}, 1, "larger than the 1 MB limit"},
		{"zero limit", nil, []string{"eval", "coco", "--gt", big, "--dt", big, "--max-json-mb", "0"}, 2, "want ≥ 1"},
		{"image limit, flag after the image", nil, []string{"eval", "colorfulness", big, "--max-image-mb", "0"}, 2, "want ≥ 1"},
		{"flag without effect: --weight without --input", nil, []string{"eval", "colorfulness", big, "--weight", "2"}, 2, "needs --input"},
		{"flag without effect: export --device without --verify", nil, []string{"export", "--ckpt", dir, "--repo", dir, "--device", "cpu"}, 2, "apply to --verify only"},
		{"predict: a decoding value out of range, before any model loads", nil, []string{"predict", "--task", "detect", big, "--temperature", "-1"}, 2, `parameter temperature: "-1"`},
		{"limit from env not a number", []string{"RV_MAX_JSON_MB=lots"}, []string{"eval", "coco", "--gt", big, "--dt", big}, 2, "RV_MAX_JSON_MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, errOut, tc.code, tc.want, out)
			}
			if strings.Contains(errOut, "goroutine ") {
				t.Errorf("stderr shows a crash: %s", errOut)
			}
		})
	}
}
