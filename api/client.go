package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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
	return &out, c.upload(ctx, "/v1/"+TaskDetect, img, o.Query(), o.ClientID, &out)
}

// DetectCompare runs every detection variant on img (compare=true).
func (c *Client) DetectCompare(ctx context.Context, img Image, o DetectOptions) (*CompareResponse[DetectResponse], error) {
	o.Compare = true
	var out CompareResponse[DetectResponse]
	return &out, c.upload(ctx, "/v1/"+TaskDetect, img, o.Query(), o.ClientID, &out)
}

// Caption runs /v1/caption on img.
func (c *Client) Caption(ctx context.Context, img Image, o CaptionOptions) (*CaptionResponse, error) {
	o.Compare = false
	var out CaptionResponse
	return &out, c.upload(ctx, "/v1/"+TaskCaption, img, o.Query(), o.ClientID, &out)
}

// CaptionCompare runs every captioning variant on img (compare=true).
func (c *Client) CaptionCompare(ctx context.Context, img Image, o CaptionOptions) (*CompareResponse[CaptionResponse], error) {
	o.Compare = true
	var out CompareResponse[CaptionResponse]
	return &out, c.upload(ctx, "/v1/"+TaskCaption, img, o.Query(), o.ClientID, &out)
}

// Panoptic runs /v1/panoptic on img.
func (c *Client) Panoptic(ctx context.Context, img Image, o RequestOptions) (*PanopticResponse, error) {
	q := url.Values{}
	o.encode(q)
	var out PanopticResponse
	return &out, c.upload(ctx, "/v1/"+TaskPanoptic, img, q, o.ClientID, &out)
}

// Colorize runs /v1/colorize on img.
func (c *Client) Colorize(ctx context.Context, img Image, o RequestOptions) (*ColorizeResponse, error) {
	q := url.Values{}
	o.encode(q)
	var out ColorizeResponse
	return &out, c.upload(ctx, "/v1/"+TaskColorize, img, q, o.ClientID, &out)
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

func (c *Client) upload(ctx context.Context, path string, img Image, q url.Values, clientID string, out any) error {
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
	req.Header.Set("Accept", "application/json")
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
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
