package sign

import (
	"bytes"
	"encoding/hex"
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

// TestCheckRegistrable: keys made by GenerateKey register; the identity
// point, a point of order 8 and a non-canonical encoding do not (anyone
// could sign for a small-order key under ZIP-215 verification).
func TestCheckRegistrable(t *testing.T) {
	k, err := GenerateKey(Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Public().CheckRegistrable(); err != nil {
		t.Fatalf("a generated key: %v", err)
	}
	identity := make([]byte, 32)
	identity[0] = 1 // the neutral point (0, 1)
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	nonCanonical := bytes.Repeat([]byte{0xff}, 32)
	nonCanonical[31] = 0x7f // y = 2^255 - 1 >= p
	for name, key := range map[string][]byte{"identity": identity, "order 8": order8, "non-canonical": nonCanonical} {
		if err := (PublicKey{Alg: Ed25519, Key: key}).CheckRegistrable(); err == nil {
			t.Errorf("%s: registrable", name)
		}
	}
}
