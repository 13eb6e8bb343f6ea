package colorize

import (
	"path/filepath"
	"testing"

	"rewardvision/internal/testfix"
)

// fixtureDir finds a reference fixture folder, falling back to the copy
// under testdata/<name>.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	return testfix.Dir(t, name, filepath.Join("testdata", name))
}
