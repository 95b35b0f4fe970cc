// Command portalload sends one GraphQL query to a portal from many
// concurrent clients and reports requests per second and latency
// percentiles. It runs as its own process, beside the portal and node
// (scripts/bench-portal.sh).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
	"github.com/almoner/almoner/scripts/internal/loadkit"
)

func main() { loadkit.Main("error", run) }

func run() error {
	url := flag.String("url", "http://127.0.0.1:8080/graphql", "the portal's GraphQL endpoint")
	token := flag.String("token", "", "API token (Authorization: Bearer)")
	query := flag.String("query", "", "GraphQL query")
	vars := flag.String("vars", "{}", "variables as JSON")
	n := flag.Int("n", 10000, "requests in all")
	c := flag.Int("c", 16, "concurrent clients")
	name := flag.String("name", "query", "label for the report")
	flag.Parse()
	if *query == "" || *token == "" {
		return errors.New("-query and -token are required")
	}
	var v any
	if err := json.Unmarshal([]byte(*vars), &v); err != nil {
		return fmt.Errorf("-vars: %w", err)
	}
	base, ok := strings.CutSuffix(*url, "/graphql")
	if !ok {
		return fmt.Errorf("-url %q: the portal's /graphql endpoint, such as http://127.0.0.1:8080/graphql", *url)
	}
	gc, err := gqlclient.New(gqlclient.Config{URL: base, BearerToken: *token, Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *c * 2}})
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	// Encoded once: a request's latency is the portal's answer, read and
	// decoded (data and errors), as a client of the portal waits for it.
	body, _ := json.Marshal(map[string]any{"query": *query, "variables": v})
	ctx := context.Background()
	do := func() (time.Duration, error) {
		start := time.Now()
		r, err := gc.Post(ctx, "application/json", body)
		d := time.Since(start)
		if err != nil {
			return 0, err
		}
		if err := r.Err(); err != nil {
			return 0, err
		}
		return d, nil
	}
	if _, err := do(); err != nil { // the query must work before it is measured
		return err
	}
	lat := make([]time.Duration, *n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) || failed.Load() != nil {
					return
				}
				d, err := do()
				if err != nil {
					failed.Store(&err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := failed.Load(); e != nil {
		return *e
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%s: %d requests, %d clients: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		*name, *n, *c, float64(*n)/elapsed.Seconds(), pct(0.50), pct(0.99), pct(1))
	return nil
}
