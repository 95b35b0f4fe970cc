package privatestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/integrity"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte in a stored data key
// (the node's wrapped key entry) makes Release fail with the integrity
// marker (integrity.ErrFailed), and nothing is released.
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	s, nk := newStore(t)
	sealed, _ := putNew(t, s, nk, "rec", 1, []byte("fhir v1"))
	reader, _ := envelope.GenerateReaderKey(nil)
	stored, err := s.db.Get(keyKey("rec", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stored {
		b := bytes.Clone(stored)
		b[i] ^= 0x01
		if err := s.db.Put(keyKey("rec", 1), b, nil); err != nil {
			t.Fatal(err)
		}
		gs, gw, err := s.Release("rec", 1, sha256.Sum256(sealed), "acme/adjuster", reader.PublicKey())
		if !errors.Is(err, integrity.ErrFailed) || gs != nil || gw != nil {
			t.Fatalf("data key byte %d flipped: got %v, want the integrity marker and nothing released", i, err)
		}
	}
}
