package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"rewardvision/api"
	"rewardvision/internal/buildinfo"
)

// The Open Inference Protocol (KServe v2, as Triton speaks it) over the
// task pipelines: a model's inputs are the encoded image (or its RGB
// pixels) and the decoding options, its outputs the task's answer, so a
// standard v2 client gets boxes, captions or colorized PNGs, not logits.
// Errors are {"error": "..."} with the status classify gives.

// v2 tensor names.
const (
	v2Image         = "image"  // BYTES [N]: encoded images
	v2Pixels        = "pixels" // UINT8 [N, H, W, 3] or [H, W, 3]: RGB
	v2Boxes         = "boxes"  // FP32 [N, K, 4]: x, y, w, h in the image's pixels
	v2Scores        = "scores"
	v2Classes       = "classes" // INT64 [N, K]: category ids
	v2Labels        = "labels"  // BYTES [N, K]
	v2NumDetections = "num_detections"
	v2Caption       = "caption"
	v2LogProb       = "log_prob"
	v2Candidates    = "candidates"
	v2CandLogProbs  = "candidate_log_probs"
	v2PNG           = "png"           // BYTES [N]: the colorized images or panoptic id maps, PNG at each input's size
	v2Segments      = "segments_info" // BYTES [N]: panoptic segments_info of each input, JSON
	maxV2Images     = 64
)

// v2Options are the decoding options a v2 request may give as optional
// input tensors [1] or as request parameters, with the datatype listed in
// the metadata.
var v2Options = []api.V2TensorMetadata{
	{Name: api.ParamDecoding, Datatype: api.TypeBytes, Shape: []int64{1}},
	{Name: api.ParamTemperature, Datatype: api.TypeFP32, Shape: []int64{1}},
	{Name: api.ParamTopK, Datatype: api.TypeInt64, Shape: []int64{1}},
	{Name: api.ParamTopP, Datatype: api.TypeFP32, Shape: []int64{1}},
	{Name: api.ParamSeed, Datatype: api.TypeInt64, Shape: []int64{1}},
}

var v2TaskOptions = map[string][]api.V2TensorMetadata{
	api.TaskDetect: {
		{Name: api.ParamScoreThreshold, Datatype: api.TypeFP32, Shape: []int64{1}},
		{Name: api.ParamMaxDetections, Datatype: api.TypeInt64, Shape: []int64{1}},
	},
	api.TaskCaption: {{Name: api.ParamNumSamples, Datatype: api.TypeInt64, Shape: []int64{1}}},
}

var v2TaskOutputs = map[string][]api.V2TensorMetadata{
	api.TaskDetect: {
		{Name: v2Boxes, Datatype: api.TypeFP32, Shape: []int64{-1, -1, 4}},
		{Name: v2Scores, Datatype: api.TypeFP32, Shape: []int64{-1, -1}},
		{Name: v2Classes, Datatype: api.TypeInt64, Shape: []int64{-1, -1}},
		{Name: v2Labels, Datatype: api.TypeBytes, Shape: []int64{-1, -1}},
		{Name: v2NumDetections, Datatype: api.TypeInt64, Shape: []int64{-1}},
	},
	api.TaskCaption: {
		{Name: v2Caption, Datatype: api.TypeBytes, Shape: []int64{-1}},
		{Name: v2LogProb, Datatype: api.TypeFP32, Shape: []int64{-1}},
		{Name: v2Candidates, Datatype: api.TypeBytes, Shape: []int64{-1, -1}},
		{Name: v2CandLogProbs, Datatype: api.TypeFP32, Shape: []int64{-1, -1}},
	},
	api.TaskColorize: {{Name: v2PNG, Datatype: api.TypeBytes, Shape: []int64{-1}}},
	api.TaskPanoptic: {
		{Name: v2PNG, Datatype: api.TypeBytes, Shape: []int64{-1}},
		{Name: v2Segments, Datatype: api.TypeBytes, Shape: []int64{-1}},
	},
}

// v2Extensions are the protocol extensions the server speaks.
var v2Extensions = []string{"binary_tensor_data", "model_repository"}

