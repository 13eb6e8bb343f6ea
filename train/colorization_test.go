package train

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rewardvision/models/codec"
)

// A fresh run takes --vq even where a run stopped before its first
// checkpoint left another codebook; a resumed run keeps its own and refuses
// a --vq naming another.
func TestColorizationCodebookChoice(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, v float32) string {
		cb, err := codec.NewChroma(64, 8, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		cb.Centers[1][0] = v
		p := filepath.Join(dir, name)
		if err := codec.SaveChroma(cb, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := mk("a.json", 1), mk("b.json", 2)
	out := filepath.Join(dir, "run")
	s := &split{size: 64}
	load := func(p string) *codec.Chroma {
		cb, err := codec.LoadChroma(p)
		if err != nil {
			t.Fatal(err)
		}
		return cb
	}

	if _, err := newColorizationTask(&Config{OutDir: out, VQ: a}, s); err != nil {
		t.Fatal(err)
	}
	task, err := newColorizationTask(&Config{OutDir: out, VQ: b}, s) // fresh again: b replaces a
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(task.cb, load(b)) || !reflect.DeepEqual(load(filepath.Join(out, CodebookFile)), load(b)) {
		t.Fatalf("a fresh run with --vq b kept the stale codebook")
	}
	if task, err = newColorizationTask(&Config{OutDir: out, Resume: true}, s); err != nil || !reflect.DeepEqual(task.cb, load(b)) {
		t.Fatalf("resume without --vq: %v, want the saved codebook", err)
	}
	if _, err := newColorizationTask(&Config{OutDir: out, Resume: true, VQ: b}, s); err != nil {
		t.Fatalf("resume with the same --vq: %v", err)
	}
	if _, err := newColorizationTask(&Config{OutDir: out, Resume: true, VQ: a}, s); err == nil || !strings.Contains(err.Error(), "is not the codebook the run") {
		t.Fatalf("resume with another --vq: err %v", err)
	}
	if _, err := newColorizationTask(&Config{OutDir: filepath.Join(dir, "none")}, s); err == nil || !strings.Contains(err.Error(), "needs --vq") {
		t.Fatalf("fresh run without --vq: err %v", err)
	}
	if _, err := newColorizationTask(&Config{OutDir: out, VQ: a}, &split{size: 32}); err == nil || !strings.Contains(err.Error(), "the model reads 32²") {
		t.Fatalf("size mismatch: err %v", err)
	}
}
