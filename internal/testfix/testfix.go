// Package testfix finds the reference fixtures for tests: the folder named
// by $RV_FIXTURES, else shared/fixtures found by walking up from the working
// directory (the checkout sits next to shared/ on dev machines), else the
// small copies kept in the repository under testdata/fixtures at the module
// root (RepoDir), which is all a clean clone or CI has. A fixture missing
// from the shared folder is also looked up in the repository's copies.
// Both folders have the same layout ("coco-det/real2/gt.json"), and every
// copied fixture file is stored once, there. It also damages generated
// splits in the ways the bad-input tests need.
package testfix

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the shared fixtures folder, or "" when there is none.
// $RV_FIXTURES wins when set, even when that folder is empty or missing
// (RV_FIXTURES=$(mktemp -d) runs the tests as on a clean clone).
func SharedDir() string {
	if d := os.Getenv("RV_FIXTURES"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "fixtures")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// repoDir is RepoDir, found once when the test binary starts (tests run in
// their package's directory, and some change it later).
var repoDir = findRepoDir()

func findRepoDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if exists(filepath.Join(dir, "go.mod")) {
			return filepath.Join(dir, "testdata", "fixtures")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// RepoDir returns the repository's copies of the small fixtures:
// testdata/fixtures next to go.mod ("" outside the module).
func RepoDir() string { return repoDir }

// Find returns fixture rel ("coco-det/real2/gt.json"): the shared file when
// present, else the repository's copy of rel or its gzipped copy rel+".gz",
// else "".
func Find(rel string) string {
	if p := Shared(rel); p != "" {
		return p
	}
	return repoCopy(rel)
}

// Path returns fixture rel as Find does. The test is skipped when there is
// neither a shared file nor a copy in the repository.
func Path(t testing.TB, rel string) string {
	t.Helper()
	if p := Find(rel); p != "" {
		return p
	}
	t.Skipf("fixture %s not found (not copied into %s; set RV_FIXTURES)", rel, repoDir)
	return ""
}

// Local returns the repository's copy of fixture rel (or rel+".gz"), even
// when the shared fixtures are present, failing the test when it is
// missing.
func Local(t testing.TB, rel string) string {
	t.Helper()
	if p := repoCopy(rel); p != "" {
		return p
	}
	t.Fatalf("fixture %s is not copied into %s", rel, repoDir)
	return ""
}

// Dir returns the fixture folder rel ("panoptic/small"): the shared folder
// when present, else the repository's copy. The test is skipped when
// neither exists.
func Dir(t testing.TB, rel string) string {
	t.Helper()
	if p := Shared(rel); p != "" {
		return p
	}
	if repoDir != "" {
		if p := filepath.Join(repoDir, filepath.FromSlash(rel)); exists(p) {
			return p
		}
	}
	t.Skipf("fixture %s not found (not copied into %s; set RV_FIXTURES)", rel, repoDir)
	return ""
}

// Shared returns the shared fixture rel (a file or folder), or "" when
// there is none (a clean clone without shared/).
func Shared(rel string) string {
	if d := SharedDir(); d != "" {
		if p := filepath.Join(d, filepath.FromSlash(rel)); exists(p) {
			return p
		}
	}
	return ""
}

// repoCopy returns the repository's copy of file rel or rel+".gz", or "".
func repoCopy(rel string) string {
	if repoDir == "" {
		return ""
	}
	p := filepath.Join(repoDir, filepath.FromSlash(rel))
	for _, p := range []string{p, p + ".gz"} {
		if exists(p) {
			return p
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// AddDanglingAnnotation appends to the COCO instances file at path a copy
// of its first annotation with id 9999 and image_id 777, an image no
// generated split has: the "annotation of an unknown image" bad input.
func AddDanglingAnnotation(t testing.TB, path string) {
	t.Helper()
	var doc map[string]any
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	anns := doc["annotations"].([]any)
	a := maps.Clone(anns[0].(map[string]any))
	a["id"], a["image_id"] = 9999, 777
	doc["annotations"] = append(anns, a)
	if data, err = json.Marshal(doc); err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Golden compares got with the golden file at path, first rewriting the
// file with got when update is set (a test's -update flag).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
