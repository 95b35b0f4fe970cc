package keystore

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"default", DefaultOptions(), true},
		{"minimum", Options{KDF: MinKDF}, true},
		{"weak refused", Options{KDF: weakKDF}, false},
		{"weak allowed in tests", Options{KDF: weakKDF, InsecureWeakKDF: true}, true},
		{"zero", Options{}, false},
		{"zero time", Options{KDF: KDFParams{Time: 0, MemoryKiB: 64 << 10, Threads: 4}}, false},
		{"too many passes", Options{KDF: KDFParams{Time: MaxKDFTime + 1, MemoryKiB: 64 << 10, Threads: 4}}, false},
		{"too much memory", Options{KDF: KDFParams{Time: 3, MemoryKiB: MaxKDFMemoryKiB + 1, Threads: 4}}, false},
		{"memory below 8 KiB per lane", Options{KDF: KDFParams{Time: 3, MemoryKiB: 31, Threads: 4}, InsecureWeakKDF: true}, false},
		{"zero threads", Options{KDF: KDFParams{Time: 3, MemoryKiB: 64 << 10}}, false},
		{"too many threads", Options{KDF: KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: MaxKDFThreads + 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestSealUnseal(t *testing.T) {
	secret := seq(0x80, 32)
	pass := Passphrase([]byte("correct horse battery staple"))
	org := mustOrgKey(t, "stmarys-2026", 0x10)
	pw, err := Seal(testOptions(), pass, "node-sign", 2, secret)
	if err != nil {
		t.Fatal(err)
	}
	ow, err := Seal(testOptions(), org, "node-sign", 2, secret)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		entry []byte
		p     Protector
		id    string
		ver   uint32
		want  error // nil: opens
	}{
		{"passphrase", pw, pass, "node-sign", 2, nil},
		{"org key", ow, org, "node-sign", 2, nil},
		{"org key rebuilt from bytes", ow, mustOrgKey(t, "stmarys-2026", 0x10), "node-sign", 2, nil},
		{"wrong passphrase", pw, Passphrase([]byte("Correct horse battery staple")), "node-sign", 2, ErrWrongPassphrase},
		{"empty passphrase", pw, Passphrase(nil), "node-sign", 2, ErrInvalid},
		{"wrong org key bytes", ow, mustOrgKey(t, "stmarys-2026", 0x11), "node-sign", 2, ErrWrongOrgKey},
		{"wrong org key id", ow, mustOrgKey(t, "stmarys-2027", 0x10), "node-sign", 2, ErrWrongOrgKey},
		{"org key for passphrase entry", pw, org, "node-sign", 2, ErrWrongProtector},
		{"passphrase for org key entry", ow, pass, "node-sign", 2, ErrWrongProtector},
		{"other id", pw, pass, "node-tls", 2, ErrIntegrity},
		{"other version", pw, pass, "node-sign", 1, ErrIntegrity},
		{"nil protector", pw, nil, "node-sign", 2, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unseal(tt.entry, tt.p, tt.id, tt.ver)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Unseal: %v", err)
				}
				if !bytes.Equal(got.Bytes(), secret) {
					t.Fatalf("Unseal returned another secret")
				}
				got.Destroy()
				if got.Bytes() != nil {
					t.Fatalf("Destroy left the secret readable")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unseal = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSealInvalid(t *testing.T) {
	pass := Passphrase([]byte("pw"))
	destroyed := mustOrgKey(t, "org", 1)
	destroyed.Destroy()
	tests := []struct {
		name   string
		opts   Options
		p      Protector
		id     string
		ver    uint32
		secret []byte
	}{
		{"weak options", Options{KDF: weakKDF}, pass, "a", 1, []byte{1}},
		{"empty passphrase", testOptions(), Passphrase([]byte{}), "a", 1, []byte{1}},
		{"long passphrase", testOptions(), Passphrase(make([]byte, MaxPassphraseLen+1)), "a", 1, []byte{1}},
		{"nil protector", testOptions(), nil, "a", 1, []byte{1}},
		{"destroyed org key", testOptions(), destroyed, "a", 1, []byte{1}},
		{"version 0", testOptions(), pass, "a", 0, []byte{1}},
		{"empty secret", testOptions(), pass, "a", 1, nil},
		{"huge secret", testOptions(), pass, "a", 1, make([]byte, MaxSecretSize+1)},
		{"upper-case id", testOptions(), pass, "Node", 1, []byte{1}},
		{"id with slash", testOptions(), pass, "a/b", 1, []byte{1}},
		{"id with at", testOptions(), pass, "a@v1", 1, []byte{1}},
		{"dot id", testOptions(), pass, ".hidden", 1, []byte{1}},
		{"long id", testOptions(), pass, strings.Repeat("a", MaxNameLen+1), 1, []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Seal(tt.opts, tt.p, tt.id, tt.ver, tt.secret); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Seal = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := NewOrgKey("org", make([]byte, 31)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("NewOrgKey(31 bytes) = %v, want ErrInvalid", err)
	}
	if _, err := NewOrgKey("Org", make([]byte, 32)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("NewOrgKey(bad id) = %v, want ErrInvalid", err)
	}
}

// TestTamper flips one byte in each field of a passphrase entry.
func TestTamper(t *testing.T) {
	e, pass, id := passphraseEntry(t)
	idOff := 15 + 1 + SaltSize + 1
	checkOff := idOff + len(id) + 4
	nonceOff := checkOff + CheckSize
	ctOff := nonceOff + NonceSize
	flip := func(i int, x byte) []byte {
		b := bytes.Clone(e)
		b[i] ^= x
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want []error
	}{
		{"magic", flip(0, 1), []error{ErrIntegrity}},
		{"format", flip(4, 1), []error{ErrIntegrity, ErrUnsupported}},
		{"protection", flip(5, 4), []error{ErrIntegrity, ErrUnsupported}},
		{"protection swapped", flip(5, 3), []error{ErrIntegrity}}, // 1 -> 2 reparses as an org-key header
		{"kdf time", flip(9, 2), []error{ErrWrongPassphrase}},
		{"kdf time high", flip(6, 0x80), []error{ErrIntegrity}},
		{"kdf memory", flip(13, 0x80), []error{ErrWrongPassphrase}},
		{"kdf threads", flip(14, 0x40), []error{ErrIntegrity}}, // 65 lanes is over the limit
		{"salt length", flip(15, 0x40), []error{ErrIntegrity}},
		{"salt", flip(16, 1), []error{ErrWrongPassphrase}},
		{"id length", flip(idOff-1, 1), []error{ErrIntegrity}},
		{"id", flip(idOff, 1), []error{ErrIntegrity}},
		{"version", flip(checkOff-1, 2), []error{ErrIntegrity}},
		{"check", flip(checkOff, 1), []error{ErrWrongPassphrase}},
		{"nonce", flip(nonceOff, 1), []error{ErrIntegrity}},
		{"ciphertext", flip(ctOff, 1), []error{ErrIntegrity}},
		{"tag", flip(len(e)-1, 1), []error{ErrIntegrity}},
		{"truncated", e[:len(e)-1], []error{ErrIntegrity}},
		{"trailing", append(bytes.Clone(e), 0), []error{ErrIntegrity}},
		{"header only", e[:ctOff], []error{ErrIntegrity}},
		{"empty", nil, []error{ErrIntegrity}},
		{"oversized", make([]byte, MaxEntrySize+1), []error{ErrIntegrity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, err := Unseal(tt.b, pass, id, 1)
			if err == nil {
				t.Fatalf("tampered entry opened (%d bytes)", len(sec.Bytes()))
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("Unseal = %v, want %v", err, want)
				}
			}
		})
	}
	if _, err := Unseal(e, pass, id, 1); err != nil {
		t.Fatalf("original does not open: %v", err)
	}
}

// TestGolden pins both entry layouts, byte for byte, and checks that the
// pinned bytes still open.
func TestGolden(t *testing.T) {
	secret := seq(0x80, 32)
	tests := []struct {
		name string
		p    Protector
	}{
		{"entry-v1-passphrase.hex", Passphrase([]byte("correct horse battery staple"))},
		{"entry-v1-orgkey.hex", mustOrgKey(t, "stmarys-2026", 0x10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.Rand = newSeq(0xa0)
			e, err := Seal(opts, tt.p, "node-sign", 7, secret)
			if err != nil {
				t.Fatal(err)
			}
			want := golden(t, tt.name, e)
			got, err := Unseal(want, tt.p, "node-sign", 7)
			if err != nil {
				t.Fatalf("golden entry does not open: %v", err)
			}
			if !bytes.Equal(got.Bytes(), secret) {
				t.Fatalf("golden entry opens to another secret")
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	opts := testOptions()
	e, err := Seal(opts, Passphrase([]byte("pw")), "node-sign", 3, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(e)
	if err != nil {
		t.Fatal(err)
	}
	if h.Format != FormatV1 || h.Protection != ProtectPassphrase || h.KDF != weakKDF || h.ID != "node-sign" || h.Version != 3 || len(h.Salt) != SaltSize {
		t.Fatalf("header = %+v", h)
	}
	org := mustOrgKey(t, "org-1", 0)
	e, err = Seal(opts, org, "node-sign", 3, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	h, err = ParseHeader(e)
	if err != nil {
		t.Fatal(err)
	}
	if h.Protection != ProtectOrgKey || h.OrgKeyID != "org-1" || h.KDF != (KDFParams{}) {
		t.Fatalf("header = %+v", h)
	}
}

// TestDefaultKDF seals and opens once with the production parameters.
func TestDefaultKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("argon2id at 64 MiB")
	}
	pass := Passphrase([]byte("pw"))
	e, err := Seal(DefaultOptions(), pass, "a", 1, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := ParseHeader(e); h.KDF != DefaultKDF {
		t.Fatalf("KDF = %+v, want %+v", h.KDF, DefaultKDF)
	}
	if _, err := Unseal(e, pass, "a", 1); err != nil {
		t.Fatal(err)
	}
}
