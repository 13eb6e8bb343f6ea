package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rewardvision/api"
	"rewardvision/internal/testfix"
)

// The colorization entries of the shipped repository. Their colours change
// whenever they are retrained, so these tests check sizes, luminance,
// routing and agreement with the in-process runner, never colours.
var colorEntries = []string{"colorization-mle", "colorization-reward"}

// needColorize fails unless reg serves both colorization variants.
func needColorize(t *testing.T, reg *Registry) {
	t.Helper()
	if vs := reg.Variants(api.TaskColorize); !slices.Equal(vs, []string{"mle", "reward"}) {
		t.Fatalf("the registry serves colorize variants %v, want mle and reward (%s/{%s}/1)",
			vs, shippedRepo, strings.Join(colorEntries, ","))
	}
}

// colorRepo is a repository holding only the shipped colorization entries.
func colorRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range colorEntries {
		copyDir(t, filepath.Join(shippedRepo, name, "1"), filepath.Join(dir, name, "1"))
	}
	return dir
}

// colorUpload is the detection test image resampled (nearest) to w×h and
// encoded as PNG: RGB, or an 8-bit grayscale PNG when gray.
func colorUpload(t *testing.T, w, h int, gray bool) []byte {
	t.Helper()
	src := decodePNG(t, detImage(t))
	sb := src.Bounds()
	var img draw.Image = image.NewRGBA(image.Rect(0, 0, w, h))
	if gray {
		img = image.NewGray(image.Rect(0, 0, w, h))
	}
	for y := range h {
		for x := range w {
			img.Set(x, y, src.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pilLuma is PIL's convert("L"): ITU-R 601-2 luma in 16-bit fixed point.
// Written out here rather than taken from models/codec, so the test does
// not check the code with itself.
// Colours are taken straight (not premultiplied by alpha), as the model
// reads a translucent upload.
func pilLuma(c color.Color) int {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	r, g, b := uint32(n.R), uint32(n.G), uint32(n.B)
	return int((r*19595 + g*38470 + b*7471 + 0x8000) >> 16)
}

// checkColorized checks that out is the upload's size, opaque, and keeps
// its luminance within ±1 at every pixel (codec.Colorize scales
// out-of-gamut chroma towards gray instead of clipping channels, so only
// rounding moves it).
func checkColorized(t *testing.T, what string, upload []byte, out image.Image) {
	t.Helper()
	in := decodePNG(t, upload)
	ib, ob := in.Bounds(), out.Bounds()
	if ib.Size() != ob.Size() {
		t.Fatalf("%s: colorized %v, the upload is %v", what, ob.Size(), ib.Size())
	}
	bad := 0
	for y := range ib.Dy() {
		for x := range ib.Dx() {
			oc := out.At(ob.Min.X+x, ob.Min.Y+y)
			if _, _, _, a := oc.RGBA(); a != 0xffff {
				t.Fatalf("%s: pixel (%d, %d) has alpha %d", what, x, y, a>>8)
			}
			if d := pilLuma(oc) - pilLuma(in.At(ib.Min.X+x, ib.Min.Y+y)); d < -1 || d > 1 {
				if bad < 5 {
					t.Errorf("%s: pixel (%d, %d): luminance %+d from the upload's", what, x, y, d)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d pixels do not keep the upload's luminance", what, bad, ib.Dx()*ib.Dy())
	}
}

// samePixels reports whether two images hold the same RGBA pixels.
func samePixels(a, b image.Image) bool {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return false
	}
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			if color.RGBAModel.Convert(a.At(ab.Min.X+x, ab.Min.Y+y)) != color.RGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)) {
				return false
			}
		}
	}
	return true
}

// colorizeJSON posts a colorize request and decodes the JSON answer.
func colorizeJSON(t *testing.T, url, contentType string, body []byte, header ...string) (*http.Response, api.ColorizeResponse) {
	t.Helper()
	resp := post(t, url, contentType, body, header...)
	var out api.ColorizeResponse
	decodeJSON(t, resp, &out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", url, resp.StatusCode)
	}
	return resp, out
}

// TestColorize: the JSON answer's PNG is the upload's size and keeps its
// luminance, for colour and grayscale, square and not, raw and multipart
// uploads; greedy answers are the in-process runner's own pixels, a
// seeded sample repeats.
func TestColorize(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	cases := []struct {
		name      string
		w, h      int
		gray      bool
		multipart bool
		query     string
		decoding  api.Decoding
		imageID   int64
	}{
		{"non-square colour, multipart", 96, 40, false, true, "image_id=5", api.Decoding{Method: api.Greedy}, 5},
		{"grayscale PNG, raw body", 64, 64, true, false, "", api.Decoding{Method: api.Greedy}, 0},
		{"tall grayscale, multipart", 30, 100, true, true, "", api.Decoding{Method: api.Greedy}, 0},
		{"large colour, raw body", 300, 200, false, false, "variant=mle", api.Decoding{Method: api.Greedy}, 0},
		{"seeded sample", 96, 40, false, false, "decoding=sample&seed=7&temperature=0.9&top_k=50",
			api.Decoding{Method: api.Sample, Temperature: 0.9, TopK: 50, Seed: 7}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			upload := colorUpload(t, tc.w, tc.h, tc.gray)
			ct, body := "image/png", upload
			if tc.multipart {
				ct, body = multipartBody(t, upload)
			}
			resp, got := colorizeJSON(t, ts.URL+"/v1/colorize?"+tc.query, ct, body)
			if got.Model != (api.ModelRef{Name: "colorization-mle", Version: 1, Task: "colorization", Variant: "mle"}) {
				t.Errorf("model %+v", got.Model)
			}
			if got.Image != (api.ImageInfo{Width: tc.w, Height: tc.h, Format: "png"}) || got.ImageID != tc.imageID || got.Decoding != tc.decoding {
				t.Errorf("image %+v, image_id %d, decoding %+v", got.Image, got.ImageID, got.Decoding)
			}
			if got.Timing.InferenceMS <= 0 || got.Timing.TotalMS < got.Timing.InferenceMS || !strings.Contains(resp.Header.Get("Server-Timing"), "postprocess;dur=") {
				t.Errorf("timing %+v, Server-Timing %q", got.Timing, resp.Header.Get("Server-Timing"))
			}
			if resp.Header.Get("Vary") != "Accept" {
				t.Errorf("Vary %q, want Accept", resp.Header.Get("Vary"))
			}
			out := decodePNG(t, got.PNG)
			checkColorized(t, tc.name, upload, out)
			if tc.decoding.Method == api.Sample {
				if _, again := colorizeJSON(t, ts.URL+"/v1/colorize?"+tc.query, ct, body); !bytes.Equal(again.PNG, got.PNG) {
					t.Error("the same seed gave another image")
				}
				return
			}
			// The server's pipeline (batcher path, code decoder, resampling)
			// gives the in-process runner's pixels.
			m, err := reg.Lookup(api.TaskColorize, "mle")
			if err != nil {
				t.Fatal(err)
			}
			opts := m.Runner.DefaultOptions()
			opts.Temperature = 0
			preds, err := m.Runner.Predict([]image.Image{decodePNG(t, upload)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !samePixels(out, preds[0].Colorized) {
				t.Error("the served image differs from runner.Predict's")
			}
		})
	}
}

// TestColorizeAccept: Accept picks JSON (the default) or the bare PNG,
// with q-values; compare answers are JSON only; 406 when nothing offered
// is acceptable; errors stay JSON envelopes.
// A translucent upload keeps its straight colours' luminance: the model
// reads them without alpha, and so does the colouring.
func TestColorizeTranslucent(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	src := decodePNG(t, detImage(t))
	img := image.NewNRGBA(image.Rect(0, 0, 48, 40))
	for y := range 40 {
		for x := range 48 {
			c := color.NRGBAModel.Convert(src.At(src.Bounds().Min.X+x, src.Bounds().Min.Y+y)).(color.NRGBA)
			c.A = uint8(32 + (x*y)%200)
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	_, got := colorizeJSON(t, ts.URL+"/v1/colorize", "image/png", b.Bytes())
	checkColorized(t, "translucent", b.Bytes(), decodePNG(t, got.PNG))
}

func TestColorizeAccept(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	upload := colorUpload(t, 96, 40, false)
	_, ref := colorizeJSON(t, ts.URL+"/v1/colorize", "image/png", upload)
	for _, tc := range []struct {
		name, query, accept string
		want                string // content type, "" = 406
	}{
		{"no Accept", "", "", api.MediaJSON},
		{"anything", "", "*/*", api.MediaJSON},
		{"JSON", "", "application/json", api.MediaJSON},
		{"PNG", "", "image/png", api.MediaPNG},
		{"any image", "", "image/*", api.MediaPNG},
		{"PNG preferred by q", "", "application/json;q=0.5, image/png", api.MediaPNG},
		{"JSON preferred by q", "", "image/png;q=0.5, application/json", api.MediaJSON},
		{"a tie", "", "image/png, application/json", api.MediaJSON},
		{"a browser's image request", "", "image/avif,image/webp,image/apng,image/*,*/*;q=0.8", api.MediaPNG},
		{"PNG refused", "", "*/*, image/png;q=0", api.MediaJSON},
		{"HTML only", "", "text/html", ""},
		{"compare, PNG only", "compare=true", "image/png", ""},
		{"compare, PNG or anything", "compare=true", "image/png, */*;q=0.1", api.MediaJSON},
		{"PNG of the reward variant", "variant=reward", "image/png", api.MediaPNG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := ts.URL + "/v1/colorize"
			if tc.query != "" {
				url += "?" + tc.query
			}
			var hdr []string
			if tc.accept != "" {
				hdr = []string{"Accept", tc.accept}
			}
			resp := post(t, url, "image/png", upload, hdr...)
			if resp.Header.Get("Vary") != "Accept" {
				t.Errorf("Vary %q, want Accept", resp.Header.Get("Vary"))
			}
			if tc.want == "" {
				if e := errorOf(t, resp, http.StatusNotAcceptable); e.Code != api.CodeNotAcceptable || !strings.Contains(e.Message, "application/json") {
					t.Errorf("406 envelope %+v", e)
				}
				return
			}
			ct := resp.Header.Get("Content-Type")
			if !strings.HasPrefix(ct, tc.want) {
				resp.Body.Close()
				t.Fatalf("Content-Type %q, want %s", ct, tc.want)
			}
			if tc.want == api.MediaJSON {
				if strings.Contains(tc.query, "compare") {
					var cmp api.CompareResponse[api.ColorizeResponse]
					decodeJSON(t, resp, &cmp)
					if len(cmp.Results) != 2 {
						t.Errorf("compare: %d results", len(cmp.Results))
					}
					return
				}
				var got api.ColorizeResponse
				decodeJSON(t, resp, &got)
				if !bytes.Equal(got.PNG, ref.PNG) {
					t.Error("the JSON answer's PNG changed")
				}
				return
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			variant := "mle"
			if strings.Contains(tc.query, "reward") {
				variant = "reward"
			}
			if resp.Header.Get(api.HeaderModel) != "colorization-"+variant+"/1" || resp.Header.Get(api.HeaderVariant) != variant ||
				resp.Header.Get("Server-Timing") == "" {
				t.Errorf("headers %v", resp.Header)
			}
			out := decodePNG(t, data)
			checkColorized(t, tc.name, upload, out)
			if variant == "mle" && !bytes.Equal(data, ref.PNG) {
				t.Error("the bare PNG differs from the JSON answer's")
			}
		})
	}

	// Errors are envelopes whatever Accept asked for.
	resp := post(t, ts.URL+"/v1/colorize", "image/png", []byte("not an image"), "Accept", "image/png")
	if e := errorOf(t, resp, 400); e.Code != api.CodeBadRequest || !strings.Contains(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("bad image with Accept: image/png: %+v, %s", e, resp.Header.Get("Content-Type"))
	}
	// The other tasks answer JSON whatever Accept says, as they did.
	resp = post(t, ts.URL+"/v1/detect", "image/png", detImage(t), "Accept", "image/png")
	var det api.DetectResponse
	decodeJSON(t, resp, &det)
	if resp.StatusCode != 200 || len(det.Detections) == 0 {
		t.Errorf("detect with Accept: image/png: %d %+v", resp.StatusCode, det)
	}
}

// TestColorizeVariants: compare=true answers both variants, the variant
// parameter and header pick one (the parameter wins), an A/B split routes
// colorize stickily, an unknown variant is a 404 envelope.
func TestColorizeVariants(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	splits, err := ParseSplits("colorization=mle:1,reward:1")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newServer(t, reg, Config{Splits: splits})
	upload := colorUpload(t, 96, 40, true)

	resp := post(t, ts.URL+"/v1/colorize?compare=true&seed=3&decoding=sample", "image/png", upload)
	var cmp api.CompareResponse[api.ColorizeResponse]
	decodeJSON(t, resp, &cmp)
	if resp.StatusCode != 200 || cmp.Task != api.TaskColorize || len(cmp.Results) != 2 {
		t.Fatalf("compare: %d %+v", resp.StatusCode, cmp.Task)
	}
	for i, v := range []string{"mle", "reward"} {
		r := cmp.Results[i]
		if r.Model.Variant != v || r.Model.Name != "colorization-"+v || r.Decoding.Seed != 3 || r.Image.Width != 96 {
			t.Errorf("compare result %d: %+v %+v %+v", i, r.Model, r.Decoding, r.Image)
		}
		checkColorized(t, "compare "+v, upload, decodePNG(t, r.PNG))
	}

	for _, tc := range []struct {
		name, query string
		header      []string
		want        string
	}{
		{"parameter", "variant=reward", nil, "reward"},
		{"header", "", []string{api.HeaderVariant, "reward"}, "reward"},
		{"parameter over header", "variant=mle", []string{api.HeaderVariant, "reward"}, "mle"},
		{"split, client a", "", []string{api.HeaderClientID, "a"}, splits[api.TaskColorize].pick(api.TaskColorize, "a")},
		{"split, client b", "", []string{api.HeaderClientID, "b"}, splits[api.TaskColorize].pick(api.TaskColorize, "b")},
		{"split, client c", "", []string{api.HeaderClientID, "c"}, splits[api.TaskColorize].pick(api.TaskColorize, "c")},
	} {
		_, got := colorizeJSON(t, ts.URL+"/v1/colorize?"+tc.query, "image/png", upload, tc.header...)
		if got.Model.Variant != tc.want {
			t.Errorf("%s: served %s, want %s", tc.name, got.Model.Variant, tc.want)
		}
	}
	resp = post(t, ts.URL+"/v1/colorize", "image/png", upload, api.HeaderVariant, "tuned")
	if e := errorOf(t, resp, 404); !strings.Contains(e.Message, `no "tuned" variant for task colorize (served: [mle reward])`) {
		t.Errorf("unknown variant: %+v", e)
	}
}

// TestColorizeGolden pins the JSON shape of the answers, in the API's
// field order: the PNG is replaced by its size and timings are zeroed, as
// the colours change with every retraining.
func TestColorizeGolden(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	upload := colorUpload(t, 96, 40, false)
	for _, tc := range []struct{ name, query string }{
		{"colorize-96x40", "image_id=3"},
		{"colorize-96x40-compare-sample", "compare=true&seed=11&top_p=0.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, ts.URL+"/v1/colorize?"+tc.query, "image/png", upload)
			var cmp api.CompareResponse[*api.ColorizeResponse]
			var v any = &cmp
			if strings.Contains(tc.query, "compare") {
				decodeJSON(t, resp, &cmp)
			} else {
				var r api.ColorizeResponse
				decodeJSON(t, resp, &r)
				cmp.Results, v = []*api.ColorizeResponse{&r}, &r
			}
			for _, r := range cmp.Results {
				if b := decodePNG(t, r.PNG).Bounds(); b.Dx() != 96 || b.Dy() != 40 {
					t.Errorf("%s: PNG of %v", r.Model.Name, b.Size())
				}
				r.PNG, r.Timing = nil, api.Timing{}
			}
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = bytes.ReplaceAll(got, []byte(`"png": null`), []byte(`"png": "<96x40 PNG, base64>"`))
			testfix.Golden(t, filepath.Join("testdata", "golden", tc.name+".json"), append(got, '\n'), *update)
		})
	}
}

// TestColorizeBatching: concurrent colorize requests folded into batches
// (greedy and seeded samples, several sizes, in one batch) get the PNGs
// of requests served alone.
func TestColorizeBatching(t *testing.T) {
	reg := ownRegistry(t, colorRepo(t))
	t.Cleanup(func() { reg.Close() })
	needColorize(t, reg)
	alone, _ := newServer(t, reg, Config{})
	s, ts := newServer(t, reg, Config{MaxInflight: 1, Batch: BatchConfig{MaxBatchSize: 8, MaxQueueDelay: 50 * time.Millisecond}})
	type req struct {
		query  string
		upload []byte
	}
	reqs := []req{
		{"", colorUpload(t, 96, 40, false)},
		{"variant=mle", colorUpload(t, 64, 64, true)},
		{"decoding=sample&seed=5", colorUpload(t, 40, 96, false)},
		{"seed=6&top_k=10&temperature=1.5", colorUpload(t, 64, 64, false)},
	}
	want := make([][]byte, len(reqs))
	for i, r := range reqs {
		q, err := url.ParseQuery(r.query)
		if err != nil {
			t.Fatal(err)
		}
		res, err := alone.Predict(context.Background(), Request{Task: api.TaskColorize, Image: r.upload, Params: q})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.Body.(*api.ColorizeResponse).PNG
	}
	const copies = 3
	var wg sync.WaitGroup
	errs := make(chan error, len(reqs)*copies)
	for i, r := range reqs {
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Post(ts.URL+"/v1/colorize?"+r.query, "image/png", bytes.NewReader(r.upload))
				if err != nil {
					errs <- err
					return
				}
				var got api.ColorizeResponse
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errs <- fmt.Errorf("request %d: status %d, %v", i, resp.StatusCode, err)
					return
				}
				if !bytes.Equal(got.PNG, want[i]) {
					errs <- fmt.Errorf("request %d (%s): the batched PNG differs from the one served alone", i, r.query)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := s.BatchStats()
	if st.Images != float64(len(reqs)*copies) || st.EncoderCalls >= uint64(len(reqs)*copies) {
		t.Errorf("%d encoder calls held %g images for %d requests: want batching", st.EncoderCalls, st.Images, len(reqs)*copies)
	}
}

// TestV2Colorize: a colorization model on the v2 protocol answers one PNG
// per image (BYTES), in JSON or binary, equal to /v1's.
func TestV2Colorize(t *testing.T) {
	reg := sharedRegistry(t)
	needColorize(t, reg)
	_, ts := newServer(t, reg, Config{})
	uploads := [][]byte{colorUpload(t, 96, 40, false), colorUpload(t, 64, 64, true)}
	var want [][]byte
	for _, u := range uploads {
		_, r := colorizeJSON(t, ts.URL+"/v1/colorize?variant=reward", "image/png", u)
		want = append(want, r.PNG)
	}
	for _, binary := range []bool{false, true} {
		req := &api.InferRequest{Inputs: []*api.InferTensor{api.BytesTensor("image", []int64{2}, uploads)},
			Outputs: []api.InferRequestOutput{{Name: "png", Parameters: map[string]any{api.ParamBinaryData: binary}}}}
		body, n, err := req.Encode(binary, "image") // base64 in JSON
		if err != nil {
			t.Fatal(err)
		}
		hdr := []string{"Content-Type", "application/json"}
		if binary {
			hdr = []string{"Content-Type", "application/octet-stream", api.HeaderInferenceHeaderLength, fmt.Sprint(n)}
		}
		status, h, data := v2Do(t, "POST", ts.URL+"/v2/models/colorization-reward/infer", body, hdr...)
		if status != 200 {
			t.Fatalf("binary %v: %d %s", binary, status, data)
		}
		resp, err := api.DecodeInferResponse(data, h.Get(api.HeaderInferenceHeaderLength))
		if err != nil {
			t.Fatal(err)
		}
		out := resp.Output("png")
		if out == nil || !slices.Equal(out.Shape, []int64{2}) || out.Datatype != api.TypeBytes {
			t.Fatalf("binary %v: outputs %+v", binary, resp.Outputs)
		}
		pngs, err := out.AsBytes()
		if err != nil {
			t.Fatal(err)
		}
		for i := range pngs {
			if !binary { // base64 in JSON
				if pngs[i], err = base64.StdEncoding.DecodeString(string(pngs[i])); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(pngs[i], want[i]) {
				t.Errorf("binary %v: image %d differs from /v1's", binary, i)
			}
		}
	}
	for _, tc := range []struct{ name, body, want string }{
		{"bad image", `{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["bm90IGFuIGltYWdl"]}]}`, "undecodable image"},
		{"detection output", `{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["` +
			base64.StdEncoding.EncodeToString(uploads[0]) + `"]}],"outputs":[{"name":"boxes"}]}`, `model colorization-mle has no output \"boxes\"`},
	} {
		status, _, data := v2Do(t, "POST", ts.URL+"/v2/models/colorization-mle/infer", []byte(tc.body))
		if status != 400 || !strings.Contains(string(data), tc.want) {
			t.Errorf("%s: %d %s", tc.name, status, data)
		}
	}
}
