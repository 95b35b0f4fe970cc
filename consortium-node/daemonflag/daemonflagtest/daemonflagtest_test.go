package daemonflagtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/almoner/almoner/consortium-node/pprofserver"
)

// recorder is a testing.TB that keeps what Errorf reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestRefusesNonLoopbackPprof: a daemon that refuses every address, naming --pprof, passes; one that accepts
// them, or refuses without naming the flag, or for another reason, fails once per address.
func TestRefusesNonLoopbackPprof(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		fail int
	}{
		{"refuses, naming --pprof", fmt.Errorf("--pprof: %w", pprofserver.ErrNotLoopback), 0},
		{"accepts", nil, 4},
		{"refuses without naming the flag", pprofserver.ErrNotLoopback, 4},
		{"fails otherwise", errors.New("--pprof: no such host"), 4},
	} {
		r := &recorder{TB: t}
		var got []string
		RefusesNonLoopbackPprof(r, func(pprof []string) error {
			if len(pprof) != 2 || pprof[0] != "--pprof" {
				t.Errorf("%s: run got %q, want --pprof ADDR", tc.name, pprof)
			}
			got = append(got, pprof[1])
			return tc.err
		})
		if len(r.errs) != tc.fail || len(got) != 4 {
			t.Errorf("%s: %d failures over %d addresses %q, want %d over 4: %q", tc.name, len(r.errs), len(got), got,
				tc.fail, r.errs)
		}
	}
}
