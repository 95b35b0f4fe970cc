package schema

import (
	"context"
	"sync"
	"testing"
)

// TestLoaderBatchesAndCaches checks the N+1 defence: many loads of a few
// keys in one request read each key once, in one batch.
func TestLoaderBatchesAndCaches(t *testing.T) {
	var mu sync.Mutex
	reads := map[string]int{}
	l := batch(func(k string) (*string, error) {
		mu.Lock()
		reads[k]++
		mu.Unlock()
		v := "v" + k
		return &v, nil
	})
	ctx := context.Background()
	var thunks []func() (any, error)
	for i := 0; i < 100; i++ {
		thunks = append(thunks, thunk(l.Load(ctx, []string{"a", "b", "c"}[i%3])))
	}
	for i, th := range thunks {
		v, err := th()
		if err != nil || *(v.(*string)) != "v"+[]string{"a", "b", "c"}[i%3] {
			t.Fatalf("load %d: %v %v", i, v, err)
		}
	}
	if len(reads) != 3 || reads["a"] != 1 || reads["b"] != 1 || reads["c"] != 1 {
		t.Fatalf("reads %v, want each key once", reads)
	}
}
