package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	gqlErrors *prometheus.CounterVec
	ops       *prometheus.CounterVec
	wsConns   prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry, h Health) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_http_requests_total", Help: "HTTP requests by route, method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_graphql_errors_total", Help: "GraphQL errors by extensions.code."},
			[]string{"code"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_graphql_operations_total", Help: "GraphQL operations by transport and kind."},
			[]string{"transport", "kind"}),
		wsConns: prometheus.NewGauge(prometheus.GaugeOpts{Name: "portal_ws_connections", Help: "Open graphql-transport-ws connections."}),
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portal_readmodel_lag_blocks", Help: "Node height minus the read model's applied height (-1 while the node's height is unknown)."},
		func() float64 {
			l, ok := h.Lag()
			if !ok {
				return -1
			}
			return float64(l)
		})
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.gqlErrors, m.ops, m.wsConns, lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
