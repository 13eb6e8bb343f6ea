package panoptic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"rewardvision/internal/testfix"
)

// fixtureDir finds a reference fixture folder ("panoptic/small"): the
// shared one, else the repository's copy.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	return testfix.Dir(t, name)
}

// expected is a fixture's expected.json.
type expected struct {
	All, Things, Stuff ReferenceMetrics
	PerClass           map[string]ReferenceClass `json:"per_class"`
	Meta               struct {
		PrintedTable []string `json:"printed_table"`
	} `json:"meta"`
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
