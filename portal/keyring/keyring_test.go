package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
)

func TestImportSignAndOrgKeyFile(t *testing.T) {
	dir := t.TempDir()
	kpath := filepath.Join(dir, "org.key")
	k1, err := LoadOrCreateOrgKey(kpath, "portal")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateOrgKey(kpath, "portal")
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reloaded org key differs: %v", err)
	}
	kr, err := Open(Config{Dir: filepath.Join(dir, "ks"), OrgKey: k1})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := genesis.NewKeyFile("hope/donor-sam", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Has(kf.ID) {
		t.Fatal("key present before import")
	}
	if err := kr.Import(kf); err != nil {
		t.Fatal(err)
	}
	if !kr.Has(kf.ID) {
		t.Fatal("key missing after import")
	}
	body := tx.Body{Version: tx.Version, ChainID: "c", Sender: kf.ID, Nonce: 1, Expiry: 10, Call: tx.Call{Contract: "identity", Method: "set_roles"}}
	s, err := kr.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := kf.SignKey()
	if err := s.Verify(); err != nil || !s.Signature.PublicKey().Equal(want.Public()) {
		t.Fatalf("signature: %v", err)
	}
	body.Sender = "hope/nobody"
	if _, err := kr.Sign(body); !errors.Is(err, ErrNoKey) {
		t.Fatalf("unknown member: %v", err)
	}
}

// TestEnsureKeysAndDiscard: a new member's keys are generated once and
// reused (the same public keys on a retry), sign for the member, and are
// gone after Discard.
func TestEnsureKeysAndDiscard(t *testing.T) {
	dir := t.TempDir()
	ok, err := LoadOrCreateOrgKey(filepath.Join(dir, "org.key"), "portal")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := Open(Config{Dir: filepath.Join(dir, "ks"), OrgKey: ok})
	if err != nil {
		t.Fatal(err)
	}
	const id = "stmarys/nurse-1"
	pub, created, err := kr.EnsureKeys(id)
	if err != nil || !created || !strings.HasPrefix(pub.Sign, "ed25519:") || !strings.HasPrefix(pub.Enc, "xwing:") {
		t.Fatalf("first EnsureKeys: %+v %v %v", pub, created, err)
	}
	again, created, err := kr.EnsureKeys(id)
	if err != nil || created || again != pub {
		t.Fatalf("second EnsureKeys: %+v %v %v", again, created, err)
	}
	s, err := kr.Sign(tx.Body{Version: tx.Version, ChainID: "c", Sender: id, Nonce: 1, Expiry: 10, Call: tx.Call{Contract: "identity", Method: "rotate_keys"}})
	if err != nil || s.Verify() != nil || s.Signature.PublicKey().String() != pub.Sign {
		t.Fatalf("signing with the generated key: %v", err)
	}
	rk, err := kr.ReaderKey(id)
	if err != nil || "xwing:"+base64.RawURLEncoding.EncodeToString(rk.PublicKey()) != pub.Enc {
		t.Fatalf("reader key of the generated keys: %v", err)
	}
	rk.Destroy()
	if err := kr.Discard(id); err != nil {
		t.Fatal(err)
	}
	if kr.Has(id) {
		t.Fatal("keys left after Discard")
	}
	if err := kr.Discard(id); !errors.Is(err, ErrNoKey) {
		t.Fatalf("second Discard: %v", err)
	}
	if _, err := kr.Sign(tx.Body{Sender: id}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("signing after Discard: %v", err)
	}
}
