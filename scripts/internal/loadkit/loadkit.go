package loadkit

import (
	"fmt"
	"os"
	"slices"
	"time"
)

// Main runs run and, when it fails, prints "prefix: error" on standard error and exits with status 1.
func Main(prefix string, run func() error) {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, prefix+":", err)
		os.Exit(1)
	}
}

// Sample is one request's latency and how many items (transactions, writes) of it count with that latency: a
// request carries a batch, so each item's latency is its request's.
type Sample struct {
	D time.Duration
	N int
}

// SortByLatency sorts samples by latency, as Percentile needs them.
func SortByLatency(samples []Sample) {
	slices.SortFunc(samples, func(a, b Sample) int { return int(a.D - b.D) })
}

// Percentile returns the q-quantile (0 < q <= 1, nearest rank) of the total per-item latencies that samples,
// sorted by latency, stand for; 0 when total is 0.
func Percentile(samples []Sample, total int, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	rank := max(1, min(int(q*float64(total)+0.999999), total)) // ceil, tolerant of float noise
	seen := 0
	for _, s := range samples {
		if seen += s.N; seen >= rank {
			return s.D
		}
	}
	return samples[len(samples)-1].D
}

// Await calls ready every 100 ms until it returns nil, and returns nil then; once limit has passed since the
// first call, it returns ready's last error instead, after "waiting for what: ". It calls ready at least once.
func Await(what string, limit time.Duration, ready func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
