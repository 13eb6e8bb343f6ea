package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"rewardvision/api"
	"rewardvision/internal/testfix"
)

// errorOf reads an error envelope and checks the status.
func errorOf(t *testing.T, resp *http.Response, status int) api.ErrorDetail {
	t.Helper()
	var env api.ErrorBody
	decodeJSON(t, resp, &env)
	if resp.StatusCode != status {
		t.Fatalf("status %d (%+v), want %d", resp.StatusCode, env.Error, status)
	}
	if env.Error.Code == "" || env.Error.Message == "" || env.Error.RequestID == "" {
		t.Fatalf("envelope %+v lacks code, message or request id", env.Error)
	}
	return env.Error
}

func TestDetectAndCaption(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	resp := post(t, ts.URL+"/v1/detect?image_id=42", "image/png", detImage(t))
	var det api.DetectResponse
	decodeJSON(t, resp, &det)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if det.Model != (api.ModelRef{Name: "detection-mle", Version: 1, Task: "detection", Variant: "mle"}) {
		t.Errorf("model %+v", det.Model)
	}
	if det.Image != (api.ImageInfo{Width: 64, Height: 64, Format: "png"}) {
		t.Errorf("image %+v", det.Image)
	}
	if len(det.Detections) == 0 {
		t.Fatal("no detections on the shapes image")
	}
	for i, d := range det.Detections {
		if d.ImageID != 42 || d.Label == "" || d.CategoryID < 1 || d.Score <= 0 || d.Score > 1 {
			t.Errorf("detection %d: %+v", i, d)
		}
		if x, y, w, h := d.BBox[0], d.BBox[1], d.BBox[2], d.BBox[3]; x < 0 || y < 0 || w <= 0 || h <= 0 || x+w > 64.001 || y+h > 64.001 {
			t.Errorf("detection %d: bbox %v outside the 64x64 image", i, d.BBox)
		}
		if i > 0 && d.Score > det.Detections[i-1].Score {
			t.Errorf("detections not sorted by score: %v", det.Detections)
		}
	}
	st := resp.Header.Get("Server-Timing")
	for _, stage := range []string{"decode;dur=", "preprocess;dur=", "queue;dur=", "inference;dur=", "postprocess;dur=", "total;dur="} {
		if !strings.Contains(st, stage) {
			t.Errorf("Server-Timing %q lacks %s", st, stage)
		}
	}
	if det.Timing.InferenceMS <= 0 || det.Timing.TotalMS < det.Timing.InferenceMS {
		t.Errorf("timing %+v", det.Timing)
	}

	resp = post(t, ts.URL+"/v1/caption?image_id=7", "image/png", capImage(t))
	var cp api.CaptionResponse
	decodeJSON(t, resp, &cp)
	if resp.StatusCode != 200 || cp.Caption == "" || cp.ImageID != 7 || cp.Model.Name != "captioning-mle" || cp.LogProb >= 0 || len(cp.Candidates) != 0 {
		t.Fatalf("caption %d %+v", resp.StatusCode, cp)
	}
	if cp.Decoding.Method != api.Greedy {
		t.Errorf("decoding %+v, want the model's default (greedy)", cp.Decoding)
	}
}

