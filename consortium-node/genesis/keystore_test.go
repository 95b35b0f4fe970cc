package genesis

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/privacy/keystore"
)

// importedKeystore creates a keystore in dir (a weak KDF, for speed) with
// a new key file of id imported under "correct horse".
func importedKeystore(t *testing.T, dir, id string) (*keystore.Store, *KeyFile) {
	t.Helper()
	ks, err := keystore.Open(dir, keystore.Options{KDF: keystore.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1},
		InsecureWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := NewKeyFile(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ImportKeyFile(ks, kf, keystore.Passphrase([]byte("correct horse"))); err != nil {
		t.Fatal(err)
	}
	return ks, kf
}

func TestKeystoreRoundTrip(t *testing.T) {
	ks, kf := importedKeystore(t, filepath.Join(t.TempDir(), "ks"), "stmarys/admin")
	back, err := LoadFromKeystore(ks, "stmarys/admin", keystore.Passphrase([]byte("correct horse")))
	if err != nil || *back != *kf {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := LoadFromKeystore(ks, "stmarys/admin", keystore.Passphrase([]byte("wrong"))); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

// TestLoadKeys: without a keystore the key file in home; with one, the
// keys sealed there under $ALMONER_KEYSTORE_PASSPHRASE (which it needs).
func TestLoadKeys(t *testing.T) {
	home := t.TempDir()
	kf, err := NewKeyFile("stmarys/admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.Save(KeyPath(home, kf.ID)); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadKeys(home, "", kf.ID); err != nil || *got != *kf {
		t.Fatalf("from the key file: %v, %v", got, err)
	}
	if got, key, err := LoadSignKey(home, "", kf.ID); err != nil || *got != *kf || key.Public().String() != mustSignKey(t, kf) {
		t.Fatalf("LoadSignKey: %v, %v, %v", got, key, err)
	}
	if _, _, err := LoadSignKey(home, "", "stmarys/nobody"); err == nil || !strings.Contains(err.Error(), "stmarys/nobody") {
		t.Errorf("LoadSignKey of a missing key file: %v, want an error naming it", err)
	}
	ksDir := filepath.Join(t.TempDir(), "ks")
	_, other := importedKeystore(t, ksDir, kf.ID)
	t.Setenv(PassphraseEnv, "")
	if _, err := LoadKeys(home, ksDir, kf.ID); err == nil {
		t.Error("a keystore read without a passphrase: no error")
	}
	t.Setenv(PassphraseEnv, "correct horse")
	if got, err := LoadKeys(home, ksDir, kf.ID); err != nil || *got != *other {
		t.Fatalf("from the keystore: %v, %v; want the keystore's keys", got, err)
	}
}

func mustSignKey(t *testing.T, kf *KeyFile) string {
	t.Helper()
	k, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().String()
}
