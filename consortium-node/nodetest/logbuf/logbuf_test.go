package logbuf

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

var _ io.Writer = (*Buffer)(nil)

// TestBufferConcurrent: lines written by many goroutines while others read are all there, each once and whole.
func TestBufferConcurrent(t *testing.T) {
	const writers, lines = 8, 2000
	var b Buffer
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = b.String()
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(&b, "writer %d line %d\n", w, i)
			}
		})
	}
	wg.Wait()
	close(stop)
	reader.Wait()
	seen := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		seen[l]++
	}
	if len(seen) != writers*lines {
		t.Fatalf("%d distinct lines, want %d", len(seen), writers*lines)
	}
	for w := range writers {
		for i := range lines {
			if l := fmt.Sprintf("writer %d line %d", w, i); seen[l] != 1 {
				t.Fatalf("%q written once, found %d times", l, seen[l])
			}
		}
	}
}
