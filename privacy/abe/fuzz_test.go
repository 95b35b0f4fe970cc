package abe

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

// fuzzVector is a valid wrapped key and a key that opens it, built once.
var fuzzVector = sync.OnceValues(func() (*AttributeKey, []byte) {
	f, err := fixtures()
	if err != nil {
		panic(err)
	}
	k, err := f.stmarys.IssueKey(detRand(3), nurse)
	if err != nil {
		panic(err)
	}
	w, err := WrapKey(detRand(4), f.stmarys.Public(), "org: stmarys and (role: physician or not role: porter)",
		seq(0x40, DataKeySize), rec, ver)
	if err != nil {
		panic(err)
	}
	return k, w
})

// FuzzParseWrapped checks that the header decoder never panics, rejects with
// ErrIntegrity, and accepts only bytes whose header re-encodes exactly.
func FuzzParseWrapped(f *testing.F) {
	_, w := fuzzVector()
	f.Add(w)
	f.Add(w[:60])
	f.Add([]byte("ALAW\x01\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, ct, err := parseWrapped(b)
		if !testfmt.Canonical(t, b, n, err, ErrIntegrity, func() []byte { return appendWrappedHeader(nil, &h) }) {
			return
		}
		if len(ct) == 0 {
			t.Fatal("accepted a header without a ciphertext")
		}
		// The policy extraction walks tkn20's decoder on untrusted bytes.
		if _, _, err := ParseWrapped(b); err != nil && !errors.Is(err, ErrIntegrity) {
			t.Fatalf("ParseWrapped error %v does not wrap ErrIntegrity", err)
		}
	})
}

// FuzzUnwrapKey runs the whole unwrap path, tkn20 decryption included, on
// mutated wrapped keys: it must never panic and may only succeed on the
// original bytes.
func FuzzUnwrapKey(f *testing.F) {
	k, w := fuzzVector()
	f.Add(w)
	f.Add(w[:len(w)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := UnwrapKey(k, b, rec, ver)
		if err == nil && (!bytes.Equal(b, w) || !bytes.Equal(got, seq(0x40, DataKeySize))) {
			t.Fatalf("modified wrapped key unwrapped")
		}
		if err != nil && !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrPolicy) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// FuzzUnmarshalAttributeKey checks the key decoder on arbitrary bytes.
func FuzzUnmarshalAttributeKey(f *testing.F) {
	k, _ := fuzzVector()
	enc, err := k.MarshalSecret()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:50])
	f.Fuzz(func(t *testing.T, b []byte) {
		k2, err := UnmarshalAttributeKey(b)
		testfmt.Canonical(t, b, len(b), err, ErrBadKey, func() []byte {
			again, err := k2.MarshalSecret()
			if err != nil {
				t.Fatal(err)
			}
			return again
		})
	})
}

// FuzzCheckPolicy checks that every policy CheckPolicy accepts compiles in
// tkn20, and that neither parser panics.
func FuzzCheckPolicy(f *testing.F) {
	for _, s := range []string{
		"org: stmarys and (role: physician or role: nurse)",
		"not (a: b or c: d) and e: f",
		"org: a )",
		"((((x: y))))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckPolicy(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if _, err := parsePolicy(s); err != nil {
			t.Fatalf("tkn20 rejects %q which CheckPolicy accepts: %v", s, err)
		}
	})
}
