package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/internal/testfix"
)

// v2Request reads a request file of testdata/v2, putting each
// "@<image>" string's base64 (the image from testdata/images).
func v2Request(t *testing.T, name string) []byte {
	t.Helper()
	data := readFile(t, filepath.Join("testdata", "v2", name))
	return regexp.MustCompile(`"@([a-z.-]+)"`).ReplaceAllFunc(data, func(m []byte) []byte {
		img := readFile(t, filepath.Join("testdata", "images", string(m[2:len(m)-1])))
		return []byte(`"` + base64.StdEncoding.EncodeToString(img) + `"`)
	})
}

// v2Do sends a request and returns the status and the body.
func v2Do(t *testing.T, method, url string, body []byte, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func indentJSON(t *testing.T, data []byte) []byte {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return append(b.Bytes(), '\n')
}

// TestV2Golden pins the v2 answers (status line and body) for the
// shipped models: health, metadata, inference in JSON, errors.
func TestV2Golden(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	cases := []struct {
		name, method, path, request string
	}{
		{"live", "GET", "/v2/health/live", ""},
		{"ready", "GET", "/v2/health/ready", ""},
		{"metadata-detection", "GET", "/v2/models/detection-mle", ""},
		{"metadata-captioning", "GET", "/v2/models/captioning-mle/versions/1", ""},
		{"metadata-colorization", "GET", "/v2/models/colorization-mle", ""},
		{"model-ready", "GET", "/v2/models/detection-mle/versions/1/ready", ""},
		{"unknown-model", "GET", "/v2/models/nope", ""},
		{"unknown-version", "GET", "/v2/models/detection-mle/versions/9/ready", ""},
		{"bad-version", "POST", "/v2/models/detection-mle/versions/x/infer", "detect-json.request.json"},
		{"detect-json", "POST", "/v2/models/detection-mle/infer", "detect-json.request.json"},
		{"detect-two-images", "POST", "/v2/models/detection-mle/versions/1/infer", "detect-two-images.request.json"},
		{"caption-sample", "POST", "/v2/models/captioning-mle/infer", "caption-sample.request.json"},
		{"caption-greedy", "POST", "/v2/models/captioning-mle/infer", "caption-greedy.request.json"},
		{"bad-top-p", "POST", "/v2/models/detection-mle/infer", "bad-top-p.request.json"},
		{"unknown-input", "POST", "/v2/models/detection-mle/infer", "unknown-input.request.json"},
		{"unknown-output", "POST", "/v2/models/detection-mle/infer", "unknown-output.request.json"},
		{"count-mismatch", "POST", "/v2/models/detection-mle/infer", "count-mismatch.request.json"},
		{"not-json", "POST", "/v2/models/detection-mle/infer", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.request != "" {
				body = v2Request(t, tc.request)
			} else if tc.method == "POST" {
				body = []byte("not json")
			}
			status, h, data := v2Do(t, tc.method, ts.URL+tc.path, body, "Content-Type", "application/json")
			if status == 200 && strings.HasSuffix(tc.path, "/infer") && h.Get("Server-Timing") == "" {
				t.Error("no Server-Timing header")
			}
			got := append([]byte(fmt.Sprintf("%d %s\n", status, http.StatusText(status))), indentJSON(t, data)...)
			testfix.Golden(t, filepath.Join("testdata", "v2", tc.name+".response"), got, *update)
		})
	}
}

// TestV2ServerMetadata: name, the build's revision and the extensions.
func TestV2ServerMetadata(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	status, _, data := v2Do(t, "GET", ts.URL+"/v2", nil)
	var md api.V2ServerMetadata
	if err := json.Unmarshal(data, &md); err != nil || status != 200 {
		t.Fatalf("%d %s %v", status, data, err)
	}
	if md.Name != "rewardvision" || md.Version == "" || !slices.Equal(md.Extensions, []string{"binary_tensor_data", "model_repository"}) {
		t.Errorf("%+v", md)
	}
}

