package serve

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"rewardvision/api"
	"rewardvision/assets"
)

// The web page (GET /): plain HTML, CSS and JavaScript embedded in the
// binary, no build step and nothing fetched from elsewhere. It speaks to
// the server only through the public API (/v1/...), the sample images
// (/samples/...) and the eval reports (/reports/...).
//
//go:embed web
var webFiles embed.FS

// pageCSP keeps the page to its own origin: it loads nothing from the
// network, and uploaded images are shown from blob: and data: URLs.
const pageCSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reportCSP: an eval report is one self-contained file (inline style,
// data: images); it may run no script and load nothing.
const reportCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"

var webFS = mustSub(webFiles, "web")

var samplesFS = mustSub(assets.Samples, "samples")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(fmt.Sprintf("embedded %s: %v", dir, err)) // a build mistake, not a run-time condition
	}
	return sub
}

// staticFiles serves an embedded folder under prefix with the page's
// headers; a missing file is the JSON 404 envelope like any other route.
func (s *Server) staticFiles(fsys fs.FS, prefix string) gin.HandlerFunc {
	files := http.StripPrefix(prefix, http.FileServerFS(fsys))
	return func(c *gin.Context) {
		name := strings.TrimPrefix(c.Param("file"), "/")
		if st, err := fs.Stat(fsys, name); name == "" || err != nil || st.IsDir() {
			s.writeError(c, errorf(ErrNotFound, "no file %s", c.Request.URL.Path))
			return
		}
		pageHeaders(c)
		files.ServeHTTP(c.Writer, c.Request)
	}
}

func pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	// The page is small and changes with the binary: revalidate always.
	h.Set("Cache-Control", "no-cache")
}

// page is GET /: the page's HTML.
func (s *Server) page(c *gin.Context) {
	data, err := fs.ReadFile(webFS, "index.html")
	if err != nil {
		s.writeError(c, fmt.Errorf("web page: %w", err))
		return
	}
	pageHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", data)
}

// maxReports bounds a listing: a --reports folder is a handful of runs,
// and a mistaken one (a home directory) must not make every page load
// walk it whole.
const maxReports = 500

// listReports is GET /v1/reports: the run folders of --reports.
func (s *Server) listReports(*gin.Context) (any, error) {
	out := api.ReportsResponse{Dir: s.cfg.Reports != "", Reports: []api.Report{}}
	if s.cfg.Reports == "" {
		return out, nil
	}
	reps, err := scanReports(s.cfg.Reports)
	if err != nil {
		return nil, err
	}
	out.Reports = reps
	return out, nil
}

// scanReports finds the run folders in dir: dir itself and the folders
// up to two levels below it that hold any of api.ReportFiles. Hidden
// folders and symbolic links to folders are not entered.
func scanReports(dir string) ([]api.Report, error) {
	var out []api.Report
	var visit func(rel string, depth int) error
	visit = func(rel string, depth int) error {
		if len(out) >= maxReports {
			return nil
		}
		abs := filepath.Join(dir, filepath.FromSlash(rel))
		if r, ok := readReport(abs, rel); ok {
			out = append(out, r)
		}
		if depth == 2 {
			return nil
		}
		ents, err := os.ReadDir(abs)
		if err != nil {
			if rel == "" {
				return fmt.Errorf("reports folder: %w", err)
			}
			return nil // a subfolder that went away or is unreadable: not a report
		}
		for _, e := range ents {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if err := visit(path.Join(rel, e.Name()), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit("", 0); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Modified.Equal(out[j].Modified) {
			return out[i].Modified.After(out[j].Modified)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// readReport describes the run folder abs (named rel), or says it is none.
func readReport(abs, rel string) (api.Report, bool) {
	r := api.Report{Name: rel, Files: []string{}}
	for _, f := range api.ReportFiles {
		st, err := os.Stat(filepath.Join(abs, f))
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		r.Files = append(r.Files, f)
		if f == "metrics.json" || (f == "report.html" && r.Modified.IsZero()) {
			r.Modified = st.ModTime().UTC()
		}
	}
	// run.json alone is a run still going or a shard: no report yet.
	if !slices.Contains(r.Files, "report.html") && !slices.Contains(r.Files, "metrics.json") {
		return r, false
	}
	if data, err := os.ReadFile(filepath.Join(abs, "metrics.json")); err == nil && json.Valid(data) {
		r.Metrics = data
	}
	return r, true
}

// reportFile is GET /reports/<name>/<file>: one of api.ReportFiles of a
// run folder that the listing holds. Only names from the listing are
// joined to the folder, so no request reaches a file outside it.
func (s *Server) reportFile(c *gin.Context) {
	if err := s.serveReportFile(c); err != nil {
		s.writeError(c, err)
	}
}

func (s *Server) serveReportFile(c *gin.Context) error {
	p := strings.TrimPrefix(c.Param("path"), "/")
	if s.cfg.Reports == "" {
		return errorf(ErrNotFound, "no reports: the server runs without --reports")
	}
	name, file := path.Split(p)
	name = strings.TrimSuffix(name, "/")
	if !slices.Contains(api.ReportFiles, file) {
		return errorf(ErrNotFound, "no report file %q (the server serves %s)", p, strings.Join(api.ReportFiles, ", "))
	}
	reps, err := scanReports(s.cfg.Reports)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(reps, func(r api.Report) bool { return r.Name == name })
	if i < 0 || !slices.Contains(reps[i].Files, file) {
		return errorf(ErrNotFound, "no report %q", p)
	}
	data, err := os.ReadFile(filepath.Join(s.cfg.Reports, filepath.FromSlash(reps[i].Name), file))
	if errors.Is(err, fs.ErrNotExist) {
		return errorf(ErrNotFound, "no report %q", p)
	} else if err != nil {
		return fmt.Errorf("report %s: %w", p, err)
	}
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	ct := "application/json"
	switch path.Ext(file) {
	case ".html":
		ct = "text/html; charset=utf-8"
		h.Set("Content-Security-Policy", reportCSP)
	case ".md":
		// Shown as text in the browser rather than downloaded.
		ct = "text/plain; charset=utf-8"
	}
	c.Data(http.StatusOK, ct, data)
	return nil
}
