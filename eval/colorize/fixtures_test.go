package colorize

import (
	"testing"

	"rewardvision/internal/testfix"
)

// fixtureDir finds a reference fixture folder ("colorfulness"): the shared
// one, else the repository's copy.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	return testfix.Dir(t, name)
}