// handleV2 is handle with the protocol's error object.
func (s *Server) handleV2(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := h(c)
		if err != nil {
			s.writeV2Error(c, err)
			return
		}
		switch b := v.(type) {
		case nil:
			c.Status(http.StatusOK) // health and repository calls answer with the status alone
		case v2Body:
			if b.headerLen >= 0 {
				c.Header(api.HeaderInferenceHeaderLength, strconv.Itoa(b.headerLen))
				c.Data(http.StatusOK, "application/octet-stream", b.data)
				return
			}
			c.Data(http.StatusOK, "application/json", b.data)
		default:
			c.JSON(http.StatusOK, v)
		}
	}
}

// v2Body is an encoded inference response.
type v2Body struct {
	data      []byte
	headerLen int // -1: all JSON
}

func (s *Server) writeV2Error(c *gin.Context, err error) {
	status, detail := classify(err)
	id := c.GetString(keyRequestID)
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout:
		s.log.Error("request failed", "request_id", id, "status", status, "err", err)
	case status == http.StatusServiceUnavailable:
		c.Header("Retry-After", "1")
	}
	c.Error(err) //nolint:errcheck // kept for the access log
	c.AbortWithStatusJSON(status, api.V2Error{Error: detail.Message})
}

func (s *Server) v2Server(*gin.Context) (any, error) {
	return api.V2ServerMetadata{Name: "rewardvision", Version: buildinfo.Revision(), Extensions: v2Extensions}, nil
}

func (s *Server) v2Live(*gin.Context) (any, error) { return nil, nil }

func (s *Server) v2Ready(*gin.Context) (any, error) {
	if s.draining.Load() || !s.reg.Ready() {
		return nil, v2False("server not ready")
	}
	return nil, nil
}

// v2False answers 400, the protocol's "false" for a health question.
func v2False(msg string) error { return errorf(ErrBadRequest, "%s", msg) }

// v2Model finds the model of the path, with a reference the caller
// releases.
func (s *Server) v2Model(c *gin.Context) (*Model, error) {
	version := 0
	if v := c.Param("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errorf(ErrBadRequest, "model version %q: want a positive integer", v)
		}
		version = n
	}
	return s.reg.AcquireNamed(c.Param("model"), version)
}

func (s *Server) v2Metadata(c *gin.Context) (any, error) {
	m, err := s.v2Model(c)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	var versions []string
	for _, o := range s.reg.Models() {
		if o.Ref.Name == m.Ref.Name {
			versions = append(versions, strconv.Itoa(o.Ref.Version))
		}
	}
	if c.Param("version") != "" {
		versions = []string{strconv.Itoa(m.Ref.Version)}
	}
	inputs := []api.V2TensorMetadata{
		{Name: v2Image, Datatype: api.TypeBytes, Shape: []int64{-1}},
		{Name: v2Pixels, Datatype: api.TypeUint8, Shape: []int64{-1, -1, -1, 3}},
	}
	inputs = append(inputs, v2Options...)
	inputs = append(inputs, v2TaskOptions[m.Route]...)
	return api.V2ModelMetadata{Name: m.Ref.Name, Versions: versions, Platform: "rewardvision_" + m.Ref.Task,
		Inputs: inputs, Outputs: v2TaskOutputs[m.Route]}, nil
}

func (s *Server) v2ModelReady(c *gin.Context) (any, error) {
	m, err := s.v2Model(c)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	if !m.ready.Load() {
		return nil, v2False("model not ready")
	}
	return nil, nil
}

