package serve

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/internal/testfix"
)

// webShots, when set, keeps every screenshot the browser tests take (the
// README's picture of the page comes from here); on a failure they are
// kept anyway, in RV_TEST_ARTIFACTS or a new temporary folder.
var webShots = flag.String("webshots", "", "write the web page tests' screenshots to this folder")

type shots struct {
	t     *testing.T
	b     *browser
	taken map[string][]byte
	order []string
}

// keepShots screenshots the page when the test fails (and names what it
// took along the way), so a failure can be looked at.
func keepShots(t *testing.T, b *browser) *shots {
	s := &shots{t: t, b: b, taken: map[string][]byte{}}
	t.Cleanup(func() {
		dir := *webShots
		if t.Failed() {
			if shot, err := b.screenshot(true); err == nil {
				s.add("failure", shot)
			}
			if dir == "" {
				dir = os.Getenv("RV_TEST_ARTIFACTS")
			}
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "rewardvision-web-"); err != nil {
					t.Log(err)
					return
				}
			}
			t.Logf("page log:\n%s", strings.Join(b.pageLog(), "\n"))
		}
		if dir == "" {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Log(err)
			return
		}
		for _, name := range s.order {
			p := filepath.Join(dir, t.Name()+"-"+name+".png")
			if err := os.WriteFile(p, s.taken[name], 0o644); err != nil {
				t.Log(err)
			} else {
				t.Logf("screenshot %s", p)
			}
		}
	})
	return s
}

func (s *shots) add(name string, data []byte) {
	if _, ok := s.taken[name]; !ok {
		s.order = append(s.order, name)
	}
	s.taken[name] = data
}

// take screenshots the page now and checks it is not blank.
func (s *shots) take(name string, full bool) {
	s.t.Helper()
	data, err := s.b.screenshot(full)
	if err != nil {
		s.t.Fatal(err)
	}
	s.add(name, data)
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	if n := distinctColours(img); n < 100 {
		s.t.Errorf("screenshot %s has %d distinct colours: the page did not render", name, n)
	}
}

func distinctColours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	return len(seen)
}

