package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api/server"
)

// TestSubmissionBackPressure: the node reads and admits a bounded amount
// of submissions at once, before reading their bodies: 64 MiB over all
// callers (a body of unknown length counts as the 16 MiB limit) and, here,
// 16 at once per caller address; beyond that it answers 503 busy with
// Retry-After, and takes submissions again once the earlier ones end.
func TestSubmissionBackPressure(t *testing.T) {
	f := newFixture(t)
	h, err := server.New(server.Config{Backend: f.n, MaxInflightPerClient: 16})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	type held struct {
		w    *io.PipeWriter
		done chan int
	}
	hold := func(length int64) held {
		pr, pw := io.Pipe()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/v1/txs", pr)
		req.Header.Set("Content-Type", "application/cbor")
		req.ContentLength = length
		h := held{w: pw, done: make(chan int, 1)}
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				h.done <- 0
				return
			}
			resp.Body.Close()
			h.done <- resp.StatusCode
		}()
		return h
	}
	// status sends a submission whose body never comes; the node either
	// refuses it at once (503) or reads it until the body ends (then 400:
	// an empty body is no batch).
	status := func(length int64) (int, string) {
		h := hold(length)
		time.Sleep(300 * time.Millisecond)
		if length > 0 {
			go h.w.Write(make([]byte, length)) // a body of the declared length (not a batch)
			time.Sleep(100 * time.Millisecond)
		}
		h.w.Close()
		select {
		case code := <-h.done:
			return code, ""
		case <-time.After(10 * time.Second):
			return 0, "no answer"
		}
	}
	release := func(hs []held) {
		var wg sync.WaitGroup
		for _, h := range hs {
			wg.Add(1)
			go func() { defer wg.Done(); h.w.Close(); <-h.done }()
		}
		wg.Wait()
	}

	// Bodies of unknown length: four fill the 64 MiB budget.
	var hs []held
	for range 4 {
		hs = append(hs, hold(-1))
	}
	time.Sleep(200 * time.Millisecond) // let the four be admitted
	if code, why := status(-1); code != http.StatusServiceUnavailable {
		t.Fatalf("a fifth large submission: %d %s, want 503 busy", code, why)
	}
	release(hs)

	// Small bodies: sixteen at once per caller address.
	hs = hs[:0]
	for range 16 {
		hs = append(hs, hold(100))
	}
	time.Sleep(200 * time.Millisecond)
	if code, why := status(100); code != http.StatusServiceUnavailable {
		t.Fatalf("a 17th submission from one address: %d %s, want 503 busy", code, why)
	}
	release(hs)
	// Free again: a real submission commits.
	f.commit(f.goodTx())
}
