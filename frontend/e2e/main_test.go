package e2e_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/almoner/almoner/frontend"
)

const chromium = "/usr/bin/chromium"

var (
	st      *stack // nil when the tests skip
	skipWhy string
)

func TestMain(m *testing.M) {
	flag.Parse()
	_, ci := os.LookupEnv("CI")
	switch {
	case testing.Short():
		skipWhy = "browser tests skipped in -short mode"
	case !exists(chromium):
		skipWhy = "browser tests need " + chromium + " (Debian: apt-get install chromium; .ci/run installs it)"
	case !frontend.Built():
		skipWhy = "the web app is not built: run make frontend (make build and make test do)"
	}
	if skipWhy != "" && ci && !testing.Short() {
		fmt.Fprintln(os.Stderr, "FAIL: under CI the browser tests must run:", skipWhy)
		os.Exit(1)
	}
	if skipWhy == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		s, err := startStack(ctx)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "starting the node and portal:", err)
			os.Exit(1)
		}
		st = s
	}
	code := m.Run()
	if st != nil {
		st.close()
	}
	// A temporary screenshot folder is kept only when a test failed.
	if shotDir != "" && os.Getenv("ALMONER_SCREENSHOTS") == "" {
		if code == 0 {
			os.RemoveAll(shotDir)
		} else {
			fmt.Fprintln(os.Stderr, "screenshots kept in", shotDir)
		}
	}
	os.Exit(code)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// need skips the test when the browser tests cannot run here.
func need(t *testing.T) *stack {
	t.Helper()
	if st == nil {
		t.Skip(skipWhy)
	}
	return st
}
