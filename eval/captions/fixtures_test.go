package captions

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"rewardvision/internal/testfix"
)

// fixtureDir finds a caption fixture folder, falling back to the copy under
// testdata/fixtures.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	return testfix.Dir(t, "captions/"+name, filepath.Join("testdata", "fixtures", name))
}

// sharedFixtureDir finds the shared captions/<name> fixture folder.
func sharedFixtureDir(name string) (string, bool) {
	dir := testfix.Shared("captions/" + name)
	return dir, dir != ""
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
