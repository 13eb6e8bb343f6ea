package testfix

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepoCopiesMatchShared guards the repository's fixture copies against
// drifting from the shared fixtures they were taken from, when those are
// present. A gzipped copy is compared after gunzipping.
func TestRepoCopiesMatchShared(t *testing.T) {
	shared := SharedDir()
	if shared == "" {
		t.Skip("no shared fixtures")
	}
	var compared int
	err := filepath.WalkDir(RepoDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(RepoDir(), p)
		if err != nil || rel == "README.md" { // the index of the copies, not a copy
			return err
		}
		ref, err := os.ReadFile(filepath.Join(shared, strings.TrimSuffix(rel, ".gz")))
		if os.IsNotExist(err) {
			t.Logf("%s: not in %s", rel, shared)
			return nil
		}
		if err != nil {
			return err
		}
		local, err := readMaybeGz(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(local, ref) {
			t.Errorf("%s differs from %s; copy it again", p, filepath.Join(shared, rel))
		}
		compared++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if compared == 0 {
		t.Skipf("none of the copies is in %s", shared)
	}
}

// TestLookupOrder checks the order shared, then repository copy, then skip,
// with a shared folder that has one fixture file and lacks the others.
func TestLookupOrder(t *testing.T) {
	if RepoDir() == "" {
		t.Fatal("no go.mod above the package directory")
	}
	shared := t.TempDir()
	if err := os.MkdirAll(filepath.Join(shared, "coco-det", "real2"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(shared, "coco-det", "real2", "gt.json")
	if err := os.WriteFile(mine, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RV_FIXTURES", shared)
	if SharedDir() != shared {
		t.Fatalf("SharedDir() = %q, want $RV_FIXTURES %q", SharedDir(), shared)
	}
	if got := Path(t, "coco-det/real2/gt.json"); got != mine {
		t.Errorf("Path(gt.json) = %q, want the shared %q", got, mine)
	}
	if got, want := Path(t, "coco-det/real2/dets.json"), filepath.Join(RepoDir(), "coco-det", "real2", "dets.json"); got != want {
		t.Errorf("Path(dets.json) missing from the shared folder = %q, want the copy %q", got, want)
	}
	if got, want := Local(t, "coco-det/real2/gt.json"), filepath.Join(RepoDir(), "coco-det", "real2", "gt.json"); got != want {
		t.Errorf("Local(gt.json) = %q, want the copy %q", got, want)
	}
	if got := Dir(t, "coco-det/real2"); got != filepath.Dir(mine) {
		t.Errorf("Dir(coco-det/real2) = %q, want the shared folder", got)
	}
	if got, want := Dir(t, "panoptic/small"), filepath.Join(RepoDir(), "panoptic", "small"); got != want {
		t.Errorf("Dir(panoptic/small) = %q, want the copy %q", got, want)
	}
	if got := Find("coco-det/perf5k/gt.json"); got != "" {
		t.Errorf("Find(perf5k) = %q, want none (perf5k is not copied)", got)
	}
	t.Run("skip", func(t *testing.T) {
		Path(t, "coco-det/perf5k/gt.json")
		t.Error("Path did not skip a fixture that is nowhere")
	})
}

func readMaybeGz(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil || !strings.HasSuffix(p, ".gz") {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
