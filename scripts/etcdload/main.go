// Command etcdload is the etcd side of scripts/bench-cluster.sh: several
// clients, each sending requests one after another, write N keys to an
// etcd cluster through its HTTP/JSON gateway (POST /v3/kv/put, or with
// --batch > 1 a POST /v3/kv/txn whose success branch holds that many
// puts), spread over the endpoints round-robin; with --grpc through
// etcd's own Go client instead (go.etcd.io/etcd/client/v3, gRPC: how etcd
// is fastest), one client connection per load client, each to one member,
// the members taken in turn. It reports puts per
// second and the per-put latency (request sent to answer received; a txn
// carries a batch, so a put's latency is its request's), p50 and p99.
//
//	go run ./scripts/etcdload --endpoints 127.0.0.1:2379 --puts 20000 --clients 8 --value-size 2000
//	go run ./scripts/etcdload --grpc --batch 250 ...
//
// The last line of the output is machine-readable:
//
//	RESULT puts_per_s=... p50_ms=... p99_ms=... puts=... ...
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/scripts/internal/loadkit"
)

func main() { loadkit.Main("etcdload", run) }

type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type requestOp struct {
	RequestPut kv `json:"requestPut"`
}

type txnRequest struct {
	Success []requestOp `json:"success"`
}

func run() error {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated etcd client URLs or host:port")
	n := flag.Int("puts", 20000, "keys to write")
	clients := flag.Int("clients", 8, "concurrent clients, each sending its requests one after another")
	batch := flag.Int("batch", 1, "puts per request: 1 sends /v3/kv/put, more a /v3/kv/txn with that many puts (etcd's --max-txn-ops must allow it)")
	size := flag.Int("value-size", 2000, "value bytes per put")
	wait := flag.Duration("wait-ready", 0, "first wait up to this long for every endpoint's /health to answer true (0: don't)")
	timeout := flag.Duration("timeout", 60*time.Second, "per-request timeout")
	useGRPC := flag.Bool("grpc", false, "write through etcd's Go client (gRPC) instead of the HTTP/JSON gateway")
	flag.Parse()
	if *n <= 0 || *clients <= 0 || *batch <= 0 || *size < 0 {
		return errors.New("--puts, --clients and --batch must be positive")
	}
	var eps []string
	for _, e := range strings.Split(*endpoints, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		if !strings.Contains(e, "://") {
			e = "http://" + e
		}
		eps = append(eps, strings.TrimRight(e, "/"))
	}
	if len(eps) == 0 {
		return errors.New("--endpoints: no endpoint")
	}
	hc := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	ctx := context.Background()
	if *wait > 0 {
		if err := awaitHealthy(ctx, hc, eps, *wait); err != nil {
			return err
		}
	}

	// Encode every request before the clock starts, as loadgen signs and
	// encodes its transactions first.
	val := make([]byte, *size)
	_, _ = rand.Read(val)
	v64 := base64.StdEncoding.EncodeToString(val)
	run := time.Now().UnixNano()
	key := func(i int) string {
		return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "bench/%x/%09d", run, i))
	}
	path := "/v3/kv/put"
	if *batch > 1 {
		path = "/v3/kv/txn"
	}
	var bodies [][]byte
	var counts []int
	for lo := 0; lo < *n; lo += *batch {
		hi := min(lo+*batch, *n)
		var b []byte
		var err error
		if *batch == 1 {
			b, err = json.Marshal(kv{Key: key(lo), Value: v64})
		} else {
			t := txnRequest{Success: make([]requestOp, 0, hi-lo)}
			for i := lo; i < hi; i++ {
				t.Success = append(t.Success, requestOp{RequestPut: kv{Key: key(i), Value: v64}})
			}
			b, err = json.Marshal(t)
		}
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
		counts = append(counts, hi-lo)
	}
	var gw *grpcWriter
	var gkeys [][]string // per request, with --grpc
	if *useGRPC {
		var err error
		if gw, err = newGRPCWriter(eps, *clients, *timeout); err != nil {
			return err
		}
		defer gw.close()
		path = "gRPC Put"
		if *batch > 1 {
			path = "gRPC Txn"
		}
		for lo := 0; lo < *n; lo += *batch {
			var ks []string
			for i := lo; i < min(lo+*batch, *n); i++ {
				ks = append(ks, fmt.Sprintf("bench/%x/%09d", run, i))
			}
			gkeys = append(gkeys, ks)
		}
	}
	fmt.Fprintf(os.Stderr, "writing %d keys of %d bytes to %s: %d requests to %s from %d clients...\n",
		*n, *size, strings.Join(eps, ","), len(bodies), path, *clients)

	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errMu      sync.Mutex
		firstErr   error
		latMu      sync.Mutex
		lat        []loadkit.Sample
	)
	start := time.Now()
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(bodies) {
					return
				}
				t0 := time.Now()
				var err error
				if gw != nil {
					err = gw.write(ctx, c, gkeys[k], string(val))
				} else {
					err = post(ctx, hc, eps[k%len(eps)]+path, bodies[k], *batch > 1)
				}
				d := time.Since(t0)
				if err != nil {
					errMu.Lock()
					firstErr = errors.Join(firstErr, err)
					errMu.Unlock()
					return
				}
				done.Add(int64(counts[k]))
				latMu.Lock()
				lat = append(lat, loadkit.Sample{D: d, N: counts[k]})
				latMu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	loadkit.SortByLatency(lat)
	total := int(done.Load())
	p50, p99 := loadkit.Percentile(lat, total, 0.50), loadkit.Percentile(lat, total, 0.99)
	rate := float64(total) / el.Seconds()
	fmt.Printf("etcd (%s): %d puts (%d per request) in %.2fs: %.0f puts/s; per-put latency p50 %v p99 %v; %d endpoint(s)\n",
		path, total, *batch, el.Seconds(), rate, p50.Round(time.Millisecond), p99.Round(time.Millisecond), len(eps))
	fmt.Printf("RESULT puts_per_s=%.1f p50_ms=%.1f p99_ms=%.1f puts=%d failed=%d seconds=%.3f requests=%d batch=%d clients=%d endpoints=%d value_bytes=%d\n",
		rate, loadkit.Ms(p50), loadkit.Ms(p99), total, *n-total, el.Seconds(), len(lat), *batch, *clients, len(eps), *size)
	return firstErr
}

// post sends one request and checks etcd's answer: 200, and for a txn
// "succeeded" (its success branch ran).
func post(ctx context.Context, hc *http.Client, url string, body []byte, txn bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: reading answer: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		Header    json.RawMessage `json:"header"`
		Succeeded bool            `json:"succeeded"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Errorf("%s: decoding answer: %w", url, err)
	}
	if out.Error != "" || out.Header == nil || (txn && !out.Succeeded) {
		return fmt.Errorf("%s: unexpected answer: %.300s", url, data)
	}
	return nil
}

// awaitHealthy waits until every endpoint's GET /health answers
// {"health":"true"} (the member has a leader and serves requests).
func awaitHealthy(ctx context.Context, hc *http.Client, eps []string, limit time.Duration) error {
	return loadkit.Await("etcd", limit, func() error {
		for _, e := range eps {
			if err := health(ctx, hc, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func health(ctx context.Context, hc *http.Client, ep string) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, ep+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h struct {
		Health string `json:"health"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return fmt.Errorf("%s/health: %w", ep, err)
	}
	if h.Health != "true" {
		return fmt.Errorf("%s/health: %q", ep, h.Health)
	}
	return nil
}
