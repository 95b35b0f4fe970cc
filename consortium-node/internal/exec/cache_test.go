package exec

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// countingReader counts its reads per key and fails reads of "bad".
type countingReader struct {
	m     mapReader
	mu    sync.Mutex
	reads map[string]int
	fails atomic.Int64
}

func (c *countingReader) Get(k string) ([]byte, bool, error) {
	c.mu.Lock()
	c.reads[k]++
	c.mu.Unlock()
	if k == "bad" {
		c.fails.Add(1)
		return nil, false, errors.New("disk on fire")
	}
	return c.m.Get(k)
}

// TestCachedReader: each key is read from the base once, present or not,
// by any number of goroutines at once (-race), and every answer is the
// base's; an error is returned, and not kept.
func TestCachedReader(t *testing.T) {
	base := &countingReader{m: mapReader{"a": []byte("1"), "b": []byte("2")}, reads: map[string]int{}}
	c := NewCachedReader(base)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				k := []string{"a", "b", "missing", fmt.Sprint("k", (i+g)%7)}[i%4]
				v, ok, err := c.Get(k)
				want, wantOK, _ := base.m.Get(k)
				if err != nil || ok != wantOK || string(v) != string(want) {
					t.Errorf("Get(%q) = %q, %v, %v; want %q, %v", k, v, ok, err, want, wantOK)
					return
				}
			}
		})
	}
	wg.Wait()
	for k, n := range base.reads {
		// Two goroutines may both miss before either keeps the value.
		if n > 4 {
			t.Errorf("%q read %d times from the base", k, n)
		}
	}
	if len(base.reads) != 10 {
		t.Errorf("%d keys read, want 10", len(base.reads))
	}
	for range 2 {
		if _, _, err := c.Get("bad"); err == nil {
			t.Fatal("error not returned")
		}
	}
	if base.fails.Load() != 2 {
		t.Fatalf("an error was kept: %d reads of the failing key", base.fails.Load())
	}
}
