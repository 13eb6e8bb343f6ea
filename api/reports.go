package api

import (
	"encoding/json"
	"time"
)

// Report is one batch-evaluation run folder (`rewardvision eval run
// --out DIR`) that the server's --reports folder holds, as GET
// /v1/reports lists it. Its files are served read-only at
// /reports/<name>/<file>.
type Report struct {
	Name     string          `json:"name"`              // the folder, relative to --reports ("a" or "a/b")
	Modified time.Time       `json:"modified"`          // of metrics.json, else of report.html
	Files    []string        `json:"files"`             // those of ReportFiles present, in that order
	Metrics  json.RawMessage `json:"metrics,omitempty"` // metrics.json as written, when present and valid JSON
}

// ReportFiles are the files of a run folder the server serves; nothing
// else in --reports is reachable.
var ReportFiles = []string{"report.html", "report.md", "metrics.json", "run.json"}

// ReportsResponse is the answer of GET /v1/reports: newest first. Dir is
// false when the server has no --reports folder.
type ReportsResponse struct {
	Dir     bool     `json:"dir"`
	Reports []Report `json:"reports"`
}
