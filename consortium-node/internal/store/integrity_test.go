package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/privacy/integrity"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte in a stored block or
// receipt list is found (by opening the store, or by
// VerifyAll's checks of hashes and Merkle roots) as an integrity failure: the error
// errors.Is integrity.ErrFailed, the one marker the node halts on.
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	for _, key := range [][]byte{
		append([]byte("b/"), be64(1)...),
		append([]byte("r/"), be64(1)...),
	} {
		s, db := newStore(t)
		c := newChain(t)
		mustCommit(t, s, c.genesis())
		mustCommit(t, s, c.next(2))
		orig, err := db.Get(key, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			b := bytes.Clone(orig)
			b[i] ^= 0x01
			if err := db.Put(key, b, nil); err != nil {
				t.Fatal(err)
			}
			s2, err := store.New(db) // reads the head record again
			if err == nil {
				_, err = store.VerifyAll(s2)
			}
			if !errors.Is(err, integrity.ErrFailed) {
				t.Fatalf("%s byte %d flipped: got %v, want the integrity marker", key, i, err)
			}
		}
		if err := db.Put(key, orig, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := store.VerifyAll(s); err != nil {
			t.Fatalf("%s restored: %v", key, err)
		}
	}
}
