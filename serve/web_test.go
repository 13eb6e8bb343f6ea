package serve

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"rewardvision/api"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func wantNotFound(t *testing.T, url string) {
	t.Helper()
	resp, data := get(t, url)
	var env api.ErrorBody
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(data, &env) != nil || env.Error.Code != api.CodeNotFound {
		t.Errorf("GET %s: %d %s, want the 404 envelope", url, resp.StatusCode, data)
	}
}

func TestWebPage(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	resp, data := get(t, ts.URL+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != pageCSP {
		t.Errorf("CSP %q", got)
	}
	for _, want := range []string{`<script src="/web/app.js" defer></script>`, `<link rel="stylesheet" href="/web/style.css">`,
		`<label for="file">`, `<input id="file" name="file" type="file" accept="image/*">`, `<label for="task">Task</label>`,
		`<input id="score" type="range"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Every <input> and <select> has a label that names it.
	for _, m := range regexp.MustCompile(`<(?:input|select) id="([^"]+)"`).FindAllSubmatch(data, -1) {
		if !bytes.Contains(data, []byte(`<label for="`+string(m[1])+`"`)) {
			t.Errorf("control #%s has no label", m[1])
		}
	}
	for _, tc := range []struct{ path, ctype string }{
		{"/web/app.js", "text/javascript; charset=utf-8"},
		{"/web/style.css", "text/css; charset=utf-8"},
	} {
		resp, body := get(t, ts.URL+tc.path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype || len(body) == 0 {
			t.Errorf("GET %s: %d %q, %d bytes", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	for _, p := range []string{"/web/", "/web/nope.js", "/web/../serve.go", "/samples/", "/samples/nope.png"} {
		wantNotFound(t, ts.URL+p)
	}
}

// TestWebNoNetwork: the page loads nothing from elsewhere. The only URL
// in its files is the SVG namespace name, which is never fetched.
func TestWebNoNetwork(t *testing.T) {
	err := fs.WalkDir(webFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(webFS, p)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(data), `"http://www.w3.org/2000/svg"`, "")
		if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(s); m != "" {
			t.Errorf("%s references %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWebSamples(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	_, data := get(t, ts.URL+"/samples/samples.json")
	var list struct {
		Samples []struct {
			File, Task, World, Reference string
			Objects                      []string
		} `json:"samples"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range list.Samples {
		files = append(files, s.File)
		if s.Task != api.TaskDetect && s.Task != api.TaskCaption && s.Task != api.TaskPanoptic || s.Reference == "" || len(s.Objects) == 0 {
			t.Errorf("sample %+v", s)
		}
		resp, img := get(t, ts.URL+"/samples/"+s.File)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("%s: %d %s", s.File, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil || cfg.Width != 64 || cfg.Height != 64 {
			t.Errorf("%s: %v %dx%d, want a 64x64 PNG", s.File, err, cfg.Width, cfg.Height)
		}
	}
	want := []string{"detection-1.png", "detection-2.png", "detection-3.png", "detection-4.png",
		"captioning-1.png", "captioning-2.png", "captioning-3.png", "captioning-4.png",
		"panoptic-1.png", "panoptic-2.png", "panoptic-3.png", "panoptic-4.png"}
	if !slices.Equal(files, want) {
		t.Errorf("samples %v, want %v", files, want)
	}
}

// reportsDir lays out a --reports folder: two run folders (one nested), a
// run still going (run.json only), a hidden folder, a file beside them,
// and a link to a folder outside.
func reportsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, data string, mod time.Time) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	newer := old.Add(time.Hour)
	write("detection-ab/report.html", "<!doctype html><title>r</title><p>detection report</p>", old)
	write("detection-ab/report.md", "# detection report\n", old)
	write("detection-ab/metrics.json", `{"task":"detection","images":2,"variants":{"mle":{"AP":0.5,"reward":0.6}}}`, old)
	write("detection-ab/run.json", `{}`, old)
	write("detection-ab/mle/outputs.jsonl", "{}\n", old)
	write("2026-12/captions/metrics.json", `{"task":"captioning","images":3}`, newer)
	write("going/run.json", `{}`, newer)
	write(".hidden/report.html", "hidden", newer)
	write("secret.txt", "secret", newer)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "report.html"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWebReports(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	var none api.ReportsResponse
	_, data := get(t, ts.URL+"/v1/reports")
	if err := json.Unmarshal(data, &none); err != nil || none.Dir || none.Reports == nil || len(none.Reports) != 0 {
		t.Errorf("without --reports: %s", data)
	}
	wantNotFound(t, ts.URL+"/reports/x/report.html")

	_, ts = newServer(t, nil, Config{Reports: reportsDir(t)})
	var got api.ReportsResponse
	_, data = get(t, ts.URL+"/v1/reports")
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got.Reports {
		names = append(names, r.Name)
	}
	if !got.Dir || !slices.Equal(names, []string{"2026-12/captions", "detection-ab"}) {
		t.Fatalf("reports %s", data)
	}
	if r := got.Reports[1]; !slices.Equal(r.Files, []string{"report.html", "report.md", "metrics.json", "run.json"}) ||
		!r.Modified.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) ||
		string(r.Metrics) != `{"task":"detection","images":2,"variants":{"mle":{"AP":0.5,"reward":0.6}}}` {
		t.Errorf("detection-ab: %+v (metrics %s)", r, r.Metrics)
	}
	if r := got.Reports[0]; !slices.Equal(r.Files, []string{"metrics.json"}) {
		t.Errorf("2026-12/captions: %+v", r)
	}

	resp, body := get(t, ts.URL+"/reports/detection-ab/report.html")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Content-Security-Policy") != reportCSP || !strings.Contains(string(body), "detection report") {
		t.Errorf("report.html: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, ts.URL+"/reports/detection-ab/report.md")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || string(body) != "# detection report\n" {
		t.Errorf("report.md: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, _ = get(t, ts.URL+"/reports/2026-12/captions/metrics.json")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("nested metrics.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Nothing but the listed folders' report files is reachable.
	for _, p := range []string{
		"/reports/detection-ab/mle/outputs.jsonl", "/reports/detection-ab/", "/reports/secret.txt",
		"/reports/detection-ab/../secret.txt", "/reports/detection-ab/%2e%2e/secret.txt", "/reports/going/run.json",
		"/reports/.hidden/report.html", "/reports/linked/report.html", "/reports/2026-12/captions/report.html",
		"/reports/report.html", "/reports//etc/passwd",
	} {
		wantNotFound(t, ts.URL+p)
	}
}

func TestWebReportsFolderGone(t *testing.T) {
	_, ts := newServer(t, nil, Config{Reports: filepath.Join(t.TempDir(), "gone")})
	resp, data := get(t, ts.URL+"/v1/reports")
	var env api.ErrorBody
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(data, &env) != nil || env.Error.Code != api.CodeInternal {
		t.Errorf("missing folder: %d %s", resp.StatusCode, data)
	}
}
