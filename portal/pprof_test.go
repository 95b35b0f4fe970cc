package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/daemonflag/daemonflagtest"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
)

// TestPprofRefusesNonLoopback: --pprof on all interfaces or another host
// is refused before anything else happens.
func TestPprofRefusesNonLoopback(t *testing.T) {
	daemonflagtest.RefusesNonLoopbackPprof(t, func(pprof []string) error {
		return run(context.Background(), append([]string{"--home", t.TempDir()}, pprof...))
	})
}

// TestPprof starts the portal with --pprof on loopback and a node that
// does not answer: the profiles are served while the portal waits for it.
func TestPprof(t *testing.T) {
	pp, node := freeport.Addr(t), freeport.Addr(t)
	t.Setenv(PassphraseEnv, "pprof test passphrase")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--home", t.TempDir(), "--node", node, "--listen", freeport.Addr(t), "--log-level", "error", "--pprof", pp})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the portal did not stop")
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + pp + "/debug/pprof/")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.Contains(string(b), "goroutine") {
				return
			}
			t.Fatalf("GET /debug/pprof/: %s %.200q", res.Status, b)
		}
		select {
		case err := <-done:
			t.Fatalf("the portal stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /debug/pprof/ on %s: %v", pp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
