package privatestore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestEraseRacingPutLeavesNothing: a copy stored while its record is being
// erased (a replica arriving as the erasure's block applies) is either
// destroyed by the erasure or refused by its tombstone; it is never left
// on disk beside the tombstone.
func TestEraseRacingPutLeavesNothing(t *testing.T) {
	s, nk := newStore(t)
	for i := range 60 {
		id := fmt.Sprintf("rec-%d", i)
		sealed, wrapped := sealNew(t, nk, id, 1, []byte("fhir"))
		var wg sync.WaitGroup
		var putErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			putErr = s.Put(id, 1, sealed, wrapped)
		}()
		go func() {
			defer wg.Done()
			if _, err := s.Erase(id); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		if putErr != nil && !errors.Is(putErr, ErrErased) {
			t.Fatalf("%s: %v", id, putErr)
		}
		if has, err := s.Has(id, 1); err != nil || has {
			t.Fatalf("%s: erased, yet its ciphertext is still stored (put: %v)", id, putErr)
		}
		if _, err := s.db.Get(keyKey(id, 1), nil); err == nil {
			t.Fatalf("%s: erased, yet its data key is still stored", id)
		}
	}
}
