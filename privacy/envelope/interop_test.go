package envelope_test

import (
	"bytes"
	"testing"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/privacy/envelope"
)

// TestLedgerEncryptionKey wraps for the key a member registers on the ledger
// (identity.EncryptionKey, derived as dev key files do) and unwraps with the
// seed the member's key file holds.
func TestLedgerEncryptionKey(t *testing.T) {
	seed := bytes.Repeat([]byte{0x11}, xwing.SeedSize)
	_, pk := xwing.DeriveKeyPairPacked(seed)
	ek := identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: pk}
	if err := ek.Validate(); err != nil {
		t.Fatal(err)
	}
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := envelope.Wrap(nil, ek.Key, "insurer-1/alice", dk, "h1/rec-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := envelope.NewReaderKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := envelope.Unwrap(rk, "insurer-1/alice", w, "h1/rec-1", 1)
	if err != nil || !got.Equal(dk) {
		t.Fatalf("Unwrap: %v", err)
	}
}
