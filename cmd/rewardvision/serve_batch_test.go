package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyEntry copies a shipped repository entry into repo.
func copyEntry(t *testing.T, repo, name string) {
	t.Helper()
	if err := os.CopyFS(filepath.Join(repo, name, "1"), os.DirFS(filepath.Join(testRepo, name, "1"))); err != nil {
		t.Fatal(err)
	}
}

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if last = resp.StatusCode; last == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %d after %v, want %d", url, last, within, want)
}

// TestServeSIGHUP: SIGHUP makes `rewardvision serve` load a model folder
// added to its repository, without a restart; SIGTERM still exits 0.
func TestServeSIGHUP(t *testing.T) {
	repo := t.TempDir()
	copyEntry(t, repo, "detection-mle")
	cmd, addr := startServe(t, nil, "--repo", repo, "--max-batch-size", "4", "--ort-arena=false")
	waitStatus(t, addr+"/v2/health/ready", 200, 30*time.Second)
	waitStatus(t, addr+"/v2/models/captioning-mle/ready", 404, time.Second)

	copyEntry(t, repo, "captioning-mle")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, addr+"/v2/models/captioning-mle/ready", 200, 30*time.Second)

	stopServe(t, cmd)
}

// TestBenchServeBatching: with batching the table adds the unbatched
// server's numbers, the gain, the mean batch (images per encoder call)
// and the mean rows per decoder step; each side reports its CPU time per
// request.
func TestBenchServeBatching(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "bench", "serve", "--repo", testRepo, "--duration", "1s", "--concurrency", "2",
		"--tasks", "detect", "--detect-image", testImage, "--max-batch-size", "4", "--max-inflight", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "batching gain") || !strings.Contains(lines[0], "mean batch") || !strings.Contains(lines[0], "rows/step") {
		t.Fatalf("table %q", stdout)
	}
	f := strings.Fields(lines[1])
	if len(f) != 15 || f[0] != "detect" || f[13] == "0.0" || f[14] == "0.0" {
		t.Fatalf("row %q", lines[1])
	}
	for _, col := range []int{8, 11} { // cpu ms/req of each side
		if v, err := strconv.ParseFloat(f[col], 64); err != nil || v <= 0 {
			t.Errorf("column %d: cpu ms/req %q, want > 0", col, f[col])
		}
	}
	for _, bad := range [][]string{{"--max-batch-size", "0"}, {"--model-batching", "x:max=0"}, {"--preferred-batch-sizes", "a"}, {"--batch-idle-release", "0s"}, {"--batch-idle-release", "x"}} {
		if _, _, code := runCLI(t, nil, append([]string{"bench", "serve", "--concurrency", "1"}, bad...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
