package codec

import (
	"bytes"
	"os"
	"testing"

	"rewardvision/internal/testfix"
)

// sharedFixture finds the shared fixture file rel; "" when absent.
func sharedFixture(rel string) string { return testfix.Shared(rel) }

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
