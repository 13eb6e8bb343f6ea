package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Image is an encoded image to upload.
type Image struct {
	Data        []byte
	ContentType string // "" = sniffed from Data
}

// ReadImage reads an image file.
func ReadImage(path string) (Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Image{}, err
	}
	return Image{Data: data}, nil
}

// Client calls a rewardvision server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// NewClient returns a client for the server at base (e.g.
// "http://127.0.0.1:8080"); hc nil means http.DefaultClient.
func NewClient(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://host:port", base)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, hc: hc}, nil
}

// Detect runs /v1/detect on img.
func (c *Client) Detect(ctx context.Context, img Image, o DetectOptions) (*DetectResponse, error) {
	o.Compare = false
	var out DetectResponse
	return &out, c.upload(ctx, "/v1/"+TaskDetect, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// DetectCompare runs every detection variant on img (compare=true).
func (c *Client) DetectCompare(ctx context.Context, img Image, o DetectOptions) (*CompareResponse[DetectResponse], error) {
	o.Compare = true
	var out CompareResponse[DetectResponse]
	return &out, c.upload(ctx, "/v1/"+TaskDetect, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// Caption runs /v1/caption on img.
func (c *Client) Caption(ctx context.Context, img Image, o CaptionOptions) (*CaptionResponse, error) {
	o.Compare = false
	var out CaptionResponse
	return &out, c.upload(ctx, "/v1/"+TaskCaption, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// CaptionCompare runs every captioning variant on img (compare=true).
func (c *Client) CaptionCompare(ctx context.Context, img Image, o CaptionOptions) (*CompareResponse[CaptionResponse], error) {
	o.Compare = true
	var out CompareResponse[CaptionResponse]
	return &out, c.upload(ctx, "/v1/"+TaskCaption, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// Panoptic runs /v1/panoptic on img; the answer's PNG is the panoptic id
// map at the uploaded image's size. Like Colorize, it asks for JSON.
func (c *Client) Panoptic(ctx context.Context, img Image, o PanopticOptions) (*PanopticResponse, error) {
	o.Compare = false
	var out PanopticResponse
	return &out, c.upload(ctx, "/v1/"+TaskPanoptic, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// PanopticCompare runs every panoptic variant on img (compare=true).
func (c *Client) PanopticCompare(ctx context.Context, img Image, o PanopticOptions) (*CompareResponse[PanopticResponse], error) {
	o.Compare = true
	var out CompareResponse[PanopticResponse]
	return &out, c.upload(ctx, "/v1/"+TaskPanoptic, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// PanopticPNG runs /v1/panoptic asking for the bare id-map PNG (Accept:
// image/png): no segments_info.
func (c *Client) PanopticPNG(ctx context.Context, img Image, o PanopticOptions) (*PNGAnswer, error) {
	o.Compare = false
	var out PNGAnswer
	return &out, c.upload(ctx, "/v1/"+TaskPanoptic, img, o.Query(), o.ClientID, MediaPNG, &out)
}

// Colorize runs /v1/colorize on img; the answer's PNG is the colour image
// at the uploaded image's size. It asks for JSON; should a server answer
// the bare PNG anyway, PNG and Model come from it and the rest stays zero.
func (c *Client) Colorize(ctx context.Context, img Image, o ColorizeOptions) (*ColorizeResponse, error) {
	o.Compare = false
	var out ColorizeResponse
	return &out, c.upload(ctx, "/v1/"+TaskColorize, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// ColorizeCompare runs every colorization variant on img (compare=true).
func (c *Client) ColorizeCompare(ctx context.Context, img Image, o ColorizeOptions) (*CompareResponse[ColorizeResponse], error) {
	o.Compare = true
	var out CompareResponse[ColorizeResponse]
	return &out, c.upload(ctx, "/v1/"+TaskColorize, img, o.Query(), o.ClientID, MediaJSON, &out)
}

// PNGAnswer is an answer sent as a bare PNG: the image, and the model
// that made it as its headers name it.
type PNGAnswer struct {
	PNG     []byte
	Model   string // "name/version" (X-Model)
	Variant string // X-Model-Variant
}

// ref is the model the headers name (task unknown).
func (a PNGAnswer) ref() ModelRef {
	name, v, _ := strings.Cut(a.Model, "/")
	return ModelRef{Name: name, Version: atoiOr0(v), Variant: a.Variant}
}

// ColorizePNG runs /v1/colorize asking for the bare PNG (Accept:
// image/png): no base64, no JSON.
func (c *Client) ColorizePNG(ctx context.Context, img Image, o ColorizeOptions) (*PNGAnswer, error) {
	o.Compare = false
	var out PNGAnswer
	return &out, c.upload(ctx, "/v1/"+TaskColorize, img, o.Query(), o.ClientID, MediaPNG, &out)
}

// Models lists the served models.
func (c *Client) Models(ctx context.Context) (*ModelsResponse, error) {
	var out ModelsResponse
	return &out, c.get(ctx, "/v1/models", &out)
}

// Health checks /healthz (the process is alive).
func (c *Client) Health(ctx context.Context) error {
	return c.get(ctx, "/healthz", &Health{})
}

// Ready checks /readyz (every model loaded and warmed up).
func (c *Client) Ready(ctx context.Context) error {
	return c.get(ctx, "/readyz", &Health{})
}

func (c *Client) upload(ctx context.Context, path string, img Image, q url.Values, clientID, accept string, out any) error {
	if len(img.Data) == 0 {
		return errors.New("upload: empty image")
	}
	u := c.url(path, q)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(img.Data))
	if err != nil {
		return err
	}
	ct := img.ContentType
	if ct == "" {
		ct = http.DetectContentType(img.Data)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", accept)
	if clientID != "" {
		req.Header.Set(HeaderClientID, clientID)
	}
	return c.do(req, out)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path, nil), nil)
	if err != nil {
		return err
	}
	return c.do(req, out)
}

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// do sends req and decodes a 200 answer into out, or an error envelope
// into an *Error.
func (c *Client) do(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header)}
		var env ErrorBody
		if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
			e.ErrorDetail = env.Error
		} else {
			e.Code, e.Message = "http", strings.TrimSpace(string(body))
		}
		return e
	}
	// A bare PNG answer (colorize with Accept: image/png) fills a
	// PNGAnswer, or the PNG and model of a ColorizeResponse.
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == MediaPNG {
		a := PNGAnswer{PNG: body, Model: resp.Header.Get(HeaderModel), Variant: resp.Header.Get(HeaderVariant)}
		switch o := out.(type) {
		case *PNGAnswer:
			*o = a
			return nil
		case *ColorizeResponse:
			o.PNG, o.Model = a.PNG, a.ref()
			return nil
		case *PanopticResponse:
			o.PNG, o.Model = a.PNG, a.ref()
			return nil
		}
		return fmt.Errorf("%s %s: an image/png answer where JSON was expected", req.Method, req.URL.Path)
	}
	if _, ok := out.(*PNGAnswer); ok {
		return fmt.Errorf("%s %s: a %q answer, want image/png", req.Method, req.URL.Path, mt)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

func atoiOr0(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
