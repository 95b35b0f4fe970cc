package daemonflagtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/pprofserver"
)

// RefusesNonLoopbackPprof calls run with the arguments --pprof ADDR for addresses that are not loopback (all
// interfaces, IPv4 and IPv6, and another host) and fails t unless each call returns an error that names --pprof
// and is pprofserver.ErrNotLoopback. run adds the arguments its daemon needs besides.
func RefusesNonLoopbackPprof(t testing.TB, run func(pprofArgs []string) error) {
	t.Helper()
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "[::]:6060", "10.1.2.3:6060"} {
		err := run([]string{"--pprof", addr})
		if !errors.Is(err, pprofserver.ErrNotLoopback) || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("--pprof %s: %v, want an error naming --pprof and %v", addr, err, pprofserver.ErrNotLoopback)
		}
	}
}
