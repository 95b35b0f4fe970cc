package keyring

import (
	"crypto/rand"
	"errors"
	"path/filepath"
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