// TestV2BinaryRoundTrip: the image as binary BYTES, every output as
// binary (binary_data_output) except one asked as JSON; the answer equals
// the JSON exchange's, and raw RGB pixels (UINT8) give the same boxes.
func TestV2BinaryRoundTrip(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	png := detImage(t)
	req := &api.InferRequest{ID: "bin", Parameters: map[string]any{api.ParamBinaryDataOutput: true},
		Inputs:  []*api.InferTensor{api.BytesTensor("image", []int64{1}, [][]byte{png})},
		Outputs: []api.InferRequestOutput{{Name: "boxes"}, {Name: "labels", Parameters: map[string]any{api.ParamBinaryData: false}}, {Name: "scores"}}}
	body, n, err := req.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	status, h, data := v2Do(t, "POST", ts.URL+"/v2/models/detection-mle/infer", body,
		"Content-Type", "application/octet-stream", api.HeaderInferenceHeaderLength, strconv.Itoa(n))
	if status != 200 || h.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("%d %s: %s", status, h.Get("Content-Type"), data)
	}
	hl := h.Get(api.HeaderInferenceHeaderLength)
	k, _ := strconv.Atoi(hl)
	if !strings.Contains(string(data[:k]), `"name":"labels","shape":[1,3],"datatype":"BYTES","data":["circle","circle","cross"]`) ||
		!strings.Contains(string(data[:k]), `"name":"boxes","shape":[1,3,4],"datatype":"FP32","parameters":{"binary_data_size":48}`) {
		t.Errorf("header %s", data[:k])
	}
	resp, err := api.DecodeInferResponse(data, hl)
	if err != nil {
		t.Fatal(err)
	}
	boxes, _ := resp.Output("boxes").AsFloat32()
	scores, _ := resp.Output("scores").AsFloat32()
	// The v1 golden answer for the same image.
	var v1 api.DetectResponse
	if err := json.Unmarshal(readFile(t, "testdata/golden/detect-shapes.json"), &v1); err != nil {
		t.Fatal(err)
	}
	for i, d := range v1.Detections {
		for c := range 4 {
			if boxes[4*i+c] != float32(d.BBox[c]) {
				t.Errorf("box %d: %v, want %v", i, boxes[4*i:4*i+4], d.BBox)
			}
		}
		if scores[i] != float32(d.Score) {
			t.Errorf("score %d: %v, want %v", i, scores[i], d.Score)
		}
	}

	// The same image as raw RGB pixels.
	img := decodePNG(t, png)
	b := img.Bounds()
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, img, b.Min, draw.Src)
	pix := make([]byte, 0, b.Dx()*b.Dy()*3)
	for i := 0; i < len(rgba.Pix); i += 4 {
		pix = append(pix, rgba.Pix[i:i+3]...)
	}
	req = &api.InferRequest{Inputs: []*api.InferTensor{api.Uint8Tensor("pixels", []int64{int64(b.Dy()), int64(b.Dx()), 3}, pix)},
		Outputs: []api.InferRequestOutput{{Name: "boxes"}}}
	body, n, err = req.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	status, h, data = v2Do(t, "POST", ts.URL+"/v2/models/detection-mle/infer", body, api.HeaderInferenceHeaderLength, strconv.Itoa(n))
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	resp, err = api.DecodeInferResponse(data, h.Get(api.HeaderInferenceHeaderLength))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := resp.Output("boxes").AsFloat32(); !slices.Equal(got, boxes) {
		t.Errorf("pixels: boxes %v, want %v", got, boxes)
	}
}

// TestV2Repository: index, unload, load on a copy of the repository.
func TestV2Repository(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"detection-mle", "captioning-mle"} {
		copyDir(t, filepath.Join(shippedRepo, name, "1"), filepath.Join(dir, name, "1"))
	}
	reg := ownRegistry(t, dir)
	s, ts := newServer(t, reg, Config{})
	t.Cleanup(func() { reg.Close() })
	step := func(name, path, body string) {
		t.Helper()
		status, _, data := v2Do(t, "POST", ts.URL+path, []byte(body))
		data = bytes.ReplaceAll(data, []byte(dir), []byte("$REPO"))
		got := append([]byte(fmt.Sprintf("%d %s\n", status, http.StatusText(status))), indentJSON(t, data)...)
		testfix.Golden(t, filepath.Join("testdata", "v2", "repo-"+name+".response"), got, *update)
	}
	step("index", "/v2/repository/index", "")
	step("unload", "/v2/repository/models/captioning-mle/unload", `{"parameters": {"unload_dependents": false}}`)
	step("index-after-unload", "/v2/repository/index", "{}")
	step("index-ready", "/v2/repository/index", `{"ready": true}`)
	step("unload-again", "/v2/repository/models/captioning-mle/unload", "")
	step("load", "/v2/repository/models/captioning-mle/load", "")
	step("load-config", "/v2/repository/models/captioning-mle/load", `{"parameters": {"config": "{}"}}`)
	step("load-missing", "/v2/repository/models/nope/load", "")
	s.WaitRetired()
	if status, _, data := v2Do(t, "GET", ts.URL+"/v2/models/captioning-mle/ready", nil); status != 200 {
		t.Errorf("reloaded model: ready %d %s", status, data)
	}
	// A broken entry fails to load and the loaded version keeps serving.
	if err := os.WriteFile(filepath.Join(dir, "captioning-mle", "1", "model.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("load-broken", "/v2/repository/models/captioning-mle/load", "")
	if status, _, _ := v2Do(t, "GET", ts.URL+"/v2/models/captioning-mle/ready", nil); status != 200 {
		t.Errorf("after a failed load: ready %d", status)
	}
}

// TestV2Envelope: unknown routes and methods under /v2 answer with the
// protocol's error object.
func TestV2Envelope(t *testing.T) {
	_, ts := newServer(t, nil, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/v2/nope", 404, `{"error":"no route GET /v2/nope"}`},
		{"DELETE", "/v2/models/detection-mle", 405, `{"error":"DELETE /v2/models/detection-mle"}`},
		{"GET", "/v1/nope", 404, `{"error":{"code":"not_found","message":"no route GET /v1/nope","request_id":"r1"}}`},
	} {
		status, _, data := v2Do(t, tc.method, ts.URL+tc.path, nil, "X-Request-Id", "r1")
		if status != tc.status || strings.TrimSpace(string(data)) != tc.body {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, status, data, tc.status, tc.body)
		}
	}
}

