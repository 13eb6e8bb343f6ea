// Package testfix finds the shared reference fixtures for tests: the
// folder named by $RV_FIXTURES, else shared/fixtures found by walking up
// from the working directory (the checkout sits next to shared/), else the
// small copies under the test's own testdata/fixtures. It also damages
// generated splits in the ways the bad-input tests need.
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

// Path returns fixture rel ("coco-det/real2/gt.json"): the shared file when
// present, else testdata/fixtures/rel or its gzipped copy rel+".gz".
// The test is skipped when neither exists.
func Path(t testing.TB, rel string) string {
	t.Helper()
	if d := SharedDir(); d != "" {
		p := filepath.Join(d, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, p := range []string{
		filepath.Join("testdata", "fixtures", filepath.FromSlash(rel)),
		filepath.Join("testdata", "fixtures", filepath.FromSlash(rel)+".gz"),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("fixture %s not found (set RV_FIXTURES)", rel)
	return ""
}

// Local returns testdata/fixtures/rel (or rel+".gz"), the copy kept with
// the package, failing the test when it is missing.
func Local(t testing.TB, rel string) string {
	t.Helper()
	for _, p := range []string{
		filepath.Join("testdata", "fixtures", filepath.FromSlash(rel)),
		filepath.Join("testdata", "fixtures", filepath.FromSlash(rel)+".gz"),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("testdata copy of fixture %s is missing", rel)
	return ""
}

// Dir returns the fixture folder rel ("panoptic/small") under SharedDir when
// present, else the package's own copy local (relative to the package
// directory). The test is skipped when neither exists.
func Dir(t testing.TB, rel, local string) string {
	t.Helper()
	if d := SharedDir(); d != "" {
		if p := filepath.Join(d, filepath.FromSlash(rel)); exists(p) {
			return p
		}
	}
	if exists(local) {
		return local
	}
	t.Skipf("fixture %s not found (no shared copy, no %s; set RV_FIXTURES)", rel, local)
	return ""
}

// Shared returns the shared fixture rel, or "" when there is none (a clean
// clone without shared/).
func Shared(rel string) string {
	if d := SharedDir(); d != "" {
		if p := filepath.Join(d, filepath.FromSlash(rel)); exists(p) {
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