// setControl sets a form control as a person would and fires its events.
func (b *browser) setControl(id, value string) {
	b.t.Helper()
	b.js(nil, `(() => { const e = document.getElementById(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value)
}

// lastResponse is the JSON block of the page: the server's answer as the
// page received it.
func (b *browser) lastResponse(out any) {
	b.t.Helper()
	var text string
	b.js(&text, `document.getElementById("json").textContent`)
	if err := json.Unmarshal([]byte(text), out); err != nil {
		b.t.Fatalf("JSON block %q: %v", text, err)
	}
}

// shown fails the test unless every element matching selector is laid
// out with a size (present in the DOM is not enough: it may be hidden).
func (b *browser) shown(selector string) {
	b.t.Helper()
	var sizes []float64
	b.js(&sizes, `[...document.querySelectorAll(%q)].map(e => { const r = e.getBoundingClientRect(); return r.width * r.height; })`, selector)
	if len(sizes) == 0 {
		b.t.Errorf("nothing matches %s", selector)
	}
	for i, a := range sizes {
		if a == 0 {
			b.t.Errorf("%s #%d is not shown", selector, i)
		}
	}
}

// idle is true when the page has no request running (and has drawn the
// last answer).
const idle = `document.body.dataset.inflight === "0"`

// runAndWait makes the page's next answer recognisable: once the page is
// idle it clears the JSON block, does act, and waits until the block
// holds an answer again and the page is idle.
func (b *browser) runAndWait(what string, act func()) {
	b.t.Helper()
	b.waitFor("the page to be idle", idle)
	b.js(nil, `document.getElementById("json").textContent = ""`)
	act()
	b.waitFor(what, `document.getElementById("json").textContent !== "" && `+idle)
}

// TestWebBrowser drives the page in headless Chromium against a server on
// a loopback port with two variants per task: it uploads fixture images
// for detection and captioning and checks what is drawn against the
// server's own answers, then the compare view, a sample click, the
// readable errors, the models and reports pages, keyboard focus and a
// narrow window.
func TestWebBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chromium")
	}
	reg := abRegistry(t)
	_, ts := newServer(t, reg, Config{Reports: reportsDir(t)})
	b := startBrowser(t, 1280, 900)
	shots := keepShots(t, b)

	b.navigate(ts.URL + "/")
	b.waitFor("the page to start", `document.body.dataset.ready === "true"`)
	var options []string
	b.js(&options, `[...document.querySelectorAll("#task option")].map(o => o.value + "=" + o.textContent)`)
	if want := []string{"detect=Detection", "caption=Captioning", "panoptic=Panoptic segmentation (no model yet)",
		"colorize=Colorization (no model yet)"}; !equalStrings(options, want) {
		t.Errorf("task options %q, want %q", options, want)
	}
	b.js(&options, `[...document.querySelectorAll("#variant option")].map(o => o.value)`)
	if want := []string{"", "mle", "reward", "compare"}; !equalStrings(options, want) {
		t.Errorf("variant options %q, want %q", options, want)
	}
	// The sample images: a group per world, four each, every button
	// titled with what its image holds (objects, or the caption world's
	// reference).
	var groups []struct {
		Title  string   `json:"title"`
		Files  []string `json:"files"`
		Titles []string `json:"titles"`
	}
	b.js(&groups, `[...document.querySelectorAll("#samples .sample-group")].map(g => ({title: g.querySelector("h3").textContent,
		files: [...g.querySelectorAll(".sample")].map(e => e.dataset.file), titles: [...g.querySelectorAll(".sample")].map(e => e.title)}))`)
	var gotGroups []string
	titles := map[string]string{}
	for _, g := range groups {
		gotGroups = append(gotGroups, g.Title)
		if len(g.Files) != 4 || len(g.Titles) != 4 {
			t.Errorf("sample group %q: %q, want four", g.Title, g.Files)
			continue
		}
		for i, f := range g.Files {
			titles[f] = g.Titles[i]
		}
	}
	if want := []string{"Detection world", "Captioning world", "Panoptic world"}; !equalStrings(gotGroups, want) {
		t.Errorf("sample groups %q, want %q", gotGroups, want)
	}
	for f, want := range map[string]string{"detection-1.png": "detection-1.png: cross, cross",
		"captioning-2.png": "captioning-2.png: two circles a crescent and an arrow",
		"panoptic-2.png":   "panoptic-2.png: circle, crescent, circle, arrow"} {
		if titles[f] != want {
			t.Errorf("sample %s titled %q, want %q", f, titles[f], want)
		}
	}

	// Detection: upload through the file input.
	detPath := "testdata/images/shapes-det.png"
	b.setControl("task", api.TaskDetect)
	b.setControl("variant", "mle")
	b.runAndWait("the detection answer", func() { b.setFiles("#file", detPath) })
	var det api.DetectResponse
	b.lastResponse(&det)
	want := directDetect(t, ts.URL, detImage(t), "variant=mle")
	if len(det.Detections) == 0 || !sameDetections(det.Detections, want.Detections) {
		t.Fatalf("page got %+v, the server answers %+v", det.Detections, want.Detections)
	}
	var drawn struct {
		Boxes  int      `json:"boxes"`
		Labels []string `json:"labels"`
		Count  string   `json:"count"`
		Meta   string   `json:"meta"`
		Curl   string   `json:"curl"`
		Stages []string `json:"stages"`
		Title  string   `json:"title"`
	}
	b.js(&drawn, `(() => { const c = document.querySelector("#results .result");
		return {boxes: c.querySelectorAll("svg .box").length,
			labels: [...c.querySelectorAll("svg .box text")].map(e => e.textContent),
			count: c.querySelector(".count").textContent, meta: c.querySelector(".meta").textContent,
			curl: document.getElementById("curl").textContent, title: c.querySelector("h3").textContent,
			stages: [...c.querySelectorAll("table.timing tbody tr")].map(r => r.dataset.stage)}; })()`)
	var labels []string
	for _, d := range det.Detections {
		labels = append(labels, fmt.Sprintf("%s %.2f", d.Label, d.Score))
	}
	if drawn.Boxes != len(det.Detections) || !equalStrings(drawn.Labels, labels) {
		t.Errorf("drawn %d boxes %q, the answer has %d: %q", drawn.Boxes, drawn.Labels, len(det.Detections), labels)
	}
	n := len(det.Detections)
	if want := fmt.Sprintf("%d of %d boxes shown (score ≥ 0.00)", n, n); drawn.Count != want {
		t.Errorf("count %q, want %q", drawn.Count, want)
	}
	if drawn.Title != "detection-mle v1 mle" || drawn.Meta != "detection · image 64×64 png · greedy" {
		t.Errorf("title %q, meta %q", drawn.Title, drawn.Meta)
	}
	if want := "curl -F image=@shapes-det.png '" + ts.URL + "/v1/detect?variant=mle'"; drawn.Curl != want {
		t.Errorf("curl %q, want %q", drawn.Curl, want)
	}
	if !equalStrings(drawn.Stages, []string{"decode", "preprocess", "queue", "inference", "postprocess", "total"}) {
		t.Errorf("timing stages %q", drawn.Stages)
	}
	b.shown("#results .result svg .box")
	shots.take("detect", false)

	// The slider filters the boxes live: just above the lowest score, the
	// lowest box goes.
	lowest := det.Detections[0].Score
	for _, d := range det.Detections {
		lowest = min(lowest, d.Score)
	}
	b.setControl("score", fmt.Sprintf("%.2f", math.Floor(lowest*100)/100+0.01))
	var visible struct{ Boxes, Rows int }
	b.js(&visible, `(() => { const c = document.querySelector("#results .result"), t = Number(document.getElementById("score").value);
		return {boxes: [...c.querySelectorAll("svg .box")].filter(g => g.getAttribute("display") !== "none").length,
			rows: [...c.querySelectorAll("table.dets tbody tr")].filter(r => !r.hidden).length}; })()`)
	var sliderValue float64
	b.js(&sliderValue, `Number(document.getElementById("score").value)`)
	above := 0
	for _, d := range det.Detections {
		if d.Score >= sliderValue {
			above++
		}
	}
	if visible.Boxes != above || visible.Rows != above || above >= n {
		t.Errorf("slider at %.2f: %d boxes and %d rows shown, want %d", sliderValue, visible.Boxes, visible.Rows, above)
	}
	b.setControl("score", "0")

	// Compare: every variant side by side, on the same image.
	b.runAndWait("the compare answer", func() { b.setControl("variant", "compare") })
	var cmp api.CompareResponse[api.DetectResponse]
	b.lastResponse(&cmp)
	var cols []struct {
		Variant string `json:"variant"`
		Boxes   int    `json:"boxes"`
	}
	b.js(&cols, `[...document.querySelectorAll("#results .result")].map(c => ({variant: c.dataset.variant, boxes: c.querySelectorAll("svg .box").length}))`)
	if len(cmp.Results) != 2 || len(cols) != 2 {
		t.Fatalf("compare: %d results, %d columns, want 2 and 2", len(cmp.Results), len(cols))
	}
	for i, c := range cols {
		if c.Variant != cmp.Results[i].Model.Variant || c.Boxes != len(cmp.Results[i].Detections) {
			t.Errorf("column %d: %+v, the answer: %s with %d boxes", i, c, cmp.Results[i].Model.Variant, len(cmp.Results[i].Detections))
		}
	}
	if cols[0].Variant != "mle" || cols[1].Variant != "reward" {
		t.Errorf("columns %+v, want mle then reward", cols)
	}
	b.shown("#results .result svg")
	shots.take("compare", false)

	// A real COCO photo of the fixtures, where present (the repository copies
	// only the other one): boxes in its pixels.
	if photo := testfix.Find("coco-det/real2/images/000000142238.jpg"); photo != "" {
		b.runAndWait("the answer after the variant changed", func() { b.setControl("variant", "mle") })
		b.runAndWait("the photo's answer", func() { b.setFiles("#file", photo) })
		var got api.DetectResponse
		b.lastResponse(&got)
		var boxes int
		var meta string
		b.js(&boxes, `document.querySelectorAll("#results .result svg .box").length`)
		b.js(&meta, `document.querySelector("#results .result .meta").textContent`)
		if boxes != len(got.Detections) || meta != "detection · image 640×427 jpeg · greedy" {
			t.Errorf("photo: %d boxes drawn for %d, meta %q", boxes, len(got.Detections), meta)
		}
		shots.take("photo", false)
	}

	// Captioning with three sampled candidates and a seed.
	b.runAndWait("the answer after the task changed", func() { b.setControl("task", api.TaskCaption) })
	b.runAndWait("the answer after the variant changed", func() { b.setControl("variant", "mle") })
	b.setControl("num_samples", "3")
	b.setControl("seed", "7")
	b.runAndWait("the caption answer", func() { b.setFiles("#file", "testdata/images/shapes-cap.png") })
	var capResp api.CaptionResponse
	b.lastResponse(&capResp)
	wantCap := directCaption(t, ts.URL, capImage(t), "variant=mle&num_samples=3&seed=7")
	if capResp.Caption != wantCap.Caption || len(capResp.Candidates) != 3 {
		t.Errorf("page caption %q (%d candidates), the server answers %q", capResp.Caption, len(capResp.Candidates), wantCap.Caption)
	}
	var capDrawn struct {
		Caption    string   `json:"caption"`
		Candidates []string `json:"candidates"`
		Curl       string   `json:"curl"`
	}
	b.js(&capDrawn, `({caption: document.querySelector("#results .result q.caption").textContent,
		candidates: [...document.querySelectorAll("#results .result table.candidates tbody tr td.cand")].map(e => e.textContent),
		curl: document.getElementById("curl").textContent})`)
	var cands []string
	for _, c := range capResp.Candidates {
		cands = append(cands, c.Caption)
	}
	if capDrawn.Caption != capResp.Caption || !equalStrings(capDrawn.Candidates, cands) {
		t.Errorf("drawn caption %q, candidates %q; the answer: %q, %q", capDrawn.Caption, capDrawn.Candidates, capResp.Caption, cands)
	}
	if want := "curl -F image=@shapes-cap.png '" + ts.URL + "/v1/caption?variant=mle&num_samples=3&seed=7'"; capDrawn.Curl != want {
		t.Errorf("curl %q, want %q", capDrawn.Curl, want)
	}
	b.shown("#results .result q.caption")
	b.shown("#results .result table.candidates")
	shots.take("caption", false)

	// Unseeded, the server draws a 64-bit seed: the page shows it with
	// every digit and puts it in the curl command, which then gives the
	// same answer.
	b.setControl("seed", "")
	b.runAndWait("the unseeded caption answer", func() { b.js(nil, `document.getElementById("run").click()`) })
	var unseeded api.CaptionResponse
	b.lastResponse(&unseeded)
	seed := strconv.FormatUint(unseeded.Decoding.Seed, 10)
	var seedShown struct {
		Curl string `json:"curl"`
		Meta string `json:"meta"`
	}
	b.js(&seedShown, `({curl: document.getElementById("curl").textContent, meta: document.querySelector("#results .result .meta").textContent})`)
	if want := "curl -F image=@shapes-cap.png '" + ts.URL + "/v1/caption?variant=mle&num_samples=3&seed=" + seed + "'   # with the seed the server drew"; seedShown.Curl != want {
		t.Errorf("curl %q, want %q", seedShown.Curl, want)
	}
	if want := "captioning · image 64×64 png · sampled (T=1, seed " + seed + ")"; seedShown.Meta != want {
		t.Errorf("meta %q, want %q", seedShown.Meta, want)
	}
	again := directCaption(t, ts.URL, capImage(t), "variant=mle&num_samples=3&seed="+seed)
	if again.Caption != unseeded.Caption || fmt.Sprint(again.Candidates) != fmt.Sprint(unseeded.Candidates) {
		t.Errorf("seed %s gives %q %v, the page showed %q %v", seed, again.Caption, again.Candidates, unseeded.Caption, unseeded.Candidates)
	}

	// A sample image, clicked: greedy caption, the sample's reference shown.
	b.setControl("num_samples", "1")
	b.setControl("seed", "")
	b.runAndWait("the sample's answer", func() {
		b.js(nil, `document.querySelector('.sample[data-file="captioning-2.png"]').click()`)
	})
	var sample struct {
		Pressed string `json:"pressed"`
		Caption string `json:"caption"`
		Truth   string `json:"truth"`
	}
	b.js(&sample, `({pressed: document.querySelector('.sample[data-file="captioning-2.png"]').getAttribute("aria-pressed"),
		caption: document.querySelector("#results .result q.caption").textContent,
		truth: document.querySelector("#results .result .truth").textContent})`)
	wantCap = directCaption(t, ts.URL, readFile(t, "../assets/samples/captioning-2.png"), "variant=mle")
	if sample.Pressed != "true" || sample.Caption != wantCap.Caption ||
		sample.Truth != "A reference caption of this sample: two circles a crescent and an arrow." {
		t.Errorf("sample: %+v, the server's caption %q", sample, wantCap.Caption)
	}

	// An image dropped on the image box runs like an upload.
	b.runAndWait("the dropped image's answer", func() {
		b.js(nil, `(async () => { const blob = await (await fetch("/samples/captioning-3.png")).blob();
			const dt = new DataTransfer(); dt.items.add(new File([blob], "dropped.png", {type: "image/png"}));
			document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); })()`)
	})
	var dropped struct {
		Name    string `json:"name"`
		Caption string `json:"caption"`
		Curl    string `json:"curl"`
	}
	b.js(&dropped, `({name: document.getElementById("current-name").textContent, caption: document.querySelector("#results .result q.caption").textContent,
		curl: document.getElementById("curl").textContent})`)
	wantCap = directCaption(t, ts.URL, readFile(t, "../assets/samples/captioning-3.png"), "variant=mle")
	if dropped.Name != "dropped.png · 8 KiB" || dropped.Caption != wantCap.Caption ||
		dropped.Curl != "curl -F image=@dropped.png '"+ts.URL+"/v1/caption?variant=mle'" {
		t.Errorf("dropped: %+v, the server's caption %q", dropped, wantCap.Caption)
	}

	// Errors are shown as sentences, and the parameter is marked.
	b.setControl("decoding", "greedy")
	b.setControl("num_samples", "3")
	b.runAndWait("the 400", func() { b.js(nil, `document.getElementById("run").click()`) })
	var errShown struct {
		Hidden  bool   `json:"hidden"`
		Text    string `json:"text"`
		Invalid string `json:"invalid"`
	}
	b.js(&errShown, `({hidden: document.getElementById("error").hidden, text: document.getElementById("error").innerText,
		invalid: document.getElementById("num_samples").getAttribute("aria-invalid")})`)
	if errShown.Hidden || !strings.HasPrefix(errShown.Text, "The server answered 400 bad_parameter\nparameter num_samples: applies only to decoding=sample, and decoding=greedy was asked\nrequest id ") ||
		errShown.Invalid != "true" {
		t.Errorf("400 shown as %+v", errShown)
	}
	b.setControl("decoding", "")
	b.setControl("num_samples", "1")
	b.runAndWait("the 404", func() { b.setControl("task", api.TaskPanoptic) })
	b.js(&errShown, `({hidden: document.getElementById("error").hidden, text: document.getElementById("error").innerText})`)
	if errShown.Hidden || !strings.HasPrefix(errShown.Text, "The server answered 404 not_found\nno model for task panoptic\nThe Models page lists what the repository holds. request id ") {
		t.Errorf("404 shown as %+v", errShown)
	}
	var results int
	b.js(&results, `document.querySelectorAll("#results .result").length`)
	if results != 0 {
		t.Errorf("%d results shown beside the error", results)
	}
	b.shown("#error")
	shots.take("error", false)

	// The models page: every entry with its model.json and metrics.
	b.js(nil, `location.hash = "#models"`)
	b.waitFor("the model cards", `document.querySelectorAll(".card.model").length > 0`)
	var models struct {
		Cards     []string `json:"cards"`
		Manifests int      `json:"manifests"`
		Columns   []string `json:"columns"`
		Metric    []string `json:"metric"`
	}
	b.js(&models, `({cards: [...document.querySelectorAll(".card.model")].map(c => c.dataset.model),
		manifests: document.querySelectorAll(".card.model pre.manifest").length,
		columns: [...document.querySelectorAll("table.metrics-compare")[0].querySelectorAll("thead th")].map(e => e.textContent),
		metric: [...document.querySelectorAll("table.metrics-compare")[0].querySelectorAll("tbody tr")].filter(r => r.cells[0].textContent === "AP").map(r => [...r.cells].map(c => c.textContent)).flat()})`)
	if want := []string{"detection-mle/1", "detection-reward/1", "captioning-mle/1", "captioning-reward/1"}; !equalStrings(models.Cards, want) || models.Manifests != 4 {
		t.Errorf("model cards %q with %d model.json blocks, want %q", models.Cards, models.Manifests, want)
	}
	if want := []string{"metric", "detection-mle v1", "detection-reward v1"}; !equalStrings(models.Columns, want) {
		t.Errorf("metrics table columns %q, want %q", models.Columns, want)
	}
	if want := []string{"AP", "0.7817", "0.7817"}; !equalStrings(models.Metric, want) {
		t.Errorf("AP row %q, want %q (model.json provenance.metrics)", models.Metric, want)
	}
	b.shown(".card.model")
	shots.take("models", true)

	// The reports page links the eval reports, and they open.
	b.js(nil, `location.hash = "#reports"`)
	b.waitFor("the report cards", `document.querySelectorAll(".card.report").length > 0`)
	var links []string
	b.js(&links, `[...document.querySelectorAll(".card.report a")].map(a => a.getAttribute("href"))`)
	if want := []string{"/reports/2026-12/captions/metrics.json", "/reports/detection-ab/report.html", "/reports/detection-ab/report.md",
		"/reports/detection-ab/metrics.json", "/reports/detection-ab/run.json"}; !equalStrings(links, want) {
		t.Errorf("report links %q, want %q", links, want)
	}
	for _, l := range links {
		if resp, _ := get(t, ts.URL+l); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", l, resp.StatusCode)
		}
	}
	b.shown(".card.report")
	shots.take("reports", false)

	// Keyboard: Tab reaches the skip link first, then the header and the
	// controls, and the focused element has a visible outline.
	b.js(nil, `location.hash = "#try"; document.body.dataset.ready = "old"`)
	b.navigate(ts.URL + "/")
	b.waitFor("the page to start again", `document.body.dataset.ready === "true"`)
	var focus []string
	for range 7 {
		b.key("Tab", 9)
		var f string
		b.js(&f, `(() => { const e = document.activeElement, s = getComputedStyle(e);
			return (e.id || e.className || e.tagName) + (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 ? "+outline" : ""); })()`)
		focus = append(focus, f)
	}
	if want := []string{"skip+outline", "A+outline", "A+outline", "A+outline", "A+outline", "task+outline", "variant+outline"}; !equalStrings(focus, want) {
		t.Errorf("tab order %q, want %q", focus, want)
	}

	// The skip link moves the focus to the content and keeps the view.
	b.js(nil, `location.hash = "#models"`)
	b.waitFor("the models view", `!document.getElementById("view-models").hidden`)
	b.js(nil, `document.querySelector(".skip").click()`)
	var skip struct {
		Models bool   `json:"models"`
		Active string `json:"active"`
	}
	b.js(&skip, `({models: !document.getElementById("view-models").hidden, active: document.activeElement.id})`)
	if !skip.Models || skip.Active != "main" {
		t.Errorf("after the skip link: %+v, want the models view and the focus on main", skip)
	}
	b.js(nil, `location.hash = "#try"`)
	b.waitFor("the try view", `!document.getElementById("view-try").hidden`)

	// A narrow window: nothing wider than the screen, compare columns stack.
	b.resize(360, 800)
	b.setControl("task", api.TaskDetect) // no image yet after the reload: no request
	b.setControl("variant", "compare")
	b.runAndWait("the narrow compare answer", func() { b.setFiles("#file", detPath) })
	var narrow struct {
		ScrollWidth int       `json:"scrollWidth"`
		Columns     int       `json:"columns"`
		Lefts       []int     `json:"lefts"`
		Widths      []float64 `json:"widths"`
	}
	b.js(&narrow, `({scrollWidth: document.documentElement.scrollWidth, columns: document.querySelectorAll("#results .result").length,
		lefts: [...document.querySelectorAll("#results .result")].map(c => Math.round(c.getBoundingClientRect().left)),
		widths: [...document.querySelectorAll("#results .result")].map(c => c.getBoundingClientRect().width)})`)
	if narrow.ScrollWidth > 360 || narrow.Columns != 2 || len(narrow.Lefts) != 2 || narrow.Lefts[0] != narrow.Lefts[1] {
		t.Errorf("narrow window: %+v (want scroll width ≤ 360, two stacked columns)", narrow)
	}
	shots.take("narrow", true)

	if logs := b.pageLog(); len(logs) > 0 {
		t.Errorf("the page logged:\n%s", strings.Join(logs, "\n"))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameDetections(a, b []api.Detection) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// directDetect asks the server itself, as a client would, for the page's
// answer to compare with.
func directDetect(t *testing.T, base string, img []byte, query string) api.DetectResponse {
	t.Helper()
	ct, body := multipartBody(t, img)
	var out api.DetectResponse
	decodeJSON(t, post(t, base+"/v1/detect?"+query, ct, body), &out)
	return out
}

func directCaption(t *testing.T, base string, img []byte, query string) api.CaptionResponse {
	t.Helper()
	ct, body := multipartBody(t, img)
	var out api.CaptionResponse
	decodeJSON(t, post(t, base+"/v1/caption?"+query, ct, body), &out)
	return out
}

// TestWebBrowserDense checks the drawings of the dense tasks: the
// panoptic overlay and legend, and a panoptic sample's ground truth,
// against a canned answer (no panoptic model exists yet: /v1/models and
// /v1/panoptic answer as a server with one would), and the colorized
// image beside the input from the shipped colorization model; the page
// and every other route are the real server's.
func TestWebBrowserDense(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chromium")
	}
	s, _ := newServer(t, nil, Config{})
	// The panoptic map: segment 1 on the left half, 2 on the right, a
	// void column in the middle.
	pan := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			switch {
			case x < 30:
				pan.Set(x, y, color.RGBA{1, 0, 0, 255})
			case x >= 34:
				pan.Set(x, y, color.RGBA{2, 0, 0, 255})
			default:
				pan.Set(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	var panPNG bytes.Buffer
	if err := png.Encode(&panPNG, pan); err != nil {
		t.Fatal(err)
	}
	info := api.ImageInfo{Width: 64, Height: 64, Format: "png"}
	timing := api.Timing{DecodeMS: 1, PreprocessMS: 1, InferenceMS: 5, TotalMS: 7}
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	answer := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, _, err := r.FormFile("image"); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(api.ModelsResponse{Models: []api.ModelInfo{
			{Name: "panoptic-mle", Version: 1, Task: api.TaskPanoptic, Variant: "mle", Ready: true, Manifest: json.RawMessage(`{"task":"panoptic"}`)},
			{Name: "colorization-mle", Version: 1, Task: api.TaskColorize, Variant: "mle", Ready: true, Manifest: json.RawMessage(`{"task":"colorization"}`)},
		}})
	})
	mux.HandleFunc("POST /v1/panoptic", answer(api.PanopticResponse{
		Model: api.ModelRef{Name: "panoptic-mle", Version: 1, Task: "panoptic", Variant: "mle"}, Image: info,
		SegmentsInfo: []api.Segment{{ID: 1, CategoryID: 1, Label: "circle", Area: 1920, BBox: [4]float64{0, 0, 30, 64}},
			{ID: 2, CategoryID: 11, Label: "sky", Area: 1920, BBox: [4]float64{34, 0, 30, 64}}},
		PNG: panPNG.Bytes(), Timing: timing}))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	b := startBrowser(t, 1280, 900)
	shots := keepShots(t, b)
	b.navigate(ts.URL + "/")
	b.waitFor("the page to start", `document.body.dataset.ready === "true"`)
	var task string
	b.js(&task, `document.getElementById("task").value`)
	if task != api.TaskPanoptic {
		t.Errorf("first task %q, want panoptic (the first with a model)", task)
	}
	b.runAndWait("the panoptic answer", func() { b.setFiles("#file", "testdata/images/shapes-det.png") })
	b.waitFor("the overlay", `document.querySelectorAll("#results .legend li").length > 0`)
	var got struct {
		Legend []string `json:"legend"`
		Left   []int    `json:"left"`
		Right  []int    `json:"right"`
		Void   []int    `json:"void"`
		JSON   string   `json:"json"`
	}
	b.js(&got, `(() => { const c = document.querySelector("#results canvas.overlay").getContext("2d");
		const px = (x, y) => [...c.getImageData(x, y, 1, 1).data];
		return {legend: [...document.querySelectorAll("#results .legend li")].map(e => e.textContent),
			left: px(5, 5), right: px(60, 60), void: px(32, 10), json: document.getElementById("json").textContent}; })()`)
	if want := []string{"circle · 1920 px", "sky · 1920 px"}; !equalStrings(got.Legend, want) {
		t.Errorf("legend %q, want %q", got.Legend, want)
	}
	// The first two colours of the page's palette (#4e79a7, #f28e2b) at
	// the overlay's alpha; the canvas stores premultiplied colours, so
	// reading them back may be off by one or two.
	near := func(got []int, want ...int) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range want {
			if got[i] < want[i]-2 || got[i] > want[i]+2 {
				return false
			}
		}
		return true
	}
	if !near(got.Left, 78, 121, 167, 150) || !near(got.Right, 242, 142, 43, 150) || !near(got.Void, 0, 0, 0, 0) {
		t.Errorf("overlay pixels left %v right %v void %v", got.Left, got.Right, got.Void)
	}
	if !strings.Contains(got.JSON, `"png": "iVBORw0KGgo`) || !strings.Contains(got.JSON, "base64 characters)") {
		t.Errorf("the JSON block does not elide the PNG: %.200s", got.JSON)
	}
	b.shown("#results .result canvas.overlay")
	b.shown("#results .legend li")
	shots.take("panoptic", false)

	// A panoptic sample, clicked: like the other worlds' samples it runs
	// the selected task (it does not switch the selector), and the
	// panoptic answer notes the sample's ground-truth objects.
	b.runAndWait("the panoptic sample's answer", func() {
		b.js(nil, `document.querySelector('.sample[data-file="panoptic-2.png"]').click()`)
	})
	var picked struct {
		Task    string `json:"task"`
		Pressed string `json:"pressed"`
		Truth   string `json:"truth"`
	}
	b.js(&picked, `({task: document.getElementById("task").value,
		pressed: document.querySelector('.sample[data-file="panoptic-2.png"]').getAttribute("aria-pressed"),
		truth: document.querySelector("#results .result .truth").textContent})`)
	if picked.Task != api.TaskPanoptic || picked.Pressed != "true" ||
		picked.Truth != "Ground truth of this sample: circle, crescent, circle, arrow." {
		t.Errorf("panoptic sample: %+v", picked)
	}

	b.runAndWait("the colorize answer", func() { b.setControl("task", api.TaskColorize) })
	b.waitFor("the colorized image", `(() => { const i = document.querySelector("#results img.colorized"); return i && i.complete && i.naturalWidth === 64; })()`)
	var figs []string
	b.js(&figs, `[...document.querySelectorAll("#results .pair figcaption")].map(e => e.textContent)`)
	if want := []string{"input", "colorized"}; !equalStrings(figs, want) {
		t.Errorf("colorize figures %q, want %q", figs, want)
	}
	var meta string
	b.js(&meta, `document.querySelector("#results .result .meta").textContent`)
	if meta != "colorization · image 64×64 png · greedy" {
		t.Errorf("colorize meta %q", meta)
	}
	b.shown("#results .pair img")
	shots.take("colorize", false)
	if logs := b.pageLog(); len(logs) > 0 {
		t.Errorf("the page logged:\n%s", strings.Join(logs, "\n"))
	}
}

// TestWebScreenshot makes the README's picture of the page from the
// shipped repository: `go test ./serve -run TestWebScreenshot -webshots
// DIR` writes DIR/TestWebScreenshot-page.png (docs/web-page.png). It
// runs only with -webshots.
func TestWebScreenshot(t *testing.T) {
	if *webShots == "" {
		t.Skip("only with -webshots DIR: it makes the README's screenshot")
	}
	_, ts := newServer(t, nil, Config{})
	b := startBrowser(t, 1100, 760)
	shots := keepShots(t, b)
	// Captioning, compare: MLE beside reward-tuned where the repository
	// has both (it lists what it holds).
	b.navigate(ts.URL + "/#try?task=caption&variant=compare&decoding=greedy&sample=captioning-2.png")
	b.waitFor("the captions", `document.body.dataset.ready === "true" && `+idle+
		` && document.querySelectorAll("#results .result q.caption").length > 0`)
	b.shown("#results .result q.caption")
	shots.take("page", false)
}
