package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/daemonflag/daemonflagtest"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/consortium-node/nodetest/logbuf"
)

// TestRunPprofRefusesNonLoopback: --pprof on all interfaces or another
// host is refused before anything else happens.
func TestRunPprofRefusesNonLoopback(t *testing.T) {
	daemonflagtest.RefusesNonLoopbackPprof(t, func(pprof []string) error {
		return cmdRun(append([]string{"--home", t.TempDir()}, pprof...))
	})
}

// TestRunPprof runs the daemon with --pprof on loopback and reads the
// profile index there; the API does not serve it.
func TestRunPprof(t *testing.T) {
	bin, home, port := initHome(t)
	pp := fmt.Sprintf("127.0.0.1:%d", freeport.Port(t))
	var stderr logbuf.Buffer
	cmd := exec.Command(bin, "run", "--home", home, "--log-level", "warn", "--pprof", pp)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("node exit: %v\n%s", err, stderr.String())
		}
	}()
	get := func(url string) (int, string, error) {
		res, err := http.Get(url)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, string(b), err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body, err := get("http://" + pp + "/debug/pprof/")
		if err == nil && code == http.StatusOK && strings.Contains(body, "goroutine") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /debug/pprof/ on %s: %d %v\nnode stderr:\n%s", pp, code, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The public API has no profiles.
	for {
		code, _, err := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", port))
		if err == nil {
			if code == http.StatusOK {
				t.Fatal("the node API serves /debug/pprof/")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node API did not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
