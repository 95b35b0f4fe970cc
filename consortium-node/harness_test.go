package main

// The process scaffolding of this package's tests: building the daemon, starting and stopping its processes.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/consortium-node/nodetest/logbuf"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/privacy/sign"
)

// highest is the highest block height a test has seen, raised from any goroutine (see) and read with Load.
type highest struct{ atomic.Uint64 }

// see raises the height to h when h is higher.
func (a *highest) see(h uint64) {
	for {
		cur := a.Load()
		if h <= cur || a.CompareAndSwap(cur, h) {
			return
		}
	}
}

// TestHighest: heights seen from many goroutines at once leave the highest; a lower one changes nothing.
func TestHighest(t *testing.T) {
	var h highest
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.see(uint64(i) * 3)
		}()
	}
	wg.Wait()
	h.see(5)
	if got := h.Load(); got != 189 {
		t.Fatalf("after 0, 3, ..., 189 and then 5: %d, want 189", got)
	}
}

// buildDaemon builds the consortium-node binary into dir.
func buildDaemon(t *testing.T, dir string) string {
	t.Helper()
	gobin := ""
	if r := runtime.GOROOT(); r != "" {
		if p := filepath.Join(r, "bin", "go"); fileExists(p) {
			gobin = p
		}
	}
	if gobin == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command to build the daemon with")
		}
		gobin = p
	}
	bin := filepath.Join(dir, "consortium-node")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		// A race-built daemon exits 66 at a clean stop if it saw a race,
		// which the exit-status checks below catch.
		args = append(args, "-race")
	}
	cmd := exec.Command(gobin, append(args, "github.com/almoner/almoner/consortium-node")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type proc struct {
	cmd    *exec.Cmd
	stderr *logbuf.Buffer
	done   chan struct{}
	err    error // valid after done
}

// startNode starts the daemon; t.Cleanup kills it if it is still running.
func startNode(t *testing.T, bin, home string) *proc {
	t.Helper()
	return startProc(t, bin, []string{"run", "--home", home, "--log-level", "warn"}, nil)
}

// startProc starts bin with args, its output collected in p.stderr and, when log is not nil, appended to log
// too, which is closed after a line saying how the process exited. t.Cleanup kills it if it is still running.
func startProc(t *testing.T, bin string, args []string, log *os.File) *proc {
	t.Helper()
	p := &proc{stderr: &logbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	var w io.Writer = p.stderr
	if log != nil {
		w = io.MultiWriter(p.stderr, log)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		if log != nil {
			log.Close()
		}
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		if log != nil {
			fmt.Fprintf(log, "=== %s test: process exited: %v\n", time.Now().Format("15:04:05.000"), p.err)
			log.Close()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit.
func (p *proc) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("node did not exit within %v\n%s", d, p.stderr)
	}
}

// checkLog fails the test if the node's output shows a data race (the
// daemon is race-built when the test is) or a panic.
func (p *proc) checkLog(t *testing.T) {
	t.Helper()
	out := p.stderr.String()
	if strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "panic: ") {
		t.Errorf("node output shows a data race or panic:\n%s", out)
	}
}

// stop sends sig and checks that the node exits 0 within 10s.
func stop(t *testing.T, p *proc, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	p.wait(t, 10*time.Second)
	p.checkLog(t)
	if p.err != nil {
		t.Fatalf("node stopped by %v exited with %v; want exit status 0\n%s", sig, p.err, p.stderr)
	}
}

// initHome builds the daemon into a temporary folder and initialises a dev consortium of one node there (extra
// flags for `init` after the base port); it returns the binary, the home and the base port.
func initHome(t *testing.T, extra ...string) (bin, home string, port int) {
	t.Helper()
	dir := t.TempDir()
	bin = buildDaemon(t, dir)
	home = filepath.Join(dir, "home")
	port = freeport.Port(t)
	args := append([]string{"init", "--home", home, "--base-port", strconv.Itoa(port)}, extra...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	return bin, home, port
}

// statusCode is the HTTP status of a node API error, 0 for any other error or none.
func statusCode(err error) int {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.StatusCode
	}
	return 0
}

// signKeyFile loads member or node id's key file from the dev consortium in home and its signing key.
func signKeyFile(t testing.TB, home, id string) (*genesis.KeyFile, *sign.PrivateKey) {
	t.Helper()
	kf, key, err := genesis.LoadSignKey(home, "", id)
	if err != nil {
		t.Fatal(err)
	}
	return kf, key
}

// killSeed skips the test where processes cannot be SIGKILLed and returns the seed of its random choices: flagged
// (the test's -flagName), or a random one when that is 0, logged with the command that replays the test (extra: other
// flags it needs, "-name=value").
func killSeed(t *testing.T, flagged uint64, flagName string, extra ...string) uint64 {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL/SIGTERM semantics")
	}
	return testseed.Seed(t, flagged, fmt.Sprintf("go test -run '^%s$' ./consortium-node/ -args %s-%s", t.Name(),
		strings.Join(append(extra, ""), " "), flagName))
}