// v2Infer is POST /v2/models/{m}[/versions/{v}]/infer.
func (s *Server) v2Infer(c *gin.Context) (any, error) {
	m, err := s.v2Model(c)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	c.Set(keyTask, m.Route)
	c.Set(keyVariant, m.Ref.Variant)
	c.Set(keyModel, m.Ref.Name)
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		return nil, errorf(ErrTooLarge, "body of %d bytes, the limit is %d", c.Request.ContentLength, s.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return nil, s.bodyError(err)
	}
	req, err := api.DecodeInferRequest(body, c.GetHeader(api.HeaderInferenceHeaderLength),
		func(input string) bool { return input == v2Image })
	if err != nil {
		return nil, errorf(ErrBadRequest, "%v", err)
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	resp, tm, err := s.inferV2(ctx, m, req)
	if err != nil {
		return nil, err
	}
	c.Header("Server-Timing", serverTiming(tm))
	binAll, err := boolParam(req.Parameters, api.ParamBinaryDataOutput)
	if err != nil {
		return nil, err
	}
	binOut := map[string]bool{}
	for _, o := range req.Outputs {
		b, err := boolParam(o.Parameters, api.ParamBinaryData)
		if err != nil {
			return nil, err
		}
		if _, given := o.Parameters[api.ParamBinaryData]; given {
			binOut[o.Name] = b
		}
	}
	// Encoded images (colorize's png) are base64 in JSON, raw in binary,
	// as the image input is.
	data, n, err := resp.Encode(func(name string) bool {
		if b, ok := binOut[name]; ok {
			return b
		}
		return binAll
	}, v2PNG)
	if err != nil {
		return nil, fmt.Errorf("encoding the v2 response: %w", err)
	}
	return v2Body{data: data, headerLen: n}, nil
}

func boolParam(p map[string]any, name string) (bool, error) {
	v, ok := p[name]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, badParam(name, "%v: want true or false", v)
	}
	return b, nil
}

// v2Image is one image of a request, decoded.
type v2Img struct {
	img  image.Image
	info api.ImageInfo
}

