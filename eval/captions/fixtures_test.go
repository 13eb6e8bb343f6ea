package captions

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"rewardvision/internal/testfix"
)

// fixtureDir finds the caption fixture folder captions/<name>: the shared
// one, else the repository's copy.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	return testfix.Dir(t, "captions/"+name)
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
