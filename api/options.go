package api

import (
	"net/url"
	"strconv"
)

// Decoding methods.
const (
	Greedy = "greedy"
	Sample = "sample"
)

// DecodeOptions are the decoding parameters every task accepts. Zero
// values leave the model's defaults (model.json's decoding section).
type DecodeOptions struct {
	Decoding    string   // "greedy" or "sample"; "" = model default
	Temperature *float64 // > 0; sampling only
	TopK        *int     // ≥ 0, 0 = off
	TopP        *float64 // (0, 1], 1 = off
	Seed        *uint64  // same seed, same answer
}

// RequestOptions pick the model and tag the result.
type RequestOptions struct {
	Variant  string // "mle", "reward", ...; "" = the server's routing
	ClientID string // sticky A/B assignment (X-Client-Id)
	ImageID  int64  // echoed as image_id in results
	Compare  bool   // every variant side by side (the Compare methods set it)
}

// DetectOptions are the parameters of /v1/detect.
type DetectOptions struct {
	RequestOptions
	DecodeOptions
	ScoreThreshold *float64 // drop boxes scoring below; [0, 1]
	MaxDetections  *int     // keep at most this many, best first; ≥ 1
}

// CaptionOptions are the parameters of /v1/caption.
type CaptionOptions struct {
	RequestOptions
	DecodeOptions
	NumSamples int // > 1: that many sampled candidates with log-probabilities
}

// ColorizeOptions are the parameters of /v1/colorize: the codes are
// generated token by token, so the decoding options apply.
type ColorizeOptions struct {
	RequestOptions
	DecodeOptions
}

// PanopticOptions are the parameters of /v1/panoptic: like colorize's,
// the codes are generated token by token.
type PanopticOptions struct {
	RequestOptions
	DecodeOptions
}

// Query returns the URL query of the options.
func (o PanopticOptions) Query() url.Values {
	q := url.Values{}
	o.RequestOptions.encode(q)
	o.DecodeOptions.encode(q)
	return q
}

// Query parameter names, shared by the server's parser and the client.
const (
	ParamVariant        = "variant"
	ParamCompare        = "compare"
	ParamImageID        = "image_id"
	ParamDecoding       = "decoding"
	ParamTemperature    = "temperature"
	ParamTopK           = "top_k"
	ParamTopP           = "top_p"
	ParamSeed           = "seed"
	ParamScoreThreshold = "score_threshold"
	ParamMaxDetections  = "max_detections"
	ParamNumSamples     = "num_samples"
)

func (o RequestOptions) encode(q url.Values) {
	if o.Variant != "" {
		q.Set(ParamVariant, o.Variant)
	}
	if o.ImageID != 0 {
		q.Set(ParamImageID, strconv.FormatInt(o.ImageID, 10))
	}
	if o.Compare {
		q.Set(ParamCompare, "true")
	}
}

func (o DecodeOptions) encode(q url.Values) {
	if o.Decoding != "" {
		q.Set(ParamDecoding, o.Decoding)
	}
	if o.Temperature != nil {
		q.Set(ParamTemperature, strconv.FormatFloat(*o.Temperature, 'g', -1, 64))
	}
	if o.TopK != nil {
		q.Set(ParamTopK, strconv.Itoa(*o.TopK))
	}
	if o.TopP != nil {
		q.Set(ParamTopP, strconv.FormatFloat(*o.TopP, 'g', -1, 64))
	}
	if o.Seed != nil {
		q.Set(ParamSeed, strconv.FormatUint(*o.Seed, 10))
	}
}

// Query returns the URL query of the options.
func (o DetectOptions) Query() url.Values {
	q := url.Values{}
	o.RequestOptions.encode(q)
	o.DecodeOptions.encode(q)
	if o.ScoreThreshold != nil {
		q.Set(ParamScoreThreshold, strconv.FormatFloat(*o.ScoreThreshold, 'g', -1, 64))
	}
	if o.MaxDetections != nil {
		q.Set(ParamMaxDetections, strconv.Itoa(*o.MaxDetections))
	}
	return q
}

// Query returns the URL query of the options.
func (o CaptionOptions) Query() url.Values {
	q := url.Values{}
	o.RequestOptions.encode(q)
	o.DecodeOptions.encode(q)
	if o.NumSamples != 0 {
		q.Set(ParamNumSamples, strconv.Itoa(o.NumSamples))
	}
	return q
}

// Query returns the URL query of the options.
func (o ColorizeOptions) Query() url.Values {
	q := url.Values{}
	o.RequestOptions.encode(q)
	o.DecodeOptions.encode(q)
	return q
}

// Ptr returns a pointer to v, for the optional fields above.
func Ptr[T any](v T) *T { return &v }