// inferV2 runs the task pipeline on every image of the request,
// concurrently (so the batcher can fold them into one call), and builds
// the task's output tensors.
func (s *Server) inferV2(ctx context.Context, m *Model, req *api.InferRequest) (*api.InferResponse, api.Timing, error) {
	start := time.Now()
	q := url.Values{}
	var imgs []v2Img
	allowed := map[string]bool{}
	for _, o := range slices.Concat(v2Options, v2TaskOptions[m.Route]) {
		allowed[o.Name] = true
	}
	var decode time.Duration
	for _, t := range req.Inputs {
		switch {
		case t.Name == v2Image || t.Name == v2Pixels:
			if imgs != nil {
				return nil, api.Timing{}, errorf(ErrBadRequest, "give one of the inputs %s and %s, once", v2Image, v2Pixels)
			}
			t0 := time.Now()
			var err error
			if imgs, err = s.v2Images(t); err != nil {
				return nil, api.Timing{}, err
			}
			decode = time.Since(t0)
		case allowed[t.Name]:
			v, err := optionValue(t)
			if err != nil {
				return nil, api.Timing{}, err
			}
			q.Add(t.Name, v)
		default:
			return nil, api.Timing{}, badParam(t.Name, "unknown input of model %s (see its metadata)", m.Ref.Name)
		}
	}
	if imgs == nil {
		return nil, api.Timing{}, errorf(ErrBadRequest, "no input %s or %s", v2Image, v2Pixels)
	}
	for name, v := range req.Parameters {
		if name == api.ParamBinaryDataOutput {
			continue
		}
		if !allowed[name] {
			return nil, api.Timing{}, badParam(name, "unknown parameter of model %s", m.Ref.Name)
		}
		q.Add(name, fmt.Sprint(v))
	}
	p, err := parseParams(m.Route, q)
	if err != nil {
		return nil, api.Timing{}, err
	}
	// One seed for every image of the request, reported in the answer.
	_, dec := p.generateOptions(m.Runner)
	if dec.Method == api.Sample && !p.hasSeed {
		p.seed, p.hasSeed = dec.Seed, true
	}
	outNames := map[string]bool{}
	for _, o := range req.Outputs {
		if !slices.ContainsFunc(v2TaskOutputs[m.Route], func(t api.V2TensorMetadata) bool { return t.Name == o.Name }) {
			return nil, api.Timing{}, errorf(ErrBadRequest, "model %s has no output %q", m.Ref.Name, o.Name)
		}
		outNames[o.Name] = true
	}

	bodies := make([]any, len(imgs))
	tms := make([]api.Timing, len(imgs))
	errs := make([]error, len(imgs))
	var wg sync.WaitGroup
	for i, im := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tms[i].DecodeMS = ms(decode)
			switch m.Route {
			case api.TaskDetect:
				bodies[i], errs[i] = s.detect(ctx, m, im.img, im.info, p, &tms[i])
			case api.TaskCaption:
				bodies[i], errs[i] = s.caption(ctx, m, im.img, im.info, p, &tms[i])
			case api.TaskColorize:
				bodies[i], errs[i] = s.colorize(ctx, m, im.img, im.info, p, &tms[i])
			case api.TaskPanoptic:
				bodies[i], errs[i] = s.segment(ctx, m, im.img, im.info, p, &tms[i])
			default:
				errs[i] = errorf(ErrNotFound, "no v2 pipeline for task %s", m.Route)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, e := range errs {
			if e != nil {
				return nil, api.Timing{}, e // the first, classified as it is
			}
		}
	}
	resp := &api.InferResponse{ModelName: m.Ref.Name, ModelVersion: strconv.Itoa(m.Ref.Version), ID: req.ID}
	if dec.Method == api.Sample {
		resp.Parameters = map[string]any{api.ParamDecoding: dec.Method, api.ParamSeed: p.seed,
			api.ParamTemperature: dec.Temperature}
	}
	switch m.Route {
	case api.TaskDetect:
		resp.Outputs = detectTensors(bodies)
	case api.TaskCaption:
		resp.Outputs = captionTensors(bodies, p.numSamples > 1)
	case api.TaskColorize:
		pngs := make([][]byte, len(bodies))
		for i, b := range bodies {
			pngs[i] = b.(*api.ColorizeResponse).PNG
		}
		resp.Outputs = []*api.InferTensor{api.BytesTensor(v2PNG, []int64{int64(len(pngs))}, pngs)}
	case api.TaskPanoptic:
		pngs, segs := make([][]byte, len(bodies)), make([][]byte, len(bodies))
		for i, b := range bodies {
			r := b.(*api.PanopticResponse)
			pngs[i] = r.PNG
			if segs[i], err = json.Marshal(r.SegmentsInfo); err != nil {
				return nil, api.Timing{}, err
			}
		}
		n := []int64{int64(len(bodies))}
		resp.Outputs = []*api.InferTensor{api.BytesTensor(v2PNG, n, pngs), api.BytesTensor(v2Segments, n, segs)}
	}
	if len(outNames) > 0 {
		resp.Outputs = slices.DeleteFunc(resp.Outputs, func(t *api.InferTensor) bool { return !outNames[t.Name] })
	}
	tm := tms[0]
	tm.TotalMS = ms(time.Since(start))
	return resp, tm, nil
}

// v2Images decodes the image input: encoded images (BYTES) or RGB pixels.
func (s *Server) v2Images(t *api.InferTensor) ([]v2Img, error) {
	var out []v2Img
	switch t.Name {
	case v2Image:
		elems, err := t.AsBytes()
		if err != nil {
			return nil, badParam(t.Name, "%v", err)
		}
		if len(elems) == 0 || len(elems) > maxV2Images {
			return nil, badParam(t.Name, "%d images: want 1..%d", len(elems), maxV2Images)
		}
		for _, e := range elems {
			img, format, err := DecodeImage(e, s.cfg.MaxPixels)
			if err != nil {
				return nil, err
			}
			b := img.Bounds()
			out = append(out, v2Img{img, api.ImageInfo{Width: b.Dx(), Height: b.Dy(), Format: format}})
		}
	case v2Pixels:
		pix, err := t.AsUint8()
		if err != nil {
			return nil, badParam(t.Name, "%v", err)
		}
		shape := t.Shape
		if len(shape) == 3 {
			shape = append([]int64{1}, shape...)
		}
		if len(shape) != 4 || shape[3] != 3 || shape[0] < 1 || shape[0] > maxV2Images || shape[1] < 1 || shape[2] < 1 {
			return nil, badParam(t.Name, "shape %v: want [N, H, W, 3] or [H, W, 3], N in 1..%d", t.Shape, maxV2Images)
		}
		h, w := int(shape[1]), int(shape[2])
		if int64(h)*int64(w) > s.cfg.MaxPixels {
			return nil, errorf(ErrTooLarge, "image of %d×%d pixels, the limit is %d", w, h, s.cfg.MaxPixels)
		}
		per := h * w * 3
		for i := range int(shape[0]) {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			src := pix[i*per : (i+1)*per]
			for j := range h * w {
				copy(img.Pix[4*j:4*j+3], src[3*j:3*j+3])
				img.Pix[4*j+3] = 255
			}
			out = append(out, v2Img{img, api.ImageInfo{Width: w, Height: h, Format: "rgb"}})
		}
	}
	return out, nil
}

