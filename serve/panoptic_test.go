package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"rewardvision/api"
	"rewardvision/dataset/coco"
)

// needPanoptic fails unless reg serves both panoptic variants.
func needPanoptic(t *testing.T, reg *Registry) {
	t.Helper()
	if vs := reg.Variants(api.TaskPanoptic); !slices.Equal(vs, []string{"mle", "reward"}) {
		t.Fatalf("the registry serves panoptic variants %v, want mle and reward (%s/panoptic-{mle,reward}/1)", vs, shippedRepo)
	}
}

// checkPanoptic checks that a panoptic answer is a valid COCO panoptic
// result of the upload's size: every id of the PNG is a listed segment
// and every listed segment's area and box are its pixels', with a category
// of the model and its name. It returns the decoded id map.
func checkPanoptic(t *testing.T, reg *Registry, variant string, w, h int, got api.PanopticResponse) *coco.IDMap {
	t.Helper()
	m, err := coco.DecodeIDMap(bytes.NewReader(got.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if m.Width != w || m.Height != h {
		t.Fatalf("panoptic PNG %dx%d, the upload is %dx%d", m.Width, m.Height, w, h)
	}
	model, err := reg.Lookup(api.TaskPanoptic, variant)
	if err != nil {
		t.Fatal(err)
	}
	names := map[int]string{}
	for _, l := range model.Runner.Manifest.Labels {
		names[l.CategoryID] = l.Name
	}
	stats := m.SegmentStats()
	if len(got.SegmentsInfo) == 0 || len(got.SegmentsInfo) != len(stats) {
		t.Fatalf("%d segments listed, %d ids in the PNG", len(got.SegmentsInfo), len(stats))
	}
	total := 0
	for _, s := range got.SegmentsInfo {
		st, ok := stats[uint32(s.ID)]
		if !ok {
			t.Fatalf("segment %d is not in the PNG", s.ID)
		}
		bb := st.BBox()
		if s.Area != st.Area || s.BBox != [4]float64(bb) || s.IsCrowd != 0 {
			t.Errorf("segment %+v: the PNG has area %d, box %v", s, st.Area, bb)
		}
		if name, ok := names[s.CategoryID]; !ok || s.Label != name {
			t.Errorf("segment %d: category %d labelled %q, the model names it %q", s.ID, s.CategoryID, s.Label, name)
		}
		total += s.Area
	}
	// The code covers every pixel: a panoptic prediction has no void.
	if total != w*h {
		t.Errorf("segments cover %d of %d pixels", total, w*h)
	}
	return m
}

// TestPanoptic: the JSON answer's PNG is a panoptic map of the upload's
// size whose segments_info lists exactly its segments; greedy answers are
// the in-process runner's map, for square and non-square, small and large
// uploads.
func TestPanoptic(t *testing.T) {
	reg := sharedRegistry(t)
	needPanoptic(t, reg)
	_, ts := newServer(t, reg, Config{})
	for _, tc := range []struct {
		name      string
		w, h      int
		multipart bool
		query     string
		variant   string
		imageID   int64
	}{
		{"the model's size", 64, 64, false, "", "mle", 0},
		{"non-square, multipart", 96, 40, true, "image_id=7", "mle", 7},
		{"tall", 30, 100, false, "variant=reward", "reward", 0},
		{"large", 300, 200, false, "", "mle", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upload := colorUpload(t, tc.w, tc.h, false)
			ct, body := "image/png", upload
			if tc.multipart {
				ct, body = multipartBody(t, upload)
			}
			resp := post(t, ts.URL+"/v1/panoptic?"+tc.query, ct, body)
			var got api.PanopticResponse
			decodeJSON(t, resp, &got)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got.Model != (api.ModelRef{Name: "panoptic-" + tc.variant, Version: 1, Task: "panoptic", Variant: tc.variant}) {
				t.Errorf("model %+v", got.Model)
			}
			if got.Image != (api.ImageInfo{Width: tc.w, Height: tc.h, Format: "png"}) || got.ImageID != tc.imageID || got.Decoding.Method != api.Greedy {
				t.Errorf("image %+v, image_id %d, decoding %+v", got.Image, got.ImageID, got.Decoding)
			}
			if got.Timing.InferenceMS <= 0 || got.Timing.PostprocessMS <= 0 || got.Timing.TotalMS < got.Timing.InferenceMS {
				t.Errorf("timing %+v", got.Timing)
			}
			m := checkPanoptic(t, reg, tc.variant, tc.w, tc.h, got)
			// The served map is the in-process runner's.
			model, err := reg.Lookup(api.TaskPanoptic, tc.variant)
			if err != nil {
				t.Fatal(err)
			}
			opts := model.Runner.DefaultOptions()
			opts.Temperature = 0
			preds, err := model.Runner.Predict([]image.Image{decodePNG(t, upload)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p := preds[0].Panoptic; p == nil || !slices.Equal(p.IDs, m.IDs) || len(p.Segments) != len(got.SegmentsInfo) {
				t.Error("the served map differs from runner.Predict's")
			}
		})
	}
}

// TestPanopticAccept: Accept: image/png gives the JSON answer's PNG bare,
// with the model in the headers; compare answers are JSON only (406 for
// image/png alone); compare=true lists both variants.
func TestPanopticAccept(t *testing.T) {
	reg := sharedRegistry(t)
	needPanoptic(t, reg)
	_, ts := newServer(t, reg, Config{})
	upload := colorUpload(t, 80, 48, false)
	resp := post(t, ts.URL+"/v1/panoptic", "image/png", upload)
	var ref api.PanopticResponse
	decodeJSON(t, resp, &ref)
	if resp.Header.Get("Vary") != "Accept" {
		t.Errorf("Vary %q", resp.Header.Get("Vary"))
	}

	resp = post(t, ts.URL+"/v1/panoptic", "image/png", upload, "Accept", "image/png")
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != api.MediaPNG {
		t.Fatalf("status %d, Content-Type %q, %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	if !bytes.Equal(data, ref.PNG) || resp.Header.Get(api.HeaderModel) != "panoptic-mle/1" || resp.Header.Get(api.HeaderVariant) != "mle" {
		t.Errorf("bare PNG equal to the JSON's: %v; headers %v", bytes.Equal(data, ref.PNG), resp.Header)
	}

	resp = post(t, ts.URL+"/v1/panoptic?compare=true", "image/png", upload, "Accept", "image/png")
	if e := errorOf(t, resp, http.StatusNotAcceptable); e.Code != api.CodeNotAcceptable {
		t.Errorf("compare with image/png: %+v", e)
	}
	resp = post(t, ts.URL+"/v1/panoptic?compare=true", "image/png", upload)
	var cmp api.CompareResponse[api.PanopticResponse]
	decodeJSON(t, resp, &cmp)
	if resp.StatusCode != 200 || cmp.Task != api.TaskPanoptic || len(cmp.Results) != 2 ||
		cmp.Results[0].Model.Variant != "mle" || cmp.Results[1].Model.Variant != "reward" {
		t.Fatalf("compare: %d %+v", resp.StatusCode, cmp)
	}
	for _, r := range cmp.Results {
		checkPanoptic(t, reg, r.Model.Variant, 80, 48, r)
	}
	if !bytes.Equal(cmp.Results[0].PNG, ref.PNG) {
		t.Error("compare's mle map differs from the single answer's")
	}

	// A corrupt upload is a 400 envelope whatever Accept asked for.
	resp = post(t, ts.URL+"/v1/panoptic", "image/png", []byte("not an image"), "Accept", "image/png")
	if e := errorOf(t, resp, 400); e.Code != api.CodeBadRequest || !strings.Contains(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("bad image: %+v", e)
	}
}

// TestV2Panoptic: the v2 protocol answers each input's panoptic PNG and
// its segments_info (JSON text), the same as /v1/panoptic's.
func TestV2Panoptic(t *testing.T) {
	reg := sharedRegistry(t)
	needPanoptic(t, reg)
	_, ts := newServer(t, reg, Config{})
	uploads := [][]byte{colorUpload(t, 96, 40, false), colorUpload(t, 64, 64, false)}
	var want []api.PanopticResponse
	for _, u := range uploads {
		resp := post(t, ts.URL+"/v1/panoptic?variant=reward", "image/png", u)
		var r api.PanopticResponse
		decodeJSON(t, resp, &r)
		want = append(want, r)
	}
	bin := map[string]any{api.ParamBinaryData: true}
	req := &api.InferRequest{Inputs: []*api.InferTensor{api.BytesTensor("image", []int64{2}, uploads)},
		Outputs: []api.InferRequestOutput{{Name: "png", Parameters: bin}, {Name: "segments_info", Parameters: bin}}}
	body, n, err := req.Encode(true, "image")
	if err != nil {
		t.Fatal(err)
	}
	status, h, data := v2Do(t, "POST", ts.URL+"/v2/models/panoptic-reward/infer", body,
		"Content-Type", "application/octet-stream", api.HeaderInferenceHeaderLength, fmt.Sprint(n))
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	resp, err := api.DecodeInferResponse(data, h.Get(api.HeaderInferenceHeaderLength))
	if err != nil {
		t.Fatal(err)
	}
	pngT, segT := resp.Output("png"), resp.Output("segments_info")
	if pngT == nil || segT == nil || !slices.Equal(pngT.Shape, []int64{2}) || !slices.Equal(segT.Shape, []int64{2}) {
		t.Fatalf("outputs %+v", resp.Outputs)
	}
	pngs, err := pngT.AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	segs, err := segT.AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	for i := range uploads {
		var got []api.Segment
		if err := json.Unmarshal(segs[i], &got); err != nil {
			t.Fatalf("segments_info %d: %v", i, err)
		}
		if !bytes.Equal(pngs[i], want[i].PNG) || !slices.Equal(got, want[i].SegmentsInfo) {
			t.Errorf("image %d differs from /v1's: png %v, segments %+v vs %+v", i, bytes.Equal(pngs[i], want[i].PNG), got, want[i].SegmentsInfo)
		}
	}
}

// TestPanopticBadRequests: what a new user sends /v1/panoptic that it
// cannot answer is the JSON error envelope with the status and code that
// say why, naming the parameter at fault (whatever Accept asked for); odd
// but valid uploads (1×1, 5000×20) get a map of their own size.
func TestPanopticBadRequests(t *testing.T) {
	reg := sharedRegistry(t)
	needPanoptic(t, reg)
	_, ts := newServer(t, reg, Config{})
	good := colorUpload(t, 64, 64, false)
	// A PNG whose header claims 100000×100000 pixels (and has none).
	chunk := func(typ string, body []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		c = append(append(c, typ...), body...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	}
	ihdr := append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 100000), 100000), 8, 2, 0, 0, 0)
	bomb := append(append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...), chunk("IEND", nil)...)
	mpCT, mpBody := multipartBody(t, []byte("garbage"))
	for _, tc := range []struct {
		name, query, ct string
		body            []byte
		accept          string
		status          int
		code, param     string
		inMessage       string
	}{
		{"garbage", "", "image/png", []byte("garbage"), "", 400, api.CodeBadRequest, "", "undecodable image: not JPEG, PNG, GIF, WebP or BMP"},
		{"garbage, multipart", "", mpCT, mpBody, "", 400, api.CodeBadRequest, "", "undecodable image"},
		{"garbage as octet-stream", "", "application/octet-stream", []byte("garbage"), "", 400, api.CodeBadRequest, "", "undecodable image"},
		{"empty body", "", "image/png", nil, "", 400, api.CodeBadRequest, "", "empty image"},
		{"truncated PNG", "", "image/png", good[:100], "", 400, api.CodeBadRequest, "", "undecodable png image"},
		{"10¹⁰ pixels declared", "", "image/png", bomb, "", 413, api.CodeTooLarge, "", "png image of 100000x100000 = 10000000000 pixels is too large"},
		{"not an image type", "", "text/plain", good, "", 415, api.CodeUnsupportedMedia, "", "content type"},
		{"top_k=-1", "top_k=-1", "image/png", good, "", 400, api.CodeBadParameter, "top_k", `parameter top_k: "-1": want an integer ≥ 0`},
		{"compare=maybe", "compare=maybe", "image/png", good, "", 400, api.CodeBadParameter, "compare", `parameter compare: "maybe": want true or false`},
		{"a detection parameter", "score_threshold=0.5", "image/png", good, "", 400, api.CodeBadParameter, "score_threshold", "unknown parameter for /v1/panoptic"},
		{"variant=nope", "variant=nope", "image/png", good, "", 404, api.CodeNotFound, "", `no "nope" variant for task panoptic (served: [mle reward])`},
		{"Accept: text/html", "", "image/png", good, "text/html", 406, api.CodeNotAcceptable, "", `Accept "text/html" allows none of the media types of this answer: application/json, image/png`},
		{"Accept: nothing at q>0", "", "image/png", good, "image/png;q=0, application/json;q=0", 406, api.CodeNotAcceptable, "", "allows none"},
		{"a bad parameter, Accept: image/png", "top_k=-1", "image/png", good, "image/png", 400, api.CodeBadParameter, "top_k", "parameter top_k"},
		{"garbage, Accept: image/png", "", "image/png", []byte("garbage"), "image/png", 400, api.CodeBadRequest, "", "undecodable image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.accept != "" {
				header = []string{"Accept", tc.accept}
			}
			resp := post(t, ts.URL+"/v1/panoptic?"+tc.query, tc.ct, tc.body, header...)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want the JSON envelope", ct)
			}
			e := errorOf(t, resp, tc.status)
			if e.Code != tc.code || e.Param != tc.param || !strings.Contains(e.Message, tc.inMessage) {
				t.Errorf("error %+v, want code %q, param %q, a message with %q", e, tc.code, tc.param, tc.inMessage)
			}
		})
	}
	for _, size := range [][2]int{{1, 1}, {5000, 20}, {20, 5000}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			resp := post(t, ts.URL+"/v1/panoptic", "image/png", colorUpload(t, size[0], size[1], false))
			var got api.PanopticResponse
			decodeJSON(t, resp, &got)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			checkPanoptic(t, reg, "mle", size[0], size[1], got)
		})
	}
}
