package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Open Inference Protocol (v2) calls. Errors are *Error with Code "v2"
// and the server's {"error": ...} message; health questions answer false
// on a 4xx, as the protocol says.

// V2Server returns the server metadata (GET /v2).
func (c *Client) V2Server(ctx context.Context) (*V2ServerMetadata, error) {
	var out V2ServerMetadata
	return &out, c.v2(ctx, http.MethodGet, "/v2", nil, &out)
}

// V2Live reports GET /v2/health/live.
func (c *Client) V2Live(ctx context.Context) (bool, error) {
	return c.v2Bool(ctx, "/v2/health/live")
}

// V2Ready reports GET /v2/health/ready.
func (c *Client) V2Ready(ctx context.Context) (bool, error) {
	return c.v2Bool(ctx, "/v2/health/ready")
}

// V2ModelReady reports whether a model (version "" for the latest) is
// ready.
func (c *Client) V2ModelReady(ctx context.Context, model, version string) (bool, error) {
	return c.v2Bool(ctx, v2ModelPath(model, version)+"/ready")
}

// V2ModelMetadata returns a model's metadata.
func (c *Client) V2ModelMetadata(ctx context.Context, model, version string) (*V2ModelMetadata, error) {
	var out V2ModelMetadata
	return &out, c.v2(ctx, http.MethodGet, v2ModelPath(model, version), nil, &out)
}

// Infer runs an inference. With binary, the inputs travel as binary data
// after the JSON (Triton's extension); BYTES inputs named in base64Inputs
// are sent as base64 otherwise (the server's "image" input wants that).
// Outputs come back as the server sends them, JSON or binary.
func (c *Client) Infer(ctx context.Context, model, version string, req *InferRequest, binary bool, base64Inputs ...string) (*InferResponse, error) {
	body, n, err := req.Encode(binary, base64Inputs...)
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(v2ModelPath(model, version)+"/infer", nil), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if n >= 0 {
		hreq.Header.Set("Content-Type", "application/octet-stream")
		hreq.Header.Set(HeaderInferenceHeaderLength, strconv.Itoa(n))
	} else {
		hreq.Header.Set("Content-Type", "application/json")
	}
	resp, data, err := c.v2Do(hreq)
	if err != nil {
		return nil, err
	}
	out, err := DecodeInferResponse(data, resp.Header.Get(HeaderInferenceHeaderLength))
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	return out, nil
}

// V2RepositoryIndex lists the repository (ready: only ready models).
func (c *Client) V2RepositoryIndex(ctx context.Context, ready bool) ([]V2RepositoryModel, error) {
	var out []V2RepositoryModel
	return out, c.v2(ctx, http.MethodPost, "/v2/repository/index", V2RepositoryIndexRequest{Ready: ready}, &out)
}

// V2Load loads or reloads a model of the repository.
func (c *Client) V2Load(ctx context.Context, model string) error {
	return c.v2(ctx, http.MethodPost, "/v2/repository/models/"+url.PathEscape(model)+"/load", nil, nil)
}

// V2Unload stops serving a model.
func (c *Client) V2Unload(ctx context.Context, model string) error {
	return c.v2(ctx, http.MethodPost, "/v2/repository/models/"+url.PathEscape(model)+"/unload", nil, nil)
}

func v2ModelPath(model, version string) string {
	p := "/v2/models/" + url.PathEscape(model)
	if version != "" {
		p += "/versions/" + url.PathEscape(version)
	}
	return p
}

func (c *Client) v2Bool(ctx context.Context, path string) (bool, error) {
	err := c.v2(ctx, http.MethodGet, path, nil, nil)
	if e, ok := err.(*Error); ok && e.Status >= 400 && e.Status < 500 {
		return false, nil
	}
	return err == nil, err
}

// v2 sends a JSON request (in nil: no body) and decodes a 200 answer
// into out (nil: ignore it).
func (c *Client) v2(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, nil), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	_, data, err := c.v2Do(req)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) v2Do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header)}
		var ve V2Error
		if json.Unmarshal(data, &ve) == nil && ve.Error != "" {
			e.Code, e.Message = "v2", ve.Error
		} else {
			e.Code, e.Message = "http", strings.TrimSpace(string(data))
		}
		return nil, nil, e
	}
	return resp, data, nil
}
