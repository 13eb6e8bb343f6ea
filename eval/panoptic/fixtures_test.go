package panoptic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir finds a reference fixture folder: $RV_FIXTURES/<name>, then
// shared/fixtures/<name> beside the repository (walking up from here), then
// the copy under testdata/ (named by the last path element).
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	if root := os.Getenv("RV_FIXTURES"); root != "" {
		if d := filepath.Join(root, name); isDir(d) {
			return d
		}
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			if d := filepath.Join(dir, "shared", "fixtures", name); isDir(d) {
				return d
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	d := filepath.Join("testdata", filepath.Base(name))
	if !isDir(d) {
		t.Skipf("fixture %s not found", name)
	}
	return d
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
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