// TestV2Client: api.Client's v2 calls against the server.
func TestV2Client(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"detection-mle", "captioning-mle"} {
		copyDir(t, filepath.Join(shippedRepo, name, "1"), filepath.Join(dir, name, "1"))
	}
	reg := ownRegistry(t, dir)
	_, ts := newServer(t, reg, Config{Batch: BatchConfig{MaxBatchSize: 8}})
	t.Cleanup(func() { reg.Close() })
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if live, err := c.V2Live(ctx); !live || err != nil {
		t.Errorf("live %v %v", live, err)
	}
	if ready, err := c.V2Ready(ctx); !ready || err != nil {
		t.Errorf("ready %v %v", ready, err)
	}
	if md, err := c.V2Server(ctx); err != nil || md.Name != "rewardvision" {
		t.Errorf("server %+v %v", md, err)
	}
	md, err := c.V2ModelMetadata(ctx, "captioning-mle", "1")
	if err != nil || md.Platform != "rewardvision_captioning" || len(md.Outputs) != 4 {
		t.Errorf("metadata %+v %v", md, err)
	}
	// Three images in one request: batched, one seed, each answered.
	img := capImage(t)
	req := &api.InferRequest{Inputs: []*api.InferTensor{
		api.BytesTensor("image", []int64{3}, [][]byte{img, img, img}),
		api.StringTensor("decoding", []int64{1}, []string{"sample"}),
		api.Int64Tensor("seed", []int64{1}, []int64{7}),
	}}
	for _, binary := range []bool{true, false} {
		resp, err := c.Infer(ctx, "captioning-mle", "", req, binary, "image")
		if err != nil {
			t.Fatal(err)
		}
		caps, _ := resp.Output("caption").AsBytes()
		if len(caps) != 3 || string(caps[0]) != string(caps[2]) || resp.Parameters["seed"] == nil {
			t.Errorf("binary=%v: captions %q, parameters %v", binary, caps, resp.Parameters)
		}
	}
	_, err = c.Infer(ctx, "nope", "", req, false, "image")
	var e *api.Error
	if !errors.As(err, &e) || e.Status != 404 || e.Message != "no model nope" {
		t.Errorf("unknown model: %v", err)
	}
	if err := c.V2Unload(ctx, "detection-mle"); err != nil {
		t.Fatal(err)
	}
	if ready, err := c.V2ModelReady(ctx, "detection-mle", ""); ready || err != nil {
		t.Errorf("unloaded model: ready %v %v", ready, err)
	}
	idx, err := c.V2RepositoryIndex(ctx, true)
	if err != nil || len(idx) != 1 || idx[0].Name != "captioning-mle" {
		t.Errorf("index %+v %v", idx, err)
	}
	if err := c.V2Load(ctx, "detection-mle"); err != nil {
		t.Fatal(err)
	}
	if ready, err := c.V2ModelReady(ctx, "detection-mle", "1"); !ready || err != nil {
		t.Errorf("reloaded model: ready %v %v", ready, err)
	}
}