func TestErrors(t *testing.T) {
	s, ts := newServer(t, nil, Config{MaxBodyBytes: 100_000, MaxPixels: 1_000_000})
	det := detImage(t)
	tiffData := func() []byte {
		var b bytes.Buffer
		if err := tiff.Encode(&b, decodePNG(t, det), nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}()
	ctMulti, multiNoImage := multipartBody(t, nil, "seed", "1")
	ctTiff, multiTiff := multipartBody(t, tiffData)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
		msg         string
	}{
		{"unknown route", "GET", "/v1/nope", "", nil, 404, api.CodeNotFound, "no route GET /v1/nope"},
		{"panoptic unknown variant", "POST", "/v1/panoptic?variant=tuned", "image/png", det, 404, api.CodeNotFound, `no "tuned" variant for task panoptic`},
		{"colorize unknown variant", "POST", "/v1/colorize?variant=tuned", "image/png", det, 404, api.CodeNotFound, `no "tuned" variant for task colorize`},
		{"colorize garbage", "POST", "/v1/colorize", "image/png", []byte("not an image at all"), 400, api.CodeBadRequest, "undecodable image"},
		{"colorize truncated png", "POST", "/v1/colorize", "image/png", det[:200], 400, api.CodeBadRequest, "undecodable png image"},
		{"colorize pixels over the limit", "POST", "/v1/colorize", "image/png", testfix.PNGHeader(1001, 1000), 413, api.CodeTooLarge, "1001x1000 = 1001000 pixels"},
		{"colorize tiff", "POST", "/v1/colorize", "image/tiff", tiffData, 415, api.CodeUnsupportedMedia, "image/tiff"},
		{"colorize detect parameter", "POST", "/v1/colorize?score_threshold=0.5", "image/png", det, 400, api.CodeBadParameter, "unknown parameter for /v1/colorize"},
		{"colorize bad top_p", "POST", "/v1/colorize?top_p=2", "image/png", det, 400, api.CodeBadParameter, "parameter top_p"},
		{"unknown variant", "POST", "/v1/detect?variant=tuned", "image/png", det, 404, api.CodeNotFound, `no "tuned" variant for task detect`},
		{"wrong method", "GET", "/v1/detect", "", nil, 405, api.CodeMethodNotAllowed, "GET /v1/detect"},
		{"wrong method on models", "POST", "/v1/models", "image/png", det, 405, api.CodeMethodNotAllowed, "POST /v1/models"},
		{"text body", "POST", "/v1/detect", "text/plain", []byte("hello"), 415, api.CodeUnsupportedMedia, `content type "text/plain"`},
		{"no content type", "POST", "/v1/detect", "", det, 415, api.CodeUnsupportedMedia, "content type"},
		{"tiff in multipart", "POST", "/v1/detect", ctTiff, multiTiff, 415, api.CodeUnsupportedMedia, "tiff images are not supported"},
		{"tiff content type", "POST", "/v1/detect", "image/tiff", tiffData, 415, api.CodeUnsupportedMedia, "image/tiff"},
		{"garbage", "POST", "/v1/detect", "image/png", []byte("not an image at all"), 400, api.CodeBadRequest, "undecodable image"},
		{"truncated png", "POST", "/v1/detect", "image/png", det[:200], 400, api.CodeBadRequest, "undecodable png image"},
		{"empty body", "POST", "/v1/detect", "image/png", nil, 400, api.CodeBadRequest, "empty image"},
		{"multipart without image", "POST", "/v1/detect", ctMulti, multiNoImage, 400, api.CodeBadRequest, `without field "image"`},
		{"multipart without boundary", "POST", "/v1/detect", "multipart/form-data", det, 400, api.CodeBadRequest, "boundary"},
		{"body over the limit", "POST", "/v1/detect", "image/png", make([]byte, 100_001), 413, api.CodeTooLarge, "100001 bytes, the limit is 100000"},
		{"pixels over the limit", "POST", "/v1/detect", "image/png", testfix.PNGHeader(1001, 1000), 413, api.CodeTooLarge, "1001x1000 = 1001000 pixels"},
		{"decompression bomb", "POST", "/v1/detect", "image/png", testfix.PNGHeader(100_000, 100_000), 413, api.CodeTooLarge, "the limit is 1000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			e := errorOf(t, resp, tc.status)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("error %+v, want code %s and a message containing %q", e, tc.code, tc.msg)
			}
			// The header check refuses a bomb without decoding it.
			if tc.name == "decompression bomb" && time.Since(start) > 500*time.Millisecond {
				t.Errorf("the bomb took %v to refuse", time.Since(start))
			}
		})
	}

	// A body without Content-Length is cut at the limit while reading.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, 150_000))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", ts.URL+"/v1/detect", pr)
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if e := errorOf(t, resp, 413); !strings.Contains(e.Message, "over the limit of 100000 bytes") {
		t.Errorf("chunked body: %+v", e)
	}

	// A panic becomes a 500 envelope with a generic message, and the
	// server goes on. (A test-only route: the product's are in routes.go.)
	s.engine.GET("/test-panic", s.handle(func(*gin.Context) (any, error) { panic("boom") }))
	resp, err = http.Get(ts.URL + "/test-panic")
	if err != nil {
		t.Fatal(err)
	}
	if e := errorOf(t, resp, 500); e.Code != api.CodeInternal || strings.Contains(e.Message, "boom") {
		t.Errorf("panic answered %+v; want code internal without the panic's text", e)
	}
	resp, err = http.Get(ts.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a panic: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestBadParameters(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	det, capt := detImage(t), capImage(t)
	tests := []struct {
		path  string
		param string
	}{
		{"/v1/detect?decoding=beam", "decoding"},
		{"/v1/detect?temperature=0", "temperature"},
		{"/v1/detect?temperature=-1", "temperature"},
		{"/v1/detect?temperature=abc", "temperature"},
		{"/v1/detect?temperature=NaN", "temperature"},
		{"/v1/detect?temperature=1000", "temperature"},
		{"/v1/detect?top_k=-1", "top_k"},
		{"/v1/detect?top_k=1.5", "top_k"},
		{"/v1/detect?top_p=0", "top_p"},
		{"/v1/detect?top_p=1.5", "top_p"},
		{"/v1/detect?seed=-1", "seed"},
		{"/v1/detect?seed=x", "seed"},
		{"/v1/detect?score_threshold=2", "score_threshold"},
		{"/v1/detect?score_threshold=x", "score_threshold"},
		{"/v1/detect?max_detections=0", "max_detections"},
		{"/v1/detect?max_detections=100000", "max_detections"},
		{"/v1/detect?compare=maybe", "compare"},
		{"/v1/detect?image_id=x", "image_id"},
		{"/v1/detect?variant=", "variant"},
		{"/v1/detect?temprature=1", "temprature"},
		{"/v1/detect?num_samples=2", "num_samples"},
		{"/v1/detect?seed=1&seed=2", "seed"},
		{"/v1/detect?decoding=greedy&temperature=0.5", "temperature"},
		{"/v1/detect?decoding=greedy&top_k=3", "top_k"},
		{"/v1/caption?num_samples=0", "num_samples"},
		{"/v1/caption?num_samples=33", "num_samples"},
		{"/v1/caption?decoding=greedy&num_samples=3", "num_samples"},
		{"/v1/caption?score_threshold=0.5", "score_threshold"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			img := det
			if strings.HasPrefix(tc.path, "/v1/caption") {
				img = capt
			}
			e := errorOf(t, post(t, ts.URL+tc.path, "image/png", img), 400)
			if e.Code != api.CodeBadParameter || e.Param != tc.param || !strings.Contains(e.Message, tc.param) {
				t.Errorf("error %+v, want bad_parameter naming %s", e, tc.param)
			}
		})
	}
	// Parameters may also come as multipart fields.
	ct, body := multipartBody(t, det, "top_p", "7")
	if e := errorOf(t, post(t, ts.URL+"/v1/detect", ct, body), 400); e.Param != "top_p" {
		t.Errorf("multipart field: %+v", e)
	}
}

