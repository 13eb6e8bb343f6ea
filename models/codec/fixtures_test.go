package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// sharedFixture finds rel under $RV_FIXTURES or a shared/fixtures folder
// beside the repository (walking up from the package directory); "" if
// neither exists, as on a clean clone.
func sharedFixture(rel string) string {
	if dir := os.Getenv("RV_FIXTURES"); dir != "" {
		if p := filepath.Join(dir, rel); fileExists(p) {
			return p
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if p := filepath.Join(dir, "shared", "fixtures", rel); fileExists(p) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// TestTestdataMatchesSharedFixtures guards the copies in testdata against
// drifting from the reference fixtures they were taken from.
func TestTestdataMatchesSharedFixtures(t *testing.T) {
	copies := map[string]string{
		"testdata/real2_gt.json":      "coco-det/real2/gt.json",
		"testdata/shapes50_refs.json": "captions/shapes50/refs.json",
	}
	for local, rel := range copies {
		shared := sharedFixture(rel)
		if shared == "" {
			t.Logf("%s: shared fixture %s not found; using the testdata copy only", local, rel)
			continue
		}
		a, err := os.ReadFile(local)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(shared)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s", local, shared)
		}
	}
}
