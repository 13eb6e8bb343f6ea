package serve

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"rewardvision/api"
)

// Keys of values handlers leave in the gin context for the access log
// and the metrics.
const (
	keyTask      = "rv.task"
	keyVariant   = "rv.variant"
	keyModel     = "rv.model"
	keyRequestID = "rv.request_id"
)

// ErrNotReady answers /readyz before warm-up and while draining.
var ErrNotReady = errors.New("not ready")

// inference is the handler of POST /v1/<task>.
func (s *Server) inference(task string) handlerFunc {
	return func(c *gin.Context) (any, error) {
		c.Set(keyTask, task)
		data, params, err := s.readUpload(c)
		if err != nil {
			return nil, err
		}
		media, err := answerMedia(c, task, params)
		if err != nil {
			return nil, err
		}
		// The request's context ends when the client goes away; the
		// timeout bounds the work even when it stays.
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
		defer cancel()
		res, err := s.Predict(ctx, Request{Task: task, Image: data, Params: params,
			Variant: c.GetHeader(api.HeaderVariant), ClientID: c.GetHeader(api.HeaderClientID)})
		if err != nil {
			return nil, err
		}
		c.Set(keyVariant, res.Variant)
		c.Set(keyModel, res.Model)
		c.Header("Server-Timing", serverTiming(res.Timing))
		if media == api.MediaPNG {
			var ref api.ModelRef
			var data []byte
			switch b := res.Body.(type) {
			case *api.ColorizeResponse:
				ref, data = b.Model, b.PNG
			case *api.PanopticResponse:
				ref, data = b.Model, b.PNG
			}
			c.Header(api.HeaderModel, ref.Name+"/"+strconv.Itoa(ref.Version))
			c.Header(api.HeaderVariant, ref.Variant)
			return rawBody{contentType: api.MediaPNG, data: data}, nil
		}
		return res.Body, nil
	}
}

// answerMedia negotiates the media type of an inference answer. Only
// /v1/colorize and /v1/panoptic have a choice: their PNG as JSON (base64,
// the default) or bare (image/png); a compare answer, holding several
// images, is JSON only. The other tasks answer JSON whatever Accept says,
// as they always did.
func answerMedia(c *gin.Context, task string, params url.Values) (string, error) {
	if task != api.TaskColorize && task != api.TaskPanoptic {
		return api.MediaJSON, nil
	}
	c.Header("Vary", "Accept")
	offers := []string{api.MediaJSON, api.MediaPNG}
	// An unreadable compare value is parseParams' 400, after this.
	if compare, _ := strconv.ParseBool(strings.TrimSpace(params.Get(api.ParamCompare))); compare {
		offers = offers[:1]
	}
	return negotiate(c.GetHeader("Accept"), offers)
}

// serverTiming renders the stages as a Server-Timing header value.
func serverTiming(t api.Timing) string {
	parts := []struct {
		name string
		ms   float64
	}{{"decode", t.DecodeMS}, {"preprocess", t.PreprocessMS}, {"queue", t.QueueMS},
		{"inference", t.InferenceMS}, {"postprocess", t.PostprocessMS}, {"total", t.TotalMS}}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.name + ";dur=" + strconv.FormatFloat(p.ms, 'f', 3, 64))
	}
	return b.String()
}

// readUpload returns the image and the options of an inference request:
// the raw body with an image content type, or multipart/form-data with
// the image in field "image" (other fields are options, as the query's).
func (s *Server) readUpload(c *gin.Context) ([]byte, url.Values, error) {
	req := c.Request
	params := req.URL.Query()
	if req.ContentLength > s.cfg.MaxBodyBytes {
		return nil, nil, errorf(ErrTooLarge, "body of %d bytes, the limit is %d", req.ContentLength, s.cfg.MaxBodyBytes)
	}
	body := http.MaxBytesReader(c.Writer, req.Body, s.cfg.MaxBodyBytes)
	ct := req.Header.Get("Content-Type")
	mt, mp, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		if err := checkImageType(ct); err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, s.bodyError(err)
		}
		return data, params, nil
	}
	if mp["boundary"] == "" {
		return nil, nil, errorf(ErrBadRequest, "multipart body without a boundary")
	}
	mr := multipart.NewReader(body, mp["boundary"])
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, s.bodyError(err)
		}
		name := part.FormName()
		switch {
		case name == "image":
			if data != nil {
				return nil, nil, errorf(ErrBadRequest, "multipart field \"image\" given twice")
			}
			if data, err = io.ReadAll(part); err != nil {
				return nil, nil, s.bodyError(err)
			}
			if data == nil {
				data = []byte{}
			}
		case part.FileName() != "":
			return nil, nil, errorf(ErrBadRequest, "unexpected file field %q (the image goes in field \"image\")", name)
		default:
			v, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return nil, nil, s.bodyError(err)
			}
			if len(v) > 4096 {
				return nil, nil, badParam(name, "longer than 4096 bytes")
			}
			params.Add(name, string(v))
		}
	}
	if data == nil {
		return nil, nil, errorf(ErrBadRequest, "multipart body without field \"image\"")
	}
	return data, params, nil
}

func (s *Server) bodyError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errorf(ErrTooLarge, "body over the limit of %d bytes", mb.Limit)
	}
	return errorf(ErrBadRequest, "reading the body: %v", err)
}

func (s *Server) listModels(*gin.Context) (any, error) {
	out := api.ModelsResponse{Models: []api.ModelInfo{}}
	for _, m := range s.reg.Models() {
		out.Models = append(out.Models, api.ModelInfo{Name: m.Ref.Name, Version: m.Ref.Version, Task: m.Route,
			Variant: m.Ref.Variant, Ready: m.ready.Load(), Manifest: m.manifest})
	}
	return out, nil
}

func (s *Server) healthz(*gin.Context) (any, error) { return api.Health{Status: "ok"}, nil }

func (s *Server) readyz(*gin.Context) (any, error) {
	if s.draining.Load() {
		return nil, errorf(ErrNotReady, "shutting down")
	}
	var names, waiting []string
	for _, m := range s.reg.Models() {
		name := m.Ref.Name + "/" + strconv.Itoa(m.Ref.Version)
		names = append(names, name)
		if !m.ready.Load() {
			waiting = append(waiting, name)
		}
	}
	if len(waiting) > 0 {
		return nil, errorf(ErrNotReady, "models not warmed up yet: %s", strings.Join(waiting, ", "))
	}
	return api.Health{Status: "ok", Models: names}, nil
}

func (s *Server) noRoute(c *gin.Context) (any, error) {
	return nil, errorf(ErrNotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path)
}

func (s *Server) noMethod(c *gin.Context) (any, error) {
	return nil, errorf(ErrMethodNotAllowed, "%s %s", c.Request.Method, c.Request.URL.Path)
}

// writeError is the one place that turns an error into a status and the
// envelope. Internal errors are logged with the request id; the client
// gets a generic message and the id.
func (s *Server) writeError(c *gin.Context, err error) {
	if strings.HasPrefix(c.Request.URL.Path, "/v2/") || c.Request.URL.Path == "/v2" {
		s.writeV2Error(c, err) // the protocol's own error object (v2.go)
		return
	}
	status, detail := classify(err)
	detail.RequestID = c.GetString(keyRequestID)
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout:
		s.log.Error("request failed", "request_id", detail.RequestID, "status", status, "err", err)
	case status == http.StatusServiceUnavailable:
		c.Header("Retry-After", "1")
	}
	c.Error(err) //nolint:errcheck // kept for the access log
	c.AbortWithStatusJSON(status, api.ErrorBody{Error: detail})
}
