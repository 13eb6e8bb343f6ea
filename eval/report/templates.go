package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>rewardvision eval: {{.Task}}{{if .HasAB}} — {{.A}} vs {{.B}}{{end}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.better{color:#1a7f37;font-weight:600}.meta{color:#555;font-size:13px}
.ex{display:flex;gap:16px;flex-wrap:wrap;margin:12px 0;padding:8px;border:1px solid #e3e3e3}
.ex figure{margin:0}.ex figcaption{font-size:13px;max-width:240px}
.panel{background:#000}
</style></head><body>
<h1>Evaluation report: {{.Task}}{{if .HasAB}} — {{.A}} vs {{.B}}{{end}}</h1>
<p class="meta">Annotations <code>{{.Ann}}</code>, images <code>{{.Images}}</code>: {{.NImages}} images scored{{if .Skipped}}, {{.Skipped}} skipped (unreadable){{end}}.<br>
Reward: {{.Reward}}.</p>
<h2>Models</h2>
<table id="models"><tr><th>key</th><th>name</th><th>version</th><th>variant</th><th>entry</th></tr>
{{range .Models}}<tr><td>{{.Key}}</td><td>{{.Name}}</td><td>{{.Version}}</td><td>{{.Variant}}</td><td>{{.Entry}}</td></tr>
{{end}}</table>
<h2>Metrics</h2>
<table id="metrics"><tr><th>metric</th>{{range .Variants}}<th>{{.}}</th>{{end}}{{if .HasAB}}<th>Δ ({{.B}} − {{.A}})</th><th>95% CI</th><th></th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Metric}}</td>{{range .Values}}<td>{{.}}</td>{{end}}{{if $.HasAB}}<td>{{.Delta}}</td><td>{{.CI}}</td><td class="better">{{.Signif}}</td>{{end}}</tr>
{{end}}</table>
{{if .Definitions}}<table id="definitions"><tr><th>metric</th><th>definition</th></tr>
{{range .Definitions}}<tr><td>{{.Metric}}</td><td style="text-align:left">{{.Text}}</td></tr>
{{end}}</table>{{end}}
{{if .HasAB}}<p class="meta">Intervals: paired bootstrap over images ({{.Resamples}} resamples, seed {{.Seed}}); each resample recomputes the corpus metric of both models on the same image multiset.</p>
<h2>Per-image reward: win / tie / loss</h2>
<table id="wtl"><tr><th>{{.B}} vs {{.A}}</th><th>win</th><th>tie</th><th>loss</th></tr>
<tr><td>images</td><td>{{.WTL.Win}}</td><td>{{.WTL.Tie}}</td><td>{{.WTL.Loss}}</td></tr></table>{{end}}
<h2>Reward distribution</h2>
<div class="plot" id="hist">{{.HistSVG}}</div>
{{if .HasAB}}<div class="plot" id="delta">{{.DeltaSVG}}</div>{{end}}
{{if .Examples}}<h2>{{.ExamplesTitle}}</h2>
{{if .GridColumns}}<p class="meta">The same images in one figure: <a href="examples.png">examples.png</a> (columns: {{range $i, $c := .GridColumns}}{{if $i}} | {{end}}{{$c}}{{end}}).</p>
{{end}}{{range .Examples}}<div class="ex"><div><b>image {{.ImageID}}</b><br><span class="meta">{{.File}}</span>{{if $.HasAB}}<br>Δ reward {{.Diff}}{{end}}</div>
{{if .Input}}<figure>{{.Input}}<figcaption><b>{{index $.GridColumns 0}}</b></figcaption></figure>
{{end}}{{$ex := .}}{{range $i, $p := .Panels}}<figure>{{$p}}<figcaption><b>{{index $.Variants $i}}</b>: reward {{index $ex.Reward $i}}{{if $ex.Texts}}<br>“{{index $ex.Texts $i}}”{{end}}{{if $ex.Scores}}<br>{{index $ex.Scores $i}}{{end}}</figcaption></figure>{{end}}
{{if .Truth}}<figure>{{.Truth}}<figcaption><b>ground truth</b><br>{{.TruthScores}}</figcaption></figure>
{{end}}{{if .Refs}}<div class="meta">references:<br>{{range .Refs}}{{.}}<br>{{end}}</div>{{end}}</div>
{{end}}{{end}}
</body></html>
`))

// writeMarkdown writes the summary: metrics table, win/tie/loss, and the
// largest differences.
func writeMarkdown(w io.Writer, p *page) {
	title := p.Task
	if p.HasAB {
		title += " — " + p.B + " vs " + p.A
	}
	fmt.Fprintf(w, "# Evaluation: %s\n\n", title)
	fmt.Fprintf(w, "%d images scored", p.NImages)
	if p.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped", p.Skipped)
	}
	fmt.Fprintf(w, " (`%s`). Reward: %s.\n\n", p.Ann, p.Reward)
	head := []string{"metric"}
	head = append(head, p.Variants...)
	if p.HasAB {
		head = append(head, "Δ "+p.B+" − "+p.A, "95% CI", "")
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, r := range p.Rows {
		cells := append([]string{r.Metric}, r.Values...)
		if p.HasAB {
			cells = append(cells, r.Delta, r.CI, r.Signif)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	if p.HasAB {
		fmt.Fprintf(w, "\nPaired bootstrap, %d resamples, seed %d. Per-image reward, %s vs %s: %d wins, %d ties, %d losses.\n",
			p.Resamples, p.Seed, p.B, p.A, p.WTL.Win, p.WTL.Tie, p.WTL.Loss)
	}
	if len(p.Definitions) > 0 {
		fmt.Fprintf(w, "\n")
		for _, d := range p.Definitions {
			fmt.Fprintf(w, "- `%s`: %s\n", d.Metric, d.Text)
		}
	}
	fmt.Fprintf(w, "\n![per-image reward distribution](%s)\n", HistogramFile)
	if len(p.GridColumns) > 0 && len(p.Examples) > 0 {
		fmt.Fprintf(w, "\n![%s: %s](%s)\n", strings.ToLower(p.ExamplesTitle), strings.Join(p.GridColumns, " | "), GridFile)
	}
	if len(p.Examples) > 0 {
		if p.HasAB {
			fmt.Fprintf(w, "\n%s (report.html draws them):\n\n| image | %s | Δ |\n|---|%s---|\n",
				p.ExamplesTitle, strings.Join(p.Variants, " | "), strings.Repeat("---|", len(p.Variants)))
		} else {
			fmt.Fprintf(w, "\n%s (report.html draws them):\n\n| image | %s |\n|---|%s\n",
				p.ExamplesTitle, strings.Join(p.Variants, " | "), strings.Repeat("---|", len(p.Variants)))
		}
		for _, ex := range p.Examples {
			if p.HasAB {
				fmt.Fprintf(w, "| %d | %s | %s |\n", ex.ImageID, strings.Join(ex.Reward, " | "), ex.Diff)
			} else {
				fmt.Fprintf(w, "| %d | %s |\n", ex.ImageID, strings.Join(ex.Reward, " | "))
			}
		}
	}
}
