package colorize

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir finds a reference fixture folder: $RV_FIXTURES/<name>, then
// shared/fixtures/<name> beside the repository (walking up from here), then
// the copy under testdata/<name>.
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
	d := filepath.Join("testdata", name)
	if !isDir(d) {
		t.Skipf("fixture %s not found", name)
	}
	return d
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
