package app_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/server"
)

// BenchmarkQueries measures GraphQL queries against a portal following a
// live node: requests/s and p99 latency over concurrent clients.
//
//	go test -run '^$' -bench BenchmarkQueries ./portal/app/
func BenchmarkQueries(b *testing.B) {
	_, p := startPortal(b, server.Config{RatePerIP: 1 << 30, RatePerUser: 1 << 30})
	query := []byte(`{"query":"{ blocks(first: 10) { nodes { height hash transactionCount } } organisations { id name } members(first: 20) { nodes { id roles organisation { name } } } }"}`)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			r, err := hc.Post(p.URL+"/graphql", "application/json", bytes.NewReader(query))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				b.Errorf("status %d", r.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
