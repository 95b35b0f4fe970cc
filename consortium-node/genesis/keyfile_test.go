package genesis

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/privacy/envelope"
)

// TestKeyFileReaderKey: a key file's X-Wing key is the one its public
// encryption key names; a file without one, or with a bad seed, is an
// error naming the file.
func TestKeyFileReaderKey(t *testing.T) {
	kf, err := NewKeyFile("stmarys/nurse-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := kf.ReaderKey()
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Destroy()
	pub, err := kf.EncryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rk.PublicKey(), pub.Key) {
		t.Error("the reader key does not match the key file's encryption key")
	}
	for name, seed := range map[string]string{"none": "", "not hex": "zz", "short": "00ff"} {
		bad := *kf
		bad.EncSeed = seed
		if _, err := bad.ReaderKey(); err == nil || !strings.Contains(err.Error(), `"stmarys/nurse-1"`) {
			t.Errorf("%s: %v, want an error naming the key file", name, err)
		}
	}
	bad := *kf
	bad.EncSeed = "00ff"
	if _, err := bad.ReaderKey(); !errors.Is(err, envelope.ErrBadKey) {
		t.Errorf("short seed: %v, want %v", err, envelope.ErrBadKey)
	}
}

// TestKeyFilePublic: the public keys are those of the file's seeds; a bad
// seed of either is an error.
func TestKeyFilePublic(t *testing.T) {
	kf, err := NewKeyFile("acme/adjuster", nil)
	if err != nil {
		t.Fatal(err)
	}
	sk, ek, err := kf.Public()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := kf.SignKey()
	enc, _ := kf.EncryptionKey()
	if !bytes.Equal(sk.Key, key.Public().Key) || sk.Alg != key.Public().Alg {
		t.Errorf("sign key %v, want %v", sk, key.Public())
	}
	if !bytes.Equal(ek.Key, enc.Key) || ek.Alg != enc.Alg {
		t.Errorf("enc key %v, want %v", ek, enc)
	}
	for name, mod := range map[string]func(*KeyFile){
		"sign seed": func(k *KeyFile) { k.SignSeed = "zz" },
		"enc seed":  func(k *KeyFile) { k.EncSeed = "00" },
	} {
		bad := *kf
		mod(&bad)
		if _, _, err := bad.Public(); err == nil {
			t.Errorf("bad %s: no error", name)
		}
	}
}
