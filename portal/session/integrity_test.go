package session

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

// TestCorruptAccountIsIntegrityFailure: an account record with a flipped
// byte that breaks it (its JSON, or its password hash's format) fails with
// ErrCorrupt, the integrity marker, not as a wrong password.
func TestCorruptAccountIsIntegrityFailure(t *testing.T) {
	s := openTest(t, Config{})
	const id, pw = "hope/donor-sam", "correct horse battery"
	if err := s.CreateAccount(id, pw); err != nil {
		t.Fatal(err)
	}
	key := []byte(accountKey(id))
	orig, err := s.db.Get(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, bytes.Index(orig, []byte("$argon2id$"))} {
		b := bytes.Clone(orig)
		b[i] ^= 0x01
		if err := s.db.Put(key, b, nil); err != nil {
			t.Fatal(err)
		}
		_, err := s.Authenticate(id, pw)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) || errors.Is(err, ErrBadCredentials) {
			t.Fatalf("byte %d flipped: got %v, want ErrCorrupt, the integrity marker", i, err)
		}
	}
}
