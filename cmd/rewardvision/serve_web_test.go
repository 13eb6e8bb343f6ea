package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rewardvision/api"
)

// TestServeReportsFlag: a --reports that is not a folder is a usage
// error, named, before anything loads.
func TestServeReportsFlag(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	_, stderr, code := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--repo", testRepo, "--reports", missing)
	if code != 2 || !strings.Contains(stderr, "--reports "+missing+": not a folder") {
		t.Errorf("missing --reports: exit %d, %s", code, stderr)
	}
	_, stderr, code = runCLI(t, []string{"RV_REPORTS=" + missing}, "serve", "--addr", "127.0.0.1:0", "--repo", testRepo)
	if code != 2 || !strings.Contains(stderr, "not a folder") {
		t.Errorf("missing RV_REPORTS: exit %d, %s", code, stderr)
	}
}

// TestServeWebPage: the binary serves the page at / and the reports of
// RV_REPORTS (the environment fallback of --reports).
func TestServeWebPage(t *testing.T) {
	reports := t.TempDir()
	run := filepath.Join(reports, "detection-ab")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"report.html": "<!doctype html><p>ab", "metrics.json": `{"task":"detection"}`} {
		if err := os.WriteFile(filepath.Join(run, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, addr := startServe(t, []string{"RV_REPORTS=" + reports}, "--repo", testRepo)

	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(data)
	}
	if code, ct, body := get("/"); code != 200 || ct != "text/html; charset=utf-8" || !strings.Contains(body, `<script src="/web/app.js" defer></script>`) {
		t.Errorf("GET /: %d %s %.200s", code, ct, body)
	}
	code, _, body := get("/v1/reports")
	var list api.ReportsResponse
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || !list.Dir || len(list.Reports) != 1 ||
		list.Reports[0].Name != "detection-ab" || strings.Join(list.Reports[0].Files, ",") != "report.html,metrics.json" {
		t.Errorf("GET /v1/reports: %d %s", code, body)
	}
	if code, ct, body := get("/reports/detection-ab/report.html"); code != 200 || ct != "text/html; charset=utf-8" || body != "<!doctype html><p>ab" {
		t.Errorf("report.html: %d %s %q", code, ct, body)
	}
}
