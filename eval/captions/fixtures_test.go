package captions

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fixtureDir finds a caption fixture folder: $RV_FIXTURES/captions/<name>,
// then shared/fixtures/captions/<name> beside the repository (walking up from
// the package), then the copy under testdata/fixtures.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	if root := os.Getenv("RV_FIXTURES"); root != "" {
		dir := filepath.Join(root, "captions", name)
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	if dir, ok := sharedFixtureDir(name); ok {
		return dir
	}
	dir := filepath.Join("testdata", "fixtures", name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return dir
}

// sharedFixtureDir looks for ../shared/fixtures/captions/<name> from the
// package directory upwards.
func sharedFixtureDir(name string) (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		dir := filepath.Join(d, "shared", "fixtures", "captions", name)
		if _, err := os.Stat(dir); err == nil {
			return dir, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// expected is the shape of a fixture's expected.json.
type expected struct {
	BLEU1    float64            `json:"BLEU-1"`
	BLEU2    float64            `json:"BLEU-2"`
	BLEU3    float64            `json:"BLEU-3"`
	BLEU4    float64            `json:"BLEU-4"`
	ROUGEL   float64            `json:"ROUGE-L"`
	CIDErD   float64            `json:"CIDEr-D"`
	PerImage map[string]float64 `json:"per_image_CIDEr-D"`
}

func loadExpected(t testing.TB, dir string) expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s/expected.json: %v", dir, err)
	}
	return e
}

func (e expected) perImage(t testing.TB) map[int]float64 {
	t.Helper()
	out := make(map[int]float64, len(e.PerImage))
	for k, v := range e.PerImage {
		id, err := strconv.Atoi(k)
		if err != nil {
			t.Fatalf("per_image_CIDEr-D key %q: %v", k, err)
		}
		out[id] = v
	}
	return out
}

// TestFixtureCopiesMatchShared keeps testdata/fixtures identical to the
// shared fixtures when those are present.
func TestFixtureCopiesMatchShared(t *testing.T) {
	for _, name := range []string{"small", "shapes50"} {
		shared, ok := sharedFixtureDir(name)
		if !ok {
			t.Skip("shared fixtures not present")
		}
		for _, f := range []string{"refs.json", "preds.json", "expected.json"} {
			a, err := os.ReadFile(filepath.Join(shared, f))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name, f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("testdata/fixtures/%s/%s differs from %s; copy it again", name, f, shared)
			}
		}
	}
}
