package loadkit

import (
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/testseed"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the randomised tests (0: a new one)")

// TestPercentile: a request that carries n items counts n times; ranks round up (nearest rank).
func TestPercentile(t *testing.T) {
	s := []Sample{{3 * time.Millisecond, 1}, {1 * time.Millisecond, 2}, {2 * time.Millisecond, 7}}
	SortByLatency(s)
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.1, 1 * time.Millisecond}, {0.2, 1 * time.Millisecond}, {0.21, 2 * time.Millisecond},
		{0.5, 2 * time.Millisecond}, {0.9, 2 * time.Millisecond}, {0.91, 3 * time.Millisecond},
		{1, 3 * time.Millisecond}} {
		if got := Percentile(s, 10, c.q); got != c.want {
			t.Errorf("Percentile(q=%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := Percentile(nil, 0, 0.5); got != 0 {
		t.Errorf("no samples: %v, want 0", got)
	}
	if Ms(1500*time.Microsecond) != 1.5 {
		t.Errorf("Ms(1.5ms) = %v", Ms(1500*time.Microsecond))
	}
}

// TestPercentileOfOnes: with one item a sample, Percentile is the nearest-rank percentile of the latencies
// (randomised; the seed is printed).
func TestPercentileOfOnes(t *testing.T) {
	r := testseed.Rand(t, *seedFlag, "-seed")
	n := 1 + r.IntN(500)
	s := make([]Sample, n)
	for i := range s {
		s[i] = Sample{time.Duration(r.IntN(1e6)), 1}
	}
	SortByLatency(s)
	for _, q := range []float64{0.01, 0.5, 0.99, 1} {
		k := int(q*float64(n) + 0.999999)
		if got, want := Percentile(s, n, q), s[max(1, k)-1].D; got != want {
			t.Errorf("n=%d q=%v: %v, want %v", n, q, got, want)
		}
	}
	for i := 1; i < n; i++ {
		if s[i].D < s[i-1].D {
			t.Fatalf("not sorted at %d", i)
		}
	}
}

// TestAwait: ready is called until it returns nil; past the limit, its last error is returned, wrapped and named.
func TestAwait(t *testing.T) {
	calls := 0
	err := Await("three calls", time.Minute, func() error {
		if calls++; calls < 3 {
			return fmt.Errorf("not yet (%d)", calls)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("ready on the third call: %v after %d calls, want nil after 3", err, calls)
	}

	notYet := errors.New("not yet")
	calls = 0
	start := time.Now()
	err = Await("the moon", 250*time.Millisecond, func() error { calls++; return notYet })
	if !errors.Is(err, notYet) || err.Error() != "waiting for the moon: not yet" {
		t.Errorf("never ready: %v, want %q wrapping the last error", err, "waiting for the moon: not yet")
	}
	if took := time.Since(start); calls < 2 || took < 250*time.Millisecond {
		t.Errorf("never ready: gave up after %d calls and %v, want at least 2 calls and the limit, 250ms", calls, took)
	}
}