// optionValue renders an option tensor [1] as the query value the v1
// parser reads.
func optionValue(t *api.InferTensor) (string, error) {
	if n, err := t.Elements(); err != nil || n != 1 {
		return "", badParam(t.Name, "shape %v: want one element", t.Shape)
	}
	switch t.Datatype {
	case api.TypeBytes:
		b, _ := t.AsBytes()
		return string(b[0]), nil
	case api.TypeFP32:
		v, _ := t.AsFloat32()
		return strconv.FormatFloat(float64(v[0]), 'g', -1, 32), nil
	case api.TypeFP64:
		v, _ := t.AsFloat64()
		return strconv.FormatFloat(v[0], 'g', -1, 64), nil
	case api.TypeUint64:
		v, err := t.AsFloat64()
		if err != nil {
			return "", badParam(t.Name, "%v", err)
		}
		return strconv.FormatFloat(v[0], 'f', 0, 64), nil
	}
	v, err := t.AsInt64()
	if err != nil {
		return "", badParam(t.Name, "%v", err)
	}
	return strconv.FormatInt(v[0], 10), nil
}

func detectTensors(bodies []any) []*api.InferTensor {
	n := len(bodies)
	k := 0
	for _, b := range bodies {
		k = max(k, len(b.(*api.DetectResponse).Detections))
	}
	boxes := make([]float32, n*k*4)
	scores := make([]float32, n*k)
	classes := make([]int64, n*k)
	labels := make([]string, n*k)
	num := make([]int64, n)
	for i, b := range bodies {
		dets := b.(*api.DetectResponse).Detections
		num[i] = int64(len(dets))
		for j, d := range dets {
			at := i*k + j
			for c := range 4 {
				boxes[4*at+c] = float32(d.BBox[c])
			}
			scores[at], classes[at], labels[at] = float32(d.Score), int64(d.CategoryID), d.Label
		}
	}
	nk := []int64{int64(n), int64(k)}
	return []*api.InferTensor{
		api.FP32Tensor(v2Boxes, []int64{int64(n), int64(k), 4}, boxes),
		api.FP32Tensor(v2Scores, nk, scores),
		api.Int64Tensor(v2Classes, nk, classes),
		api.StringTensor(v2Labels, nk, labels),
		api.Int64Tensor(v2NumDetections, []int64{int64(n)}, num),
	}
}

func captionTensors(bodies []any, samples bool) []*api.InferTensor {
	n := len(bodies)
	caps := make([]string, n)
	lps := make([]float32, n)
	var cands []string
	var clps []float32
	s := 0
	for i, b := range bodies {
		r := b.(*api.CaptionResponse)
		caps[i], lps[i] = r.Caption, float32(r.LogProb)
		s = len(r.Candidates)
		for _, c := range r.Candidates {
			cands, clps = append(cands, c.Caption), append(clps, float32(c.LogProb))
		}
	}
	out := []*api.InferTensor{
		api.StringTensor(v2Caption, []int64{int64(n)}, caps),
		api.FP32Tensor(v2LogProb, []int64{int64(n)}, lps),
	}
	if samples {
		out = append(out, api.StringTensor(v2Candidates, []int64{int64(n), int64(s)}, cands),
			api.FP32Tensor(v2CandLogProbs, []int64{int64(n), int64(s)}, clps))
	}
	return out
}

