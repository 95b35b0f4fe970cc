package node

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/almoner/almoner/consortium-node/internal/mempool"
)

// metricsMaxScrapes bounds concurrent scrapes of the (anonymous) metrics
// endpoint; more are answered 503.
const metricsMaxScrapes = 4

// durationBuckets are the block execute and commit histograms' buckets, in
// seconds: 100µs to 10s.
func durationBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// metrics are a node's Prometheus metrics, on a registry of its own (never
// the global one, so that several nodes share a process). Gauges read the
// node when scraped; the hot paths only observe the counters and
// histograms here. Every field is set by newMetrics and not changed after.
type metrics struct {
	reg     *prometheus.Registry
	refused map[mempool.Reason]prometheus.Counter
	execute prometheus.Histogram
	commit  prometheus.Histogram
	// commitWait is how long block application waited for the block
	// written in the background before it (pipeline.go): the part of the
	// commit the next block's building did not hide.
	commitWait prometheus.Histogram
}

// newMetrics registers n's metrics. The gauges read n.pool, n.store and
// n.members at scrape time, so they must be set before the first scrape.
func newMetrics(n *Node) (*metrics, error) {
	m := &metrics{
		reg:     prometheus.NewRegistry(),
		refused: map[mempool.Reason]prometheus.Counter{},
		execute: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "almoner_node_block_execute_seconds",
			Help: "Time to execute a block's transactions (proposed or replayed by block sync).", Buckets: durationBuckets()}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "almoner_node_block_commit_seconds",
			Help: "Time to write a block to the store in one batch, fsync included.", Buckets: durationBuckets()}),
		commitWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "almoner_node_block_commit_wait_seconds",
			Help: "Time block application waited for the previous block's background write (the commit not " +
				"overlapped by building the next block).", Buckets: durationBuckets()}),
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almoner_node_mempool_refused_total",
		Help: "Transactions refused at admission, by reason."}, []string{"reason"})
	for _, r := range mempool.Reasons() {
		m.refused[r] = refused.WithLabelValues(string(r)) // every reason is exported, at 0 until it happens
	}
	raft := func(f func(*raftStatus) float64) func() float64 {
		return func() float64 {
			if r := n.raftSt.Load(); r != nil {
				return f(r)
			}
			return 0
		}
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	cs := []prometheus.Collector{m.execute, m.commit, m.commitWait, refused,
		gauge("almoner_node_chain_height", "Height of the last committed block.",
			func() float64 { return float64(n.Head().Height) }),
		gauge("almoner_node_raft_term", "Current raft term (0 before the first raft step).",
			raft(func(r *raftStatus) float64 { return float64(r.Term) })),
		gauge("almoner_node_raft_commit_index", "Highest raft log index known committed.",
			raft(func(r *raftStatus) float64 { return float64(r.Commit) })),
		gauge("almoner_node_raft_applied_index", "Highest raft log index applied to the ledger.",
			raft(func(r *raftStatus) float64 { return float64(n.applied(r)) })),
		gauge("almoner_node_raft_is_leader", "1 while this node is the raft leader, else 0.",
			raft(func(r *raftStatus) float64 {
				if r.Lead != 0 && r.Lead == r.ID {
					return 1
				}
				return 0
			})),
		gauge("almoner_node_raft_voters", "Raft voters in the current configuration, this node included.",
			raft(func(r *raftStatus) float64 { return float64(len(r.Voters)) })),
		gauge("almoner_node_mempool_txs", "Admitted transactions not yet committed or left out (queued or proposed).",
			func() float64 { return float64(n.pool.Pending()) }),
		gauge("almoner_node_mempool_bytes", "Encoded size of the transactions counted by almoner_node_mempool_txs.",
			func() float64 { return float64(n.pool.PendingBytes()) }),
		gauge("almoner_node_mempool_queued_txs", "Admitted transactions waiting to be proposed.",
			func() float64 { return float64(n.pool.Len()) }),
		gauge("almoner_node_peers_known", "Consortium nodes in ledger state other than this one.",
			func() float64 {
				c := 0
				for _, p := range n.Members() {
					if p.ID != n.cfg.NodeID {
						c++
					}
				}
				return float64(c)
			}),
		gauge("almoner_node_halted", "1 once the node has halted (see GET /v1/status's error), else 0.",
			func() float64 {
				if n.fatal.Load() != nil {
					return 1
				}
				return 0
			}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// refuse counts an admission refusal; it is mempool.Config.Refused.
func (m *metrics) refuse(r mempool.Reason) {
	c, ok := m.refused[r]
	if !ok {
		c = m.refused[mempool.ReasonOther]
	}
	c.Inc()
}

// MetricsHandler serves the node's metrics in the Prometheus exposition
// format. It reveals no ledger content (heights, sizes, counts and timings
// only), so it may be served without authentication; concurrent scrapes
// beyond a few are answered 503.
func (n *Node) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(n.log.Handler(), slog.LevelError),
		MaxRequestsInFlight: metricsMaxScrapes,
	})
}
