package keystore

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

func fuzzSeeds(f *testing.F) (pwEntry, orgEntry []byte, org *OrgKey) {
	org = mustOrgKey(f, "org-1", 0x10)
	opts := testOptions()
	opts.Rand = newSeq(1)
	pwEntry, err := Seal(opts, Passphrase([]byte("pw")), "k", 1, []byte("secret"))
	if err != nil {
		f.Fatal(err)
	}
	orgEntry, err = Seal(opts, org, "k", 1, []byte("secret"))
	if err != nil {
		f.Fatal(err)
	}
	return pwEntry, orgEntry, org
}

// FuzzParseHeader checks that the decoder never panics, fails with
// ErrIntegrity, and accepts only headers that re-encode to the same bytes.
func FuzzParseHeader(f *testing.F) {
	pwEntry, orgEntry, _ := fuzzSeeds(f)
	f.Add(pwEntry)
	f.Add(orgEntry)
	f.Add([]byte(Magic + "\x01\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, ct, err := parseEntry(b)
		if !testfmt.Canonical(t, b, n, err, ErrIntegrity, func() []byte { return appendHeader(nil, &h) }) {
			return
		}
		if len(ct) < TagSize+1 {
			t.Fatalf("accepted a ciphertext of %d bytes", len(ct))
		}
	})
}

// FuzzUnseal opens mutated entries: it must never panic and may only
// succeed on the original bytes. Entries naming expensive KDF parameters are
// skipped so that the fuzzer measures the decoder, not argon2.
func FuzzUnseal(f *testing.F) {
	pwEntry, orgEntry, org := fuzzSeeds(f)
	f.Add(pwEntry)
	f.Add(orgEntry)
	pw := Passphrase([]byte("pw"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHeader(b); err == nil && h.Protection == ProtectPassphrase &&
			(h.KDF.Time > 2 || h.KDF.MemoryKiB > 1024) {
			t.Skip("expensive KDF parameters")
		}
		for _, p := range []Protector{pw, org} {
			sec, err := Unseal(b, p, "k", 1)
			if err == nil {
				if !bytes.Equal(b, pwEntry) && !bytes.Equal(b, orgEntry) || string(sec.Bytes()) != "secret" {
					t.Fatalf("a modified entry opened")
				}
				continue
			}
			if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrWrongPassphrase) &&
				!errors.Is(err, ErrWrongOrgKey) && !errors.Is(err, ErrWrongProtector) {
				t.Fatalf("unexpected error class: %v", err)
			}
		}
	})
}
