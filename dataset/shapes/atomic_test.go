package shapes

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateLosesNothing: a split is written beside --out and renamed
// into place when complete. A cancelled generation leaves the old split
// byte for byte and no temporary folder; a folder that is not a split is
// refused untouched; a split is replaced by the new one.
func TestGenerateLosesNothing(t *testing.T) {
	cfg := DefaultConfig()
	parent := t.TempDir()
	out := filepath.Join(parent, "val")
	if _, err := Generate(context.Background(), cfg, Options{Out: out, N: 6, Seed: 1, Split: "val", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	old := hashTree(t, out)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, cfg, Options{Out: out, N: 40, Seed: 2, Split: "val", Workers: 2})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing was written to "+out) {
		t.Fatalf("cancelled generation: err %v", err)
	}
	if now := hashTree(t, out); !maps.Equal(old, now) {
		t.Errorf("a failed generation changed %s", out)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries in %s after a failed generation, want only the split", len(entries), parent)
	}

	other := filepath.Join(parent, "notes")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "todo.txt"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), cfg, Options{Out: other, N: 2, Seed: 1, Split: "val", Workers: 1}); err == nil || !strings.Contains(err.Error(), "refusing to replace it") {
		t.Errorf("generation into a non-split folder: err %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(other, "todo.txt")); err != nil || string(b) != "keep me" {
		t.Errorf("the refused folder changed: %q %v", b, err)
	}

	if _, err := Generate(context.Background(), cfg, Options{Out: out, N: 3, Seed: 5, Split: "val", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	fresh := generate(t, cfg, 3, 5, "val", 1)
	if got, want := hashTree(t, out), hashTree(t, fresh); !maps.Equal(got, want) {
		t.Errorf("regenerating over a split: %d files, want exactly a fresh split's %d", len(got), len(want))
	}
}
