package server

import (
	"net"
	"net/http"
	"sync"
)

// inflight bounds the submissions a node reads and admits at once, before
// their bodies are read: in bytes over all callers (a body counts as its
// declared length, or the largest allowed when it declares none), and in
// requests per caller address. Beyond either bound the node answers 503
// busy with Retry-After instead of buffering without end. Safe for
// concurrent use.
type inflight struct {
	maxBytes, maxPerClient int64

	mu      sync.Mutex
	bytes   int64
	clients map[string]int64
}

func newInflight(maxBytes, maxPerClient int64) *inflight {
	return &inflight{maxBytes: maxBytes, maxPerClient: maxPerClient, clients: map[string]int64{}}
}

// acquire reserves room for a request of size bytes from r's address; it
// returns the release function, or nil when the node is busy.
func (f *inflight) acquire(r *http.Request, size int64) func() {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bytes+size > f.maxBytes || f.clients[host] >= f.maxPerClient {
		return nil
	}
	f.bytes += size
	f.clients[host]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.bytes -= size
		if f.clients[host]--; f.clients[host] <= 0 {
			delete(f.clients, host)
		}
	}
}
