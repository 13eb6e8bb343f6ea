package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/dataset/shapes"
	"rewardvision/internal/testfix"
)

// checkSplitDir generates a 6-image split and returns it with the number of
// annotations instances.json holds (counted from the raw JSON).
func checkSplitDir(t *testing.T) (string, int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "val")
	if _, err := shapes.Generate(context.Background(), shapes.DefaultConfig(), shapes.Options{Out: dir, N: 6, Seed: 3, Split: "val", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Annotations []json.RawMessage `json:"annotations"`
	}
	readJSON(t, filepath.Join(dir, shapes.InstancesFile), &raw)
	if len(raw.Annotations) == 0 {
		t.Fatal("generated split has no annotations")
	}
	return dir, len(raw.Annotations)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// addUnknownImageAnnotation adds an annotation of image 777, which no image has.
func addUnknownImageAnnotation(t *testing.T, dir string) {
	testfix.AddDanglingAnnotation(t, filepath.Join(dir, shapes.InstancesFile))
}

func removeFile(rel string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Remove(filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}
}

// truncateFile keeps the first n bytes of a file (the PNG header survives).
func truncateFile(rel string, n int64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Truncate(filepath.Join(dir, rel), n); err != nil {
			t.Fatal(err)
		}
	}
}

func garbleFile(rel string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte("not a png at all"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// swapFiles exchanges two files of the split (e.g. two images' panoptic
// PNGs: each still decodes, but its ids are the other image's segments).
func swapFiles(a, b string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		pa, pb := filepath.Join(dir, a), filepath.Join(dir, b)
		da, err := os.ReadFile(pa)
		if err != nil {
			t.Fatal(err)
		}
		db, err := os.ReadFile(pb)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pa, db, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pb, da, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDataCheck(t *testing.T) {
	img := func(i int) string { return filepath.Join(shapes.ImagesDir, shapes.FileName(i)) }
	pan := func(i int) string { return filepath.Join(shapes.PanopticDir, shapes.FileName(i)) }
	for _, tc := range []struct {
		name      string
		corrupt   []func(*testing.T, string)
		extraAnns int      // annotations added to instances.json
		want      []string // in the error without --skip-bad
		skipped   checkSkipped
		ok, panOK int // images and panoptic PNGs decoded under --skip-bad
	}{
		{name: "clean", ok: 6, panOK: 6},
		{name: "missing image", corrupt: []func(*testing.T, string){removeFile(img(1))},
			want:    []string{img(1) + " (image id 2, record 1)", "no such file"},
			skipped: checkSkipped{ImageFiles: 1}, ok: 5, panOK: 5},
		{name: "truncated png", corrupt: []func(*testing.T, string){truncateFile(img(3), 100)},
			want:    []string{img(3) + " (image id 4, record 3)", "png"},
			skipped: checkSkipped{ImageFiles: 1}, ok: 5, panOK: 5},
		{name: "garbled png", corrupt: []func(*testing.T, string){garbleFile(img(5))},
			want:    []string{img(5) + " (image id 6, record 5)", "undecodable image"},
			skipped: checkSkipped{ImageFiles: 1}, ok: 5, panOK: 5},
		{name: "corrupt panoptic png", corrupt: []func(*testing.T, string){truncateFile(pan(2), 60)},
			want:    []string{"(image id 3, record 2)", pan(2)},
			skipped: checkSkipped{ImageFiles: 1}, ok: 5, panOK: 5},
		{name: "panoptic png swapped with another image's", corrupt: []func(*testing.T, string){swapFiles(pan(1), pan(2))},
			want:    []string{"(image id 2, record 1)", pan(1) + ": segment"},
			skipped: checkSkipped{ImageFiles: 2}, ok: 4, panOK: 4},
		{name: "annotation of unknown image", corrupt: []func(*testing.T, string){addUnknownImageAnnotation}, extraAnns: 1,
			want:    []string{shapes.InstancesFile + ": annotations[", "(id 9999): image_id 777 is not in images"},
			skipped: checkSkipped{Annotations: 1}, ok: 6, panOK: 6},
		{name: "all at once", corrupt: []func(*testing.T, string){removeFile(img(1)), garbleFile(img(4)), addUnknownImageAnnotation}, extraAnns: 1,
			// the JSON is checked before any image is read
			want:    []string{"image_id 777 is not in images"},
			skipped: checkSkipped{ImageFiles: 2, Annotations: 1}, ok: 4, panOK: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, anns := checkSplitDir(t)
			for _, c := range tc.corrupt {
				c(t, dir)
			}
			problems := tc.skipped.total()

			out, errOut, code := runCLI(t, nil, "data", "check", dir)
			if problems == 0 {
				if code != 0 {
					t.Fatalf("clean split: exit %d\n%s", code, errOut)
				}
				if !strings.Contains(out, "problems: 0") || !strings.Contains(out, "checked 6 images") {
					t.Errorf("clean split printed %q", out)
				}
			} else {
				if code != 1 {
					t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
				}
				for _, w := range tc.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("error %q does not mention %q", errOut, w)
					}
				}
				if !strings.Contains(errOut, "--skip-bad") {
					t.Errorf("error %q does not point at --skip-bad", errOut)
				}
			}

			out, errOut, code = runCLI(t, nil, "data", "check", dir, "--skip-bad", "--json", "--workers", "3", "--log-format", "text")
			if code != 0 {
				t.Fatalf("--skip-bad: exit %d\n%s", code, errOut)
			}
			var got checkSummary
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("--json printed %q: %v", out, err)
			}
			if got.Images != 6 || got.Annotations != anns+tc.extraAnns || got.PanopticAnnotations != 6 || got.Captions != 6*shapes.NumCaptions || got.ImagesChecked != 6 {
				t.Errorf("counts %+v, want 6 images, %d annotations, 6 panoptic, %d captions, 6 checked", got, anns+tc.extraAnns, 6*shapes.NumCaptions)
			}
			if got.Skipped != tc.skipped || got.Problems != problems || got.ImagesOK != tc.ok || got.PanopticPNGsOK != tc.panOK || !got.SkipBad {
				t.Errorf("skipped %+v, problems %d, %d images and %d PNGs ok; want %+v, %d, %d, %d",
					got.Skipped, got.Problems, got.ImagesOK, got.PanopticPNGsOK, tc.skipped, problems, tc.ok, tc.panOK)
			}
			if n := strings.Count(errOut, "level=WARN msg=\"skipping "); n != problems {
				t.Errorf("%d skip warnings, want %d:\n%s", n, problems, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("warnings %q do not mention %q", errOut, w)
				}
			}
		})
	}
}

func TestDataCheckUsage(t *testing.T) {
	dir, _ := checkSplitDir(t)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"help", []string{"--help"}, 0, "--skip-bad", ""},
		{"listed", []string{"--help"}, 0, "", ""},
		{"no folder", nil, 2, "", "takes one split folder"},
		{"two folders", []string{dir, dir}, 2, "", "takes one split folder"},
		{"bad flag", []string{dir, "--nope"}, 2, "", "nope"},
		{"bad workers", []string{dir, "--workers", "-1"}, 2, "", "--workers"},
		{"not a split", []string{t.TempDir()}, 1, "", "not a split folder"},
		{"text summary, flags first", []string{"--skip-bad", dir}, 0, "problems: 0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"data", "check"}, tc.args...)
			if tc.name == "listed" {
				args = []string{"data", "--help"}
				tc.inStdout = "check "
			}
			out, errOut, code := runCLI(t, nil, args...)
			if code != tc.code || !strings.Contains(out, tc.inStdout) || !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, out, tc.inStdout, errOut, tc.inStderr)
			}
		})
	}
}
