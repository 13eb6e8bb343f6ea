// Package api is the wire format of rewardvision's HTTP API and a Go client
// for it. It imports only the standard library, so any program (the CLI,
// batch eval, tests, other services) can speak to the server without
// pulling in ONNX Runtime or the training stack.
//
// Result fields are named as COCO results files name them (image_id,
// category_id, bbox as [x, y, w, h] in the uploaded image's pixels, score,
// caption, segments_info), so a saved response's detections or caption feed
// `rewardvision eval coco` / `eval captions` unchanged.
package api

import "encoding/json"

// Tasks, as the routes /v1/<task> name them.
const (
	TaskDetect   = "detect"
	TaskCaption  = "caption"
	TaskPanoptic = "panoptic"
	TaskColorize = "colorize"
)

// Variant header and client-id header of A/B routing. HeaderVariant and
// HeaderModel ("name/version") also name the model of an answer that is
// not JSON (a colorized PNG).
const (
	HeaderVariant   = "X-Model-Variant"
	HeaderModel     = "X-Model"
	HeaderClientID  = "X-Client-Id"
	HeaderRequestID = "X-Request-Id"
)

// Media types of answers: JSON always; /v1/colorize also answers a bare
// PNG to a request whose Accept header prefers it.
const (
	MediaJSON = "application/json"
	MediaPNG  = "image/png"
)

// ModelRef names the model that served a result.
type ModelRef struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Task    string `json:"task"`    // the model's task ("detection", "captioning", ...)
	Variant string `json:"variant"` // "mle" or "reward"
}

// Timing is the time per stage of one request, in milliseconds. Queue is
// the wait for an inference slot; Total spans the whole handler.
type Timing struct {
	DecodeMS      float64 `json:"decode_ms"`
	PreprocessMS  float64 `json:"preprocess_ms"`
	QueueMS       float64 `json:"queue_ms"`
	InferenceMS   float64 `json:"inference_ms"`
	PostprocessMS float64 `json:"postprocess_ms"`
	TotalMS       float64 `json:"total_ms"`
}

// ImageInfo is the uploaded image as decoded (after EXIF orientation).
type ImageInfo struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"` // "jpeg", "png", "gif", "webp", "bmp"
}

// Decoding is the decoding configuration a result was produced with.
type Decoding struct {
	Method      string  `json:"decoding"` // "greedy" or "sample"
	Temperature float64 `json:"temperature,omitempty"`
	TopK        int     `json:"top_k,omitempty"`
	TopP        float64 `json:"top_p,omitempty"`
	Seed        uint64  `json:"seed"`
}

// Detection is one box, as a COCO detection result plus the label.
type Detection struct {
	ImageID    int64      `json:"image_id"`
	CategoryID int        `json:"category_id"`
	Label      string     `json:"label"`
	BBox       [4]float64 `json:"bbox"` // x, y, width, height in the uploaded image's pixels
	Score      float64    `json:"score"`
}

// DetectResponse is the answer of POST /v1/detect.
type DetectResponse struct {
	Model      ModelRef    `json:"model"`
	Image      ImageInfo   `json:"image"`
	Decoding   Decoding    `json:"decoding"`
	Detections []Detection `json:"detections"`
	Timing     Timing      `json:"timing"`
}

// CaptionCandidate is one sampled caption and its log-probability under
// the distribution it was drawn from (sum over its tokens, EOS included).
type CaptionCandidate struct {
	Caption string  `json:"caption"`
	LogProb float64 `json:"log_prob"`
}

// CaptionResponse is the answer of POST /v1/caption. ImageID and Caption
// are a COCO captions result; with num_samples=N, Candidates holds N
// samples and Caption the most likely of them.
type CaptionResponse struct {
	Model      ModelRef           `json:"model"`
	Image      ImageInfo          `json:"image"`
	Decoding   Decoding           `json:"decoding"`
	ImageID    int64              `json:"image_id"`
	Caption    string             `json:"caption"`
	LogProb    float64            `json:"log_prob"`
	Candidates []CaptionCandidate `json:"candidates,omitempty"`
	Timing     Timing             `json:"timing"`
}

// Segment is one segment of a panoptic result, as in COCO panoptic
// segments_info.
type Segment struct {
	ID         int        `json:"id"`
	CategoryID int        `json:"category_id"`
	Label      string     `json:"label,omitempty"`
	Area       int        `json:"area"`
	BBox       [4]float64 `json:"bbox"`
	IsCrowd    int        `json:"iscrowd"`
}

// PanopticResponse is the answer of POST /v1/panoptic: the segments and
// the panoptic PNG (COCO's id = R + 256·G + 256²·B encoding) of the
// uploaded image's size, base64; ImageID, SegmentsInfo and the PNG are a
// COCO panoptic result. With Accept: image/png the server sends the PNG
// alone, as colorize does.
type PanopticResponse struct {
	Model        ModelRef  `json:"model"`
	Image        ImageInfo `json:"image"`
	Decoding     Decoding  `json:"decoding"`
	ImageID      int64     `json:"image_id"`
	SegmentsInfo []Segment `json:"segments_info"`
	PNG          []byte    `json:"png"`
	Timing       Timing    `json:"timing"`
}

// ColorizeResponse is the answer of POST /v1/colorize: the colour image
// as a PNG (base64 in JSON) of the uploaded image's size, the model's
// colours on the input's luminance. With Accept: image/png the server
// sends the PNG alone (Content-Type image/png) and names the model in the
// X-Model and X-Model-Variant headers.
type ColorizeResponse struct {
	Model    ModelRef  `json:"model"`
	Image    ImageInfo `json:"image"`
	Decoding Decoding  `json:"decoding"`
	ImageID  int64     `json:"image_id"`
	PNG      []byte    `json:"png"`
	Timing   Timing    `json:"timing"`
}

// CompareResponse is the answer of compare=true: every variant of the
// task on the same image, in variant order.
type CompareResponse[T any] struct {
	Task    string `json:"task"`
	Results []T    `json:"results"`
}

// ModelInfo is one repository entry as GET /v1/models lists it.
type ModelInfo struct {
	Name     string          `json:"name"`
	Version  int             `json:"version"`
	Task     string          `json:"task"`    // route name: detect, caption, ...
	Variant  string          `json:"variant"` // mle, reward
	Ready    bool            `json:"ready"`
	Manifest json.RawMessage `json:"manifest"` // model.json as loaded
}

// ModelsResponse is the answer of GET /v1/models.
type ModelsResponse struct {
	Models []ModelInfo `json:"models"`
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string   `json:"status"` // "ok" or "not ready"
	Models []string `json:"models,omitempty"`
}
