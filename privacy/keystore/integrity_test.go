package keystore

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte anywhere in an entry is
// an integrity failure (integrity.ErrFailed, the marker every store and
// format wraps), except in the fields that derive the key (KDF parameters,
// salt, key check), which read as a wrong passphrase.
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	e, pass, id := passphraseEntry(t)
	marked := 0
	for i := range e {
		b := bytes.Clone(e)
		b[i] ^= 0x01
		_, err := Unseal(b, pass, id, 1)
		switch {
		case errors.Is(err, integrity.ErrFailed):
			marked++
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("byte %d: marker without ErrIntegrity: %v", i, err)
			}
		case errors.Is(err, ErrWrongPassphrase):
		default:
			t.Fatalf("byte %d flipped: got %v, want an integrity failure", i, err)
		}
	}
	if marked < len(e)/2 {
		t.Fatalf("only %d of %d flipped bytes are integrity failures", marked, len(e))
	}
	if _, err := Unseal(e[:len(e)-1], pass, id, 1); !errors.Is(err, integrity.ErrFailed) {
		t.Fatalf("truncated entry: %v", err)
	}
}
