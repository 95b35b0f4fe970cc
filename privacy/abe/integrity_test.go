package abe

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte in a wrapped key is an
// integrity failure (integrity.ErrFailed, the marker every store and
// format wraps), except where the flip reads as a policy refusal: in the
// authority id (another authority: ErrWrongAuthority) and in the parts of
// circl's ciphertext that carry the policy (ErrPolicy).
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	k, _, w := physicianWrap(t, "org: stmarys and (role: physician or role: nurse)")
	marked, tried := 0, 0
	hdr := 48 + len(rec)
	for i := range w {
		if i > hdr && i < len(w)-1 && i%16 != 0 {
			continue // every header byte, then a sample of the ciphertext: each unwrap is pairings
		}
		tried++
		b := bytes.Clone(w)
		b[i] ^= 0x01
		_, err := UnwrapKey(k, b, rec, ver)
		if i >= 6 && i < 38 { // the authority id
			if !errors.Is(err, ErrWrongAuthority) {
				t.Fatalf("authority byte %d flipped: got %v, want ErrWrongAuthority", i, err)
			}
			continue
		}
		switch {
		case errors.Is(err, integrity.ErrFailed) && errors.Is(err, ErrIntegrity):
			marked++
		case errors.Is(err, ErrPolicy) && i >= hdr:
		default:
			t.Fatalf("byte %d flipped: got %v, want the integrity marker", i, err)
		}
	}
	if marked < tried/2 {
		t.Fatalf("only %d of %d flipped bytes are integrity failures", marked, tried)
	}
	if _, err := UnwrapKey(k, w[:len(w)-1], rec, ver); !errors.Is(err, integrity.ErrFailed) {
		t.Fatalf("truncated: %v", err)
	}
}
