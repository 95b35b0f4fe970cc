package genesis

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/privacy/keystore"
)

func TestKeystoreRoundTrip(t *testing.T) {
	ks, err := keystore.Open(filepath.Join(t.TempDir(), "ks"), keystore.Options{KDF: keystore.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, InsecureWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := NewKeyFile("stmarys/admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ImportKeyFile(ks, kf, keystore.Passphrase([]byte("correct horse"))); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFromKeystore(ks, "stmarys/admin", keystore.Passphrase([]byte("correct horse")))
	if err != nil || *back != *kf {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := LoadFromKeystore(ks, "stmarys/admin", keystore.Passphrase([]byte("wrong"))); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}
