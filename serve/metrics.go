package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, on a registry of its own so
// that several servers (tests) can live in one process.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // route, task, variant, status
	latency   *prometheus.HistogramVec // route
	stages    *prometheus.HistogramVec // task, variant, stage
	inflight  prometheus.Gauge
	queue     prometheus.Gauge
	modelLoad *prometheus.GaugeVec // model, version, task, variant
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rewardvision_requests_total", Help: "HTTP requests by route, task, variant and status.",
		}, []string{"route", "task", "variant", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rewardvision_stage_duration_seconds", Help: "Time per inference stage (decode, preprocess, queue, inference, postprocess).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}, []string{"task", "variant", "stage"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rewardvision_inferences_in_flight", Help: "Inferences running now.",
		}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rewardvision_queue_length", Help: "Requests waiting for an inference slot.",
		}),
		modelLoad: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rewardvision_model_ready", Help: "1 when the model is loaded and warmed up, else 0.",
		}, []string{"model", "version", "task", "variant"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.stages, m.inflight, m.queue, m.modelLoad,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
