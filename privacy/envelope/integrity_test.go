package envelope

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte anywhere in a sealed
// record or a wrapped key is an integrity failure (integrity.ErrFailed, the
// marker every store and format wraps) as well as this package's
// ErrIntegrity.
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	dk := mustDataKey(t, 0x00)
	sealed, err := Seal(newSeq(0xa0), dk, "rec/0001", 3, []byte("the patient's allergy list"))
	if err != nil {
		t.Fatal(err)
	}
	rk := mustReaderKey(t, 0x40)
	const reader = "insurer-1/claims"
	w, err := Wrap(nil, rk.PublicKey(), reader, dk, "rec/0001", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		b    []byte
		open func([]byte) error
	}{
		{"sealed record", sealed, func(b []byte) error { _, err := Open(dk, b, "rec/0001", 3); return err }},
		{"wrapped key", w, func(b []byte) error { _, err := Unwrap(rk, reader, b, "rec/0001", 3); return err }},
	} {
		for i := range f.b {
			b := bytes.Clone(f.b)
			b[i] ^= 0x01
			if err := f.open(b); !errors.Is(err, integrity.ErrFailed) || !errors.Is(err, ErrIntegrity) {
				t.Fatalf("%s, byte %d flipped: got %v, want the integrity marker", f.name, i, err)
			}
		}
		if err := f.open(f.b[:len(f.b)-1]); !errors.Is(err, integrity.ErrFailed) {
			t.Fatalf("%s truncated: %v", f.name, err)
		}
	}
}
