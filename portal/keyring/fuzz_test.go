package keyring

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/privacy/keystore"
)

// fuzzOpts seal cheaply: the fuzzer measures the file handling, not argon2.
var fuzzOpts = keystore.Options{KDF: keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, InsecureWeakKDF: true}

// FuzzOrgKeyFile fuzzes the portal's organisation key file (plain hex of
// a development portal, or a keystore entry sealed under the passphrase)
// through every way the portal opens it: no panic; a plain key loads only
// as the key its hex spells; a passphrase opens only the entry sealed
// under it, and a file it rewrites opens again under the new passphrase
// as the same key.
func FuzzOrgKeyFile(f *testing.F) {
	plain := bytes.Repeat([]byte{0xab}, keystore.OrgKeySize)
	f.Add([]byte(hex.EncodeToString(plain) + "\n"))
	f.Add([]byte(" " + hex.EncodeToString(plain)[:63] + "g"))
	f.Add([]byte{})
	sealed, err := keystore.Seal(fuzzOpts, keystore.Passphrase([]byte("pw")), "portal", orgKeyVersion, plain)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := keystore.ParseHeader(data); err == nil && h.Protection == keystore.ProtectPassphrase &&
			(h.KDF.Time > 2 || h.KDF.MemoryKiB > 1024) {
			t.Skip("expensive KDF parameters")
		}
		path := filepath.Join(t.TempDir(), "org.key")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// What the file spells when it is a plain key.
		var spelled []byte
		if isPlainHex(data) {
			spelled, _ = hex.DecodeString(string(bytes.TrimSpace(data)))
		}
		if k, err := LoadOrCreateOrgKey(path, "portal"); err == nil && (spelled == nil || !bytes.Equal(k.Bytes(), spelled)) {
			if raw, herr := hex.DecodeString(string(bytes.TrimSpace(data))); herr != nil || !bytes.Equal(raw, k.Bytes()) {
				t.Fatalf("loaded key %x from %q", k.Bytes(), data)
			}
		}
		k, err := OpenOrgKey(path, "portal", nil, true, fuzzOpts)
		switch {
		case err == nil && (spelled == nil || !bytes.Equal(k.Bytes(), spelled)):
			t.Fatalf("opened %x without a passphrase from %q", k.Bytes(), data)
		case err != nil && spelled != nil:
			t.Fatalf("a plain key file did not open: %v", err)
		case err != nil && !errors.Is(err, ErrNeedPassphrase):
			t.Fatalf("a sealed file without a passphrase: %v, want ErrNeedPassphrase", err)
		}
		k, err = OpenOrgKey(path, "portal", []byte("pw"), false, fuzzOpts)
		if err != nil {
			return
		}
		if spelled != nil && !bytes.Equal(k.Bytes(), spelled) || spelled == nil && !bytes.Equal(k.Bytes(), plain) {
			t.Fatalf("opened %x under the passphrase from %q", k.Bytes(), data)
		}
		if err := Reseal(path, "portal", []byte("pw"), []byte("new"), fuzzOpts); err != nil {
			t.Fatalf("resealing what opened: %v", err)
		}
		again, err := OpenOrgKey(path, "portal", []byte("new"), false, fuzzOpts)
		if err != nil || !again.Equal(k) {
			t.Fatalf("the resealed key does not open as itself: %v", err)
		}
	})
}