// v2Index is POST /v2/repository/index: every model of the repository
// folder and every loaded one, with its state.
func (s *Server) v2Index(c *gin.Context) (any, error) {
	var req api.V2RepositoryIndexRequest
	if err := readOptionalJSON(c, &req); err != nil {
		return nil, err
	}
	out := []api.V2RepositoryModel{}
	seen := map[string]bool{}
	for _, m := range s.reg.Models() {
		name := m.RepoName()
		if name == "" {
			name = m.Ref.Name
		}
		e := api.V2RepositoryModel{Name: name, Version: strconv.Itoa(m.Ref.Version), State: "READY"}
		if !m.ready.Load() {
			e.State, e.Reason = "LOADING", "warming up"
		}
		seen[name+"/"+e.Version] = true
		out = append(out, e)
	}
	if src := s.reg.src; src != nil {
		names, err := repoNames(src.dir)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			entries, _, err := repoVersions(src.dir, name)
			if err != nil {
				continue
			}
			for _, e := range entries {
				v := e[strings.LastIndexAny(e, `/\`)+1:]
				if !seen[name+"/"+v] {
					out = append(out, api.V2RepositoryModel{Name: name, Version: v, State: "UNAVAILABLE", Reason: "unloaded"})
				}
			}
		}
	}
	if req.Ready {
		out = slices.DeleteFunc(out, func(e api.V2RepositoryModel) bool { return e.State != "READY" })
	}
	slices.SortFunc(out, func(a, b api.V2RepositoryModel) int {
		if a.Name != b.Name {
			return strings.Compare(a.Name, b.Name)
		}
		x, _ := strconv.Atoi(a.Version)
		y, _ := strconv.Atoi(b.Version)
		return x - y
	})
	return out, nil
}

func (s *Server) v2Load(c *gin.Context) (any, error) {
	if err := checkLoadParams(c, nil); err != nil {
		return nil, err
	}
	// A load is not abandoned when its client goes away: it would leave
	// the server as it was, and the client cannot tell.
	ctx := context.WithoutCancel(c.Request.Context())
	return nil, s.LoadModel(ctx, c.Param("model"))
}

func (s *Server) v2Unload(c *gin.Context) (any, error) {
	// There are no ensembles, so unload_dependents changes nothing.
	if err := checkLoadParams(c, []string{"unload_dependents"}); err != nil {
		return nil, err
	}
	return nil, s.UnloadModel(c.Param("model"))
}

// checkLoadParams refuses load/unload parameters the server does not
// implement (Triton's config overrides and file uploads among them).
func checkLoadParams(c *gin.Context, known []string) error {
	var req api.V2RepositoryLoadRequest
	if err := readOptionalJSON(c, &req); err != nil {
		return err
	}
	for name := range req.Parameters {
		if !slices.Contains(known, name) {
			return badParam(name, "not supported by this server")
		}
	}
	return nil
}

func readOptionalJSON(c *gin.Context, v any) error {
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, 1<<20))
	if err != nil {
		return errorf(ErrBadRequest, "reading the body: %v", err)
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errorf(ErrBadRequest, "body: %v", err)
	}
	return nil
}

// v2Routes registers the Open Inference Protocol's routes (called from
// routes.go, where every route is registered).
func (s *Server) v2Routes(r *gin.Engine) {
	v2 := r.Group("/v2")
	v2.GET("", s.handleV2(s.v2Server))
	v2.GET("/health/live", s.handleV2(s.v2Live))
	v2.GET("/health/ready", s.handleV2(s.v2Ready))
	for _, p := range []string{"/models/:model", "/models/:model/versions/:version"} {
		v2.GET(p, s.handleV2(s.v2Metadata))
		v2.GET(p+"/ready", s.handleV2(s.v2ModelReady))
		v2.POST(p+"/infer", s.handleV2(s.v2Infer))
	}
	v2.POST("/repository/index", s.handleV2(s.v2Index))
	v2.POST("/repository/models/:model/load", s.handleV2(s.v2Load))
	v2.POST("/repository/models/:model/unload", s.handleV2(s.v2Unload))
}