func detect(t *testing.T, url, contentType string, body []byte, header ...string) api.DetectResponse {
	t.Helper()
	resp := post(t, url, contentType, body, header...)
	var out api.DetectResponse
	decodeJSON(t, resp, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", url, resp.StatusCode)
	}
	return out
}

func caption(t *testing.T, url string, body []byte, header ...string) api.CaptionResponse {
	t.Helper()
	resp := post(t, url, "image/png", body, header...)
	var out api.CaptionResponse
	decodeJSON(t, resp, &out)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", url, resp.StatusCode)
	}
	return out
}

func TestOptions(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	det, capt := detImage(t), capImage(t)
	all := detect(t, ts.URL+"/v1/detect", "image/png", det).Detections
	if len(all) < 2 {
		t.Fatalf("want ≥ 2 detections on the test image, got %v", all)
	}

	t.Run("max_detections keeps the best", func(t *testing.T) {
		got := detect(t, ts.URL+"/v1/detect?max_detections=1", "image/png", det).Detections
		if len(got) != 1 || got[0] != all[0] {
			t.Errorf("got %v, want [%v]", got, all[0])
		}
	})
	t.Run("score_threshold", func(t *testing.T) {
		thr := (all[0].Score + all[len(all)-1].Score) / 2
		got := detect(t, fmt.Sprintf("%s/v1/detect?score_threshold=%g", ts.URL, thr), "image/png", det).Detections
		var want []api.Detection
		for _, d := range all {
			if d.Score >= thr {
				want = append(want, d)
			}
		}
		if len(got) != len(want) || len(got) == len(all) {
			t.Errorf("threshold %g: got %v, want %v", thr, got, want)
		}
	})
	t.Run("same seed, same samples", func(t *testing.T) {
		a := caption(t, ts.URL+"/v1/caption?num_samples=4&seed=11", capt)
		b := caption(t, ts.URL+"/v1/caption?num_samples=4&seed=11", capt)
		if len(a.Candidates) != 4 || fmt.Sprint(a.Candidates) != fmt.Sprint(b.Candidates) {
			t.Errorf("seed 11 twice: %v vs %v", a.Candidates, b.Candidates)
		}
		if a.Decoding != (api.Decoding{Method: api.Sample, Temperature: 1, Seed: 11}) {
			t.Errorf("decoding %+v", a.Decoding)
		}
		best := a.Candidates[0]
		for _, c := range a.Candidates {
			if c.LogProb > best.LogProb {
				best = c
			}
		}
		if a.Caption != best.Caption || a.LogProb != best.LogProb {
			t.Errorf("caption %q (%g), want the most likely candidate %+v", a.Caption, a.LogProb, best)
		}
	})
	t.Run("unseeded sampling reports its seed", func(t *testing.T) {
		a := caption(t, ts.URL+"/v1/caption?decoding=sample&top_p=0.9", capt)
		b := caption(t, fmt.Sprintf("%s/v1/caption?decoding=sample&top_p=0.9&seed=%d", ts.URL, a.Decoding.Seed), capt)
		if a.Caption != b.Caption || a.LogProb != b.LogProb {
			t.Errorf("replaying seed %d: %q vs %q", a.Decoding.Seed, a.Caption, b.Caption)
		}
	})
	t.Run("top_k 1 samples the greedy answer", func(t *testing.T) {
		g := caption(t, ts.URL+"/v1/caption", capt)
		for seed := range 3 {
			s := caption(t, fmt.Sprintf("%s/v1/caption?top_k=1&seed=%d", ts.URL, seed), capt)
			if s.Caption != g.Caption || s.LogProb != 0 || s.Decoding.TopK != 1 {
				t.Errorf("top_k=1 seed %d: %q (log-prob %g), greedy %q", seed, s.Caption, s.LogProb, g.Caption)
			}
		}
		// Scores are probabilities under the distribution sampled from:
		// 1 for every token at top_k=1, so only the boxes compare.
		d := detect(t, ts.URL+"/v1/detect?top_k=1&temperature=2&seed=3", "image/png", det)
		boxes := func(ds []api.Detection) []string {
			var out []string
			for _, d := range ds {
				out = append(out, fmt.Sprint(d.CategoryID, d.BBox))
			}
			slices.Sort(out)
			return out
		}
		if got, want := boxes(d.Detections), boxes(all); !slices.Equal(got, want) {
			t.Errorf("detect top_k=1: %v, greedy %v", got, want)
		}
	})
}

