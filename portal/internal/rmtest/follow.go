package rmtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/readmodel"
)

// RunFollower runs a follower as cfg says until stop is called or the test
// ends; either way it must end with the context's cancellation, nothing
// else.
func RunFollower(tb testing.TB, cfg readmodel.FollowerConfig) (f *readmodel.Follower, stop func()) {
	tb.Helper()
	f, err := readmodel.NewFollower(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				tb.Errorf("follower: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return f, stop
}

// WaitApplied waits up to 30 s until s has applied height h.
func WaitApplied(tb testing.TB, s *readmodel.Store, h uint64) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if a, ok := s.Applied(); ok && a >= h {
			return
		}
		if time.Now().After(deadline) {
			a, _ := s.Applied()
			tb.Fatalf("read model at %d, want %d", a, h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
