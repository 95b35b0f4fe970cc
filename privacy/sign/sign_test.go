package sign

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	k, err := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("gift 42")
	sig := k.Sign(msg)
	pub := k.Public()
	if err := pub.Verify(msg, sig); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	if err := pub.Verify([]byte("gift 43"), sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong message: got %v, want ErrBadSignature", err)
	}
	sig[0] ^= 1
	if err := pub.Verify(msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("flipped bit: got %v", err)
	}
	if err := pub.Verify(msg, sig[:10]); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("short sig: got %v", err)
	}
}

func TestPublicKeyText(t *testing.T) {
	k, _ := GenerateKey(Ed25519, nil)
	pub := k.Public()
	s := pub.String()
	if !strings.HasPrefix(s, "ed25519:") {
		t.Fatalf("unexpected form %q", s)
	}
	back, err := ParsePublicKey(s)
	if err != nil || !back.Equal(pub) {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for _, bad := range []string{"", "ed25519", "rsa:AAAA", "ed25519:!!", "ed25519:AAAA"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}

func TestPrivateKeyRedacted(t *testing.T) {
	k, _ := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{0xAB}, 32))
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(strings.ToLower(s), "abab") || strings.Contains(s, "171") {
			t.Fatalf("key material leaked: %s", s)
		}
	}
}

func TestUnknownAlgorithm(t *testing.T) {
	if _, err := GenerateKey(9, nil); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Fatal(err)
	}
	if err := (PublicKey{Alg: 9, Key: make([]byte, 32)}).Verify(nil, nil); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Fatal(err)
	}
}