// withEXIF inserts an APP1 EXIF segment with the given orientation after
// a JPEG's SOI marker.
func withEXIF(jpg []byte, orientation byte) []byte {
	tiffHdr := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0}
	payload := append([]byte("Exif\x00\x00"), tiffHdr...)
	n := len(payload) + 2
	seg := append([]byte{0xFF, 0xE1, byte(n >> 8), byte(n)}, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestImageFormats(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	det := detImage(t)
	src := decodePNG(t, det)
	enc := func(f func(io.Writer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	bmpData := enc(func(w io.Writer) error { return bmp.Encode(w, src) })
	gifData := enc(func(w io.Writer) error { return gif.Encode(w, src, nil) })
	jpgData := enc(func(w io.Writer) error { return jpeg.Encode(w, src, &jpeg.Options{Quality: 95}) })
	webpData := readFile(t, "testdata/images/shapes-det.webp") // lossless: same pixels as the PNG
	want := detect(t, ts.URL+"/v1/detect", "image/png", det)

	tests := []struct {
		name, ct, format string
		data             []byte
		samePixels       bool
	}{
		{"bmp", "image/bmp", "bmp", bmpData, true},
		{"webp", "image/webp", "webp", webpData, true},
		{"gif", "image/gif", "gif", gifData, false},
		{"jpeg", "image/jpeg", "jpeg", jpgData, false},
		{"octet-stream", "application/octet-stream", "png", det, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := detect(t, ts.URL+"/v1/detect", tc.ct, tc.data)
			if got.Image != (api.ImageInfo{Width: 64, Height: 64, Format: tc.format}) {
				t.Errorf("image %+v", got.Image)
			}
			if tc.samePixels && fmt.Sprint(got.Detections) != fmt.Sprint(want.Detections) {
				t.Errorf("detections %v, the PNG's %v", got.Detections, want.Detections)
			}
			if !tc.samePixels && len(got.Detections) == 0 {
				t.Error("no detections")
			}
		})
	}

	t.Run("multipart equals raw body", func(t *testing.T) {
		ct, body := multipartBody(t, det, "image_id", "5")
		got := detect(t, ts.URL+"/v1/detect", ct, body)
		for i := range want.Detections {
			want.Detections[i].ImageID = 5
		}
		if fmt.Sprint(got.Detections) != fmt.Sprint(want.Detections) {
			t.Errorf("multipart %v, raw %v", got.Detections, want.Detections)
		}
	})

	t.Run("EXIF orientation", func(t *testing.T) {
		wide := image.NewRGBA(image.Rect(0, 0, 40, 20))
		for i := range wide.Pix {
			wide.Pix[i] = 200
		}
		wide.Set(0, 0, color.RGBA{255, 0, 0, 255})
		jpg := enc(func(w io.Writer) error { return jpeg.Encode(w, wide, nil) })
		for _, tc := range []struct {
			orientation byte
			w, h        int
		}{{1, 40, 20}, {6, 20, 40}, {8, 20, 40}, {3, 40, 20}} {
			got := detect(t, ts.URL+"/v1/detect", "image/jpeg", withEXIF(jpg, tc.orientation))
			if got.Image.Width != tc.w || got.Image.Height != tc.h {
				t.Errorf("orientation %d: decoded %dx%d, want %dx%d", tc.orientation, got.Image.Width, got.Image.Height, tc.w, tc.h)
			}
		}
	})
}

func TestModelsHealthMetrics(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var ms api.ModelsResponse
	decodeJSON(t, resp, &ms)
	var got []string
	for _, m := range ms.Models {
		var man struct {
			Name    string `json:"name"`
			Task    string `json:"task"`
			Variant string `json:"variant"`
		}
		if err := json.Unmarshal(m.Manifest, &man); err != nil || man.Name != m.Name || man.Variant != m.Variant || !m.Ready {
			t.Errorf("model %s: manifest %+v (%v), ready %v", m.Name, man, err, m.Ready)
		}
		got = append(got, fmt.Sprintf("%s/%d %s %s", m.Name, m.Version, m.Task, m.Variant))
	}
	// Every entry of the shipped repository, from its folders and model.json.
	paths, err := filepath.Glob(filepath.Join(shippedRepo, "*", "*", "model.json"))
	if err != nil || len(paths) < 2 {
		t.Fatalf("shipped entries %v (%v)", paths, err)
	}
	routeOf := map[string]string{"detection": api.TaskDetect, "captioning": api.TaskCaption, "panoptic": api.TaskPanoptic, "colorization": api.TaskColorize}
	var want []string
	for _, p := range paths {
		var man struct {
			Task    string `json:"task"`
			Variant string `json:"variant"`
		}
		data, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(data, &man) != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ver, name := filepath.Base(filepath.Dir(p)), filepath.Base(filepath.Dir(filepath.Dir(p)))
		want = append(want, fmt.Sprintf("%s/%s %s %s", name, ver, routeOf[man.Task], man.Variant))
	}
	if !slices.Equal(got, want) || !slices.Contains(want, "detection-mle/1 detect mle") {
		t.Errorf("models %v, want %v", got, want)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var h api.Health
		decodeJSON(t, resp, &h)
		if resp.StatusCode != 200 || h.Status != "ok" {
			t.Errorf("%s: %d %+v", path, resp.StatusCode, h)
		}
	}

	detect(t, ts.URL+"/v1/detect", "image/png", detImage(t), api.HeaderRequestID, "req-123")
	errorOf(t, post(t, ts.URL+"/v1/detect?top_k=-1", "image/png", detImage(t)), 400)
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`rewardvision_requests_total{route="/v1/detect",status="200",task="detect",variant="mle"} 1`,
		`rewardvision_requests_total{route="/v1/detect",status="400",task="detect",variant=""} 1`,
		`rewardvision_model_ready{model="detection-mle",task="detection",variant="mle",version="1"} 1`,
		`rewardvision_stage_duration_seconds_count{stage="inference",task="detect",variant="mle"} 1`,
		`rewardvision_stage_duration_seconds_count{stage="decode",task="detect",variant="mle"} 1`,
		"rewardvision_inferences_in_flight 0",
		"rewardvision_queue_length 0",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRequestID(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	resp := post(t, ts.URL+"/v1/detect", "image/png", detImage(t), api.HeaderRequestID, "abc-123")
	resp.Body.Close()
	if got := resp.Header.Get(api.HeaderRequestID); got != "abc-123" {
		t.Errorf("echoed id %q", got)
	}
	resp = post(t, ts.URL+"/v1/detect", "image/png", detImage(t), api.HeaderRequestID, "bad id\twith spaces")
	resp.Body.Close()
	if got := resp.Header.Get(api.HeaderRequestID); len(got) != 16 || strings.Contains(got, " ") {
		t.Errorf("an unsafe id was not replaced: %q", got)
	}
}
