package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestQueryEncoding(t *testing.T) {
	tests := []struct {
		name string
		q    url.Values
		want string
	}{
		{"empty detect", DetectOptions{}.Query(), ""},
		{"detect", DetectOptions{
			RequestOptions: RequestOptions{Variant: "reward", ImageID: 12, Compare: true},
			DecodeOptions:  DecodeOptions{Decoding: Sample, Temperature: Ptr(0.5), TopK: Ptr(0), TopP: Ptr(0.9), Seed: Ptr(uint64(1) << 63)},
			ScoreThreshold: Ptr(0.25), MaxDetections: Ptr(10),
		}.Query(), "compare=true&decoding=sample&image_id=12&max_detections=10&score_threshold=0.25&seed=9223372036854775808&temperature=0.5&top_k=0&top_p=0.9&variant=reward"},
		{"caption", CaptionOptions{NumSamples: 3}.Query(), "num_samples=3"},
		{"colorize", ColorizeOptions{RequestOptions: RequestOptions{Variant: "reward", ImageID: 2},
			DecodeOptions: DecodeOptions{Seed: Ptr(uint64(7)), TopP: Ptr(0.8)}}.Query(), "image_id=2&seed=7&top_p=0.8&variant=reward"},
	}
	for _, tc := range tests {
		if got := tc.q.Encode(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNewClient(t *testing.T) {
	for _, bad := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := NewClient(bad, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	c, err := NewClient("http://127.0.0.1:8080/prefix/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.url("/v1/detect", url.Values{"seed": {"1"}}); got != "http://127.0.0.1:8080/prefix/v1/detect?seed=1" {
		t.Errorf("url %s", got)
	}
}

// TestClientAgainstFake checks what the client sends and how it reads
// answers and error envelopes, against a fake server.
func TestClientAgainstFake(t *testing.T) {
	var got *http.Request
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/v1/detect":
			json.NewEncoder(w).Encode(DetectResponse{Model: ModelRef{Name: "m"}, Detections: []Detection{{ImageID: 4, CategoryID: 2, BBox: [4]float64{1, 2, 3, 4}, Score: 0.5}}})
		case "/v1/caption":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(503)
			json.NewEncoder(w).Encode(ErrorBody{Error: ErrorDetail{Code: CodeOverloaded, Message: "busy", RequestID: "r1"}})
		case "/v1/models":
			w.WriteHeader(502)
			io.WriteString(w, "bad gateway\n")
		default:
			w.Write([]byte("{not json"))
		}
	}))
	defer ts.Close()
	c, err := NewClient(ts.URL, ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\n rest of a png")
	d, err := c.Detect(ctx, Image{Data: png}, DetectOptions{RequestOptions: RequestOptions{ClientID: "c7"}, MaxDetections: Ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Model.Name != "m" || len(d.Detections) != 1 || d.Detections[0].BBox != [4]float64{1, 2, 3, 4} {
		t.Errorf("detect answer %+v", d)
	}
	if got.Method != "POST" || got.Header.Get("Content-Type") != "image/png" || got.Header.Get(HeaderClientID) != "c7" ||
		got.URL.RawQuery != "max_detections=1" || string(body) != string(png) {
		t.Errorf("request %s %s %v, body %q", got.Method, got.URL, got.Header, body)
	}

	_, err = c.Caption(ctx, Image{Data: png, ContentType: "image/x-test"}, CaptionOptions{})
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Code != CodeOverloaded || ae.RetryAfter != 3*time.Second || ae.RequestID != "r1" {
		t.Errorf("caption error %#v", err)
	}
	if got.Header.Get("Content-Type") != "image/x-test" {
		t.Errorf("explicit content type not sent: %v", got.Header)
	}
	if _, err := c.Models(ctx); !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "http" || ae.Message != "bad gateway" {
		t.Errorf("non-envelope error %#v", err)
	}
	if err := c.Health(ctx); err == nil || !strings.Contains(err.Error(), "decoding the answer") {
		t.Errorf("bad JSON: %v", err)
	}
	if _, err := c.Detect(ctx, Image{}, DetectOptions{}); err == nil {
		t.Error("empty image accepted")
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Status: 400, ErrorDetail: ErrorDetail{Code: CodeBadParameter, Message: "parameter top_k: bad", Param: "top_k"}}
	if got := e.Error(); got != "400 bad_parameter: parameter top_k: bad (parameter top_k)" {
		t.Errorf("%q", got)
	}
}

// TestClientColorizeForms: Colorize asks for JSON and ColorizePNG for the
// bare PNG; each reads the answer it gets in either form.
func TestClientColorizeForms(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n the colour image")
	var accept []string
	mode := "" // "bare": the bare PNG whatever was asked; "json": JSON whatever was asked
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept = append(accept, r.Header.Get("Accept"))
		if mode == "json" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		if r.URL.Query().Get("compare") == "true" {
			json.NewEncoder(w).Encode(CompareResponse[ColorizeResponse]{Task: TaskColorize,
				Results: []ColorizeResponse{{Model: ModelRef{Variant: "mle"}, PNG: png}, {Model: ModelRef{Variant: "reward"}, PNG: png}}})
			return
		}
		if mode == "bare" || r.Header.Get("Accept") == MediaPNG {
			w.Header().Set("Content-Type", MediaPNG)
			w.Header().Set(HeaderModel, "colorization-reward/2")
			w.Header().Set(HeaderVariant, "reward")
			w.Write(png)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(ColorizeResponse{Model: ModelRef{Name: "colorization-mle", Version: 1, Variant: "mle"},
			Image: ImageInfo{Width: 96, Height: 40, Format: "png"}, PNG: png})
	}))
	defer ts.Close()
	c, err := NewClient(ts.URL, ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	img := Image{Data: []byte("\x89PNG\r\n\x1a\n an upload")}
	r, err := c.Colorize(ctx, img, ColorizeOptions{})
	if err != nil || string(r.PNG) != string(png) || r.Image.Width != 96 || r.Model.Name != "colorization-mle" {
		t.Errorf("JSON answer: %+v %v", r, err)
	}
	p, err := c.ColorizePNG(ctx, img, ColorizeOptions{})
	if err != nil || string(p.PNG) != string(png) || p.Model != "colorization-reward/2" || p.Variant != "reward" {
		t.Errorf("bare answer: %+v %v", p, err)
	}
	cmp, err := c.ColorizeCompare(ctx, img, ColorizeOptions{})
	if err != nil || len(cmp.Results) != 2 || string(cmp.Results[1].PNG) != string(png) {
		t.Errorf("compare answer: %+v %v", cmp, err)
	}
	if want := []string{MediaJSON, MediaPNG, MediaJSON}; strings.Join(accept, " ") != strings.Join(want, " ") {
		t.Errorf("Accept sent %q, want %q", accept, want)
	}
	// A server that answers the bare PNG to a JSON request still fills
	// the PNG and the model.
	mode = "bare"
	r, err = c.Colorize(ctx, img, ColorizeOptions{})
	if err != nil || string(r.PNG) != string(png) || r.Model != (ModelRef{Name: "colorization-reward", Version: 2, Variant: "reward"}) {
		t.Errorf("bare answer to Colorize: %+v %v", r, err)
	}
	if _, err := c.Detect(ctx, img, DetectOptions{}); err == nil || !strings.Contains(err.Error(), "image/png answer where JSON was expected") {
		t.Errorf("bare answer to Detect: %v", err)
	}
	// ColorizePNG refuses a JSON answer.
	mode = "json"
	if _, err := c.ColorizePNG(ctx, img, ColorizeOptions{}); err == nil || !strings.Contains(err.Error(), `"application/json" answer, want image/png`) {
		t.Errorf("JSON answer to ColorizePNG: %v", err)
	}
}
