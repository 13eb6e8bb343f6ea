package serve

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// copyRepo copies the shipped entries into a fresh repository.
func copyRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"detection-mle", "captioning-mle"} {
		copyDir(t, filepath.Join(shippedRepo, name, "1"), filepath.Join(dir, name, "1"))
	}
	return dir
}

// TestSwapUnderLoad: 20 reloads of the detection model while clients
// send requests (batched and not): no request fails, and every retired
// model is closed.
func TestSwapUnderLoad(t *testing.T) {
	for _, batch := range []BatchConfig{{}, {MaxBatchSize: 4, MaxQueueDelay: time.Millisecond}} {
		t.Run(fmt.Sprintf("batch=%d", batch.MaxBatchSize), func(t *testing.T) {
			dir := copyRepo(t)
			reg := ownRegistry(t, dir)
			s, ts := newServer(t, reg, Config{Batch: batch})
			t.Cleanup(func() { reg.Close() })
			img := detImage(t)
			ctx, stop := context.WithCancel(context.Background())
			var ok, failed atomic.Int64
			var wg sync.WaitGroup
			var firstErr atomic.Value
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						resp, err := http.Post(ts.URL+"/v1/detect", "image/png", bytes.NewReader(img))
						if err == nil {
							resp.Body.Close()
							if resp.StatusCode == 200 {
								ok.Add(1)
								continue
							}
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				}()
			}
			old := map[*Model]bool{}
			for range 20 {
				m, _ := reg.Lookup("detect", "mle")
				old[m] = true
				if err := s.LoadModel(context.Background(), "detection-mle"); err != nil {
					t.Fatal(err)
				}
			}
			stop()
			wg.Wait()
			s.WaitRetired()
			if failed.Load() > 0 || ok.Load() < 20 {
				t.Errorf("%d requests failed (first: %v), %d succeeded", failed.Load(), firstErr.Load(), ok.Load())
			}
			cur, _ := reg.Lookup("detect", "mle")
			if old[cur] || len(old) != 20 {
				t.Errorf("%d distinct models before the swaps; the current one among them: %v", len(old), old[cur])
			}
			for m := range old {
				if !m.refs.retired {
					t.Errorf("model %p not retired", m)
				}
			}
		})
	}
}

// TestReloadMemory: RSS after 50 reload cycles of both models stays
// within 10% of RSS after the first. Two things keep it flat: each
// retired model's close is followed by malloc_trim (trim_linux.go;
// without it RSS rose ~40% over the cycles, ONNX Runtime's freed load
// buffers staying in glibc's heap), and sessions run without ORT's CPU
// arena (runner.Options.NoArena; with the arena, +7.8% against +2.3%).
// Batching is on, as in deploy/, so each cycle also retires the models'
// batchers, whose goroutines must end with them.
func TestReloadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 reloads")
	}
	dir := copyRepo(t)
	reg := ownRegistry(t, dir)
	s, ts := newServer(t, reg, Config{Batch: BatchConfig{MaxBatchSize: 4}})
	t.Cleanup(func() { reg.Close() })
	img := detImage(t)
	cycle := func() {
		for _, name := range []string{"detection-mle", "captioning-mle"} {
			if err := s.LoadModel(context.Background(), name); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.Post(ts.URL+"/v1/detect", "image/png", bytes.NewReader(img))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("detect after reload: %v %v", resp, err)
		}
		resp.Body.Close()
		s.WaitRetired()
	}
	rss := func() int64 {
		runtime.GC()
		debug.FreeOSMemory()
		return rssKB()
	}
	cycle()
	first, goroutines := rss(), runtime.NumGoroutine()
	for i := range 49 {
		cycle()
		if os.Getenv("RV_RELOAD_TRACE") != "" && i%8 == 7 {
			t.Logf("cycle %d: RSS %d kB", i+2, rss())
		}
	}
	last := rss()
	t.Logf("RSS after 1 reload cycle %d kB, after 50 %d kB (%+.1f%%)", first, last, 100*float64(last-first)/float64(first))
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after 50 reload cycles, %d after the first: retired batchers left theirs", n, goroutines)
	}
	if first == 0 {
		t.Skip("no /proc/self/status")
	}
	if float64(last) > 1.10*float64(first) {
		t.Errorf("RSS grew from %d kB to %d kB over 49 reload cycles (> 10%%)", first, last)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

// TestRescan: a rescan loads a new model folder, reloads a changed one,
// unloads a removed one, and leaves alone what did not change (a model
// unloaded through the API stays unloaded).
func TestRescan(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join(shippedRepo, "detection-mle", "1"), filepath.Join(dir, "detection-mle", "1"))
	reg := ownRegistry(t, dir)
	s, _ := newServer(t, reg, Config{})
	t.Cleanup(func() { reg.Close() })
	ctx := context.Background()
	names := func() string {
		var out []string
		for _, m := range reg.Models() {
			out = append(out, fmt.Sprintf("%s/%d", m.Ref.Name, m.Ref.Version))
		}
		return fmt.Sprint(out)
	}
	det, _ := reg.Lookup("detect", "mle")
	if err := s.Rescan(ctx); err != nil || names() != "[detection-mle/1]" {
		t.Fatalf("unchanged: %v %s", err, names())
	}
	if m, _ := reg.Lookup("detect", "mle"); m != det {
		t.Error("an unchanged model was reloaded")
	}
	copyDir(t, filepath.Join(shippedRepo, "captioning-mle", "1"), filepath.Join(dir, "captioning-mle", "1"))
	if err := s.Rescan(ctx); err != nil || names() != "[captioning-mle/1 detection-mle/1]" {
		t.Fatalf("added: %v %s", err, names())
	}
	// A new version folder of detection: both versions load, the highest routes.
	copyDir(t, filepath.Join(shippedRepo, "detection-mle", "1"), filepath.Join(dir, "detection-mle", "2"))
	mf := filepath.Join(dir, "detection-mle", "2", "model.json")
	data := bytes.Replace(readFile(t, mf), []byte(`"version": 1`), []byte(`"version": 2`), 1)
	if err := os.WriteFile(mf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Rescan(ctx); err != nil || names() != "[captioning-mle/1 detection-mle/1 detection-mle/2]" {
		t.Fatalf("new version: %v %s", err, names())
	}
	if m, _ := reg.Lookup("detect", "mle"); m.Ref.Version != 2 {
		t.Errorf("detect routes to version %d, want 2", m.Ref.Version)
	}
	if err := os.RemoveAll(filepath.Join(dir, "captioning-mle")); err != nil {
		t.Fatal(err)
	}
	if err := s.Rescan(ctx); err != nil || names() != "[detection-mle/1 detection-mle/2]" {
		t.Fatalf("removed: %v %s", err, names())
	}
	if err := s.UnloadModel("detection-mle"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rescan(ctx); err != nil || names() != "[]" {
		t.Fatalf("unloaded through the API, then rescanned: %v %s", err, names())
	}
	s.WaitRetired()
}
