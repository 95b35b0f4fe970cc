package privatestore

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/almoner/almoner/privacy/envelope"
)

// TestRekey: after a restore's Rekey the store opened as the new node
// releases every version (record ids with slashes too) and the erased
// record stays erased; a wrong old key is refused and nothing readable is
// lost.
func TestRekey(t *testing.T) {
	s, oldKey := newStore(t)
	plain, hashes := map[string][]byte{}, map[string][32]byte{}
	for _, id := range []string{"rec", "org/rec-2", "a/b/c"} {
		for v := uint64(1); v <= 2; v++ {
			p := fmt.Appendf(nil, "fhir %s v%d", id, v)
			sealed, _ := putNew(t, s, oldKey, id, v, p)
			plain[fmt.Sprintf("%s@%d", id, v)] = p
			hashes[fmt.Sprintf("%s@%d", id, v)] = sha256.Sum256(sealed)
		}
	}
	if _, err := s.Erase("a/b/c"); err != nil {
		t.Fatal(err)
	}
	newKey, _ := envelope.GenerateReaderKey(nil)
	wrong, _ := envelope.GenerateReaderKey(nil)
	if _, err := Rekey(s.db, "node1", wrong, "node9", newKey.PublicKey()); !errors.Is(err, ErrRekey) {
		t.Fatalf("a wrong old key: %v", err)
	}
	if _, err := Rekey(s.db, "node2", oldKey, "node9", newKey.PublicKey()); !errors.Is(err, ErrRekey) {
		t.Fatalf("a wrong old node id: %v", err)
	}
	n, err := Rekey(s.db, "node1", oldKey, "node9", newKey.PublicKey())
	if err != nil || n != 4 {
		t.Fatalf("Rekey: %d, %v", n, err)
	}
	restored := New(s.db, "node9", newKey)
	reader, _ := envelope.GenerateReaderKey(nil)
	for _, id := range []string{"rec", "org/rec-2"} {
		for v := uint64(1); v <= 2; v++ {
			opens(t, restored, id, v, hashes[fmt.Sprintf("%s@%d", id, v)], plain[fmt.Sprintf("%s@%d", id, v)])
		}
	}
	if _, _, err := restored.Release("a/b/c", 1, hashes["a/b/c@1"], "reader", reader.PublicKey()); !errors.Is(err, ErrErased) {
		t.Fatalf("erased record after Rekey: %v", err)
	}
	// The old node's key opens nothing any more.
	if _, _, err := s.Release("rec", 1, hashes["rec@1"], "reader", reader.PublicKey()); err == nil {
		t.Fatal("the old node still unwraps a rewrapped key")
	}
}
