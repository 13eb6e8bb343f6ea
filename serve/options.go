package serve

import (
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"rewardvision/api"
	"rewardvision/models/runner"
)

// Limits on option values: far above any sensible request, low enough
// that no request can make the server do unbounded work.
const (
	maxNumSamples    = 32
	maxDetectionsCap = 1000
	maxTemperature   = 100
)

// decodeParams are the decoding options of a request, before the model's
// defaults fill what it left unset.
type decodeParams struct {
	method      string // "", greedy or sample
	temperature float64
	hasTemp     bool
	topK        int
	topP        float64
	seed        uint64
	hasSeed     bool
}

// requestParams are every option of an inference request.
type requestParams struct {
	decodeParams
	variant        string
	compare        bool
	imageID        int64
	scoreThreshold float64
	maxDetections  int // 0: all
	numSamples     int // 0 or 1: one answer
}

// knownParams lists the parameters each task accepts; others are refused,
// so a typo (temprature=0.5) is a 400, not silently the default.
var knownParams = map[string][]string{
	api.TaskDetect:   {api.ParamScoreThreshold, api.ParamMaxDetections},
	api.TaskCaption:  {api.ParamNumSamples},
	api.TaskPanoptic: {},
	api.TaskColorize: {},
}

var commonParams = []string{api.ParamVariant, api.ParamCompare, api.ParamImageID, api.ParamDecoding,
	api.ParamTemperature, api.ParamTopK, api.ParamTopP, api.ParamSeed}

// ValidateParams reports the first request parameter of task that the
// server would refuse (the CLI checks its flags with it before any work).
func ValidateParams(task string, q url.Values) error {
	_, err := parseParams(task, q)
	return err
}

// parseParams reads and checks the options of a request for task. Every
// error is a *ParamError naming the parameter.
func parseParams(task string, q url.Values) (requestParams, error) {
	var p requestParams
	allowed := slices.Concat(commonParams, knownParams[task])
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return p, badParam(name, "unknown parameter for /v1/%s", task)
		}
		if len(vs) > 1 {
			return p, badParam(name, "given %d times", len(vs))
		}
	}
	get := func(name string) (string, bool) {
		v, ok := q[name]
		if !ok {
			return "", false
		}
		return strings.TrimSpace(v[0]), true
	}
	var err error
	if v, ok := get(api.ParamVariant); ok {
		if v == "" {
			return p, badParam(api.ParamVariant, "empty")
		}
		p.variant = v
	}
	if v, ok := get(api.ParamCompare); ok {
		if p.compare, err = strconv.ParseBool(v); err != nil {
			return p, badParam(api.ParamCompare, "%q: want true or false", v)
		}
	}
	if v, ok := get(api.ParamImageID); ok {
		if p.imageID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return p, badParam(api.ParamImageID, "%q: want an integer", v)
		}
	}
	if v, ok := get(api.ParamDecoding); ok {
		if v != api.Greedy && v != api.Sample {
			return p, badParam(api.ParamDecoding, "%q: want greedy or sample", v)
		}
		p.method = v
	}
	samplingParam := ""
	if v, ok := get(api.ParamTemperature); ok {
		p.temperature, err = strconv.ParseFloat(v, 64)
		if err != nil || !(p.temperature > 0) || p.temperature > maxTemperature {
			return p, badParam(api.ParamTemperature, "%q: want a number in (0, %d]", v, maxTemperature)
		}
		p.hasTemp, samplingParam = true, api.ParamTemperature
	}
	if v, ok := get(api.ParamTopK); ok {
		p.topK, err = strconv.Atoi(v)
		if err != nil || p.topK < 0 {
			return p, badParam(api.ParamTopK, "%q: want an integer ≥ 0 (0: off)", v)
		}
		samplingParam = api.ParamTopK
	}
	if v, ok := get(api.ParamTopP); ok {
		p.topP, err = strconv.ParseFloat(v, 64)
		if err != nil || !(p.topP > 0 && p.topP <= 1) {
			return p, badParam(api.ParamTopP, "%q: want a number in (0, 1] (1: off)", v)
		}
		samplingParam = api.ParamTopP
	}
	if v, ok := get(api.ParamSeed); ok {
		if p.seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return p, badParam(api.ParamSeed, "%q: want an integer in [0, 2^64)", v)
		}
		p.hasSeed = true
	}
	if v, ok := get(api.ParamScoreThreshold); ok {
		p.scoreThreshold, err = strconv.ParseFloat(v, 64)
		if err != nil || !(p.scoreThreshold >= 0 && p.scoreThreshold <= 1) {
			return p, badParam(api.ParamScoreThreshold, "%q: want a number in [0, 1]", v)
		}
	}
	if v, ok := get(api.ParamMaxDetections); ok {
		p.maxDetections, err = strconv.Atoi(v)
		if err != nil || p.maxDetections < 1 || p.maxDetections > maxDetectionsCap {
			return p, badParam(api.ParamMaxDetections, "%q: want an integer in [1, %d]", v, maxDetectionsCap)
		}
	}
	if v, ok := get(api.ParamNumSamples); ok {
		p.numSamples, err = strconv.Atoi(v)
		if err != nil || p.numSamples < 1 || p.numSamples > maxNumSamples {
			return p, badParam(api.ParamNumSamples, "%q: want an integer in [1, %d]", v, maxNumSamples)
		}
		if p.numSamples > 1 {
			samplingParam = api.ParamNumSamples
		}
	}
	// Sampling parameters imply sampling; with an explicit greedy they are
	// a contradiction the client should hear about.
	if samplingParam != "" {
		if p.method == api.Greedy {
			return p, badParam(samplingParam, "applies only to decoding=sample, and decoding=greedy was asked")
		}
		p.method = api.Sample
	}
	return p, nil
}

// generateOptions resolves the request's decoding against the model's
// defaults (model.json: temperature 0 = greedy). An unseeded sampling
// request draws a seed and reports it, so any answer can be reproduced.
func (p decodeParams) generateOptions(r *runner.Runner) (runner.GenerateOptions, api.Decoding) {
	opts := r.DefaultOptions()
	method := p.method
	if method == "" {
		method = api.Greedy
		if opts.Temperature > 0 {
			method = api.Sample
		}
	}
	d := api.Decoding{Method: method}
	if method == api.Greedy {
		opts.Temperature = 0
		return opts, d
	}
	if p.hasTemp {
		opts.Temperature = p.temperature
	}
	if !(opts.Temperature > 0) {
		opts.Temperature = 1 // the paper samples at temperature 1
	}
	opts.TopK, opts.TopP = p.topK, p.topP
	if opts.TopP == 1 {
		opts.TopP = 0
	}
	opts.Seed = p.seed
	if !p.hasSeed {
		opts.Seed = rand.Uint64()
	}
	d.Temperature, d.TopK, d.TopP, d.Seed = opts.Temperature, opts.TopK, opts.TopP, opts.Seed
	return opts, d
}

// round keeps n decimals, so answers do not carry float32 noise.
func round(v float64, n int) float64 {
	s := math.Pow10(n)
	return math.Round(v*s) / s
}
