package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem/xwing"
)

// TestXWingKeysWithHPKE checks that the keys dev key files derive with
// xwing.DeriveKeyPairPacked work with circl's HPKE X-Wing KEM: the packed
// 1216-byte public key unmarshals, and the private key from the same seed
// decapsulates.
func TestXWingKeysWithHPKE(t *testing.T) {
	seed := seq(0x40, xwing.SeedSize)
	packedSK, packedPK := xwing.DeriveKeyPairPacked(seed)
	if len(packedPK) != 1216 || len(packedSK) != 32 || !bytes.Equal(packedSK, seed) {
		t.Fatalf("packed sizes %d/%d; packed private key equals seed: %v", len(packedPK), len(packedSK), bytes.Equal(packedSK, seed))
	}
	scheme := hpke.KEM_XWING.Scheme()
	pk, err := scheme.UnmarshalBinaryPublicKey(packedPK)
	if err != nil {
		t.Fatalf("HPKE X-Wing rejects the packed public key: %v", err)
	}
	sk, err := scheme.UnmarshalBinaryPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	ct, ss, err := scheme.Encapsulate(pk)
	if err != nil {
		t.Fatal(err)
	}
	ss2, err := scheme.Decapsulate(sk, ct)
	if err != nil || !bytes.Equal(ss, ss2) {
		t.Fatalf("decapsulation with the seed's private key: %v", err)
	}
	// And through the full HPKE suite and this package's types.
	rk, err := NewReaderKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rk.PublicKey(), packedPK) {
		t.Fatal("ReaderKey public key differs from xwing.DeriveKeyPairPacked")
	}
	dk := mustDataKey(t, 0)
	w, err := Wrap(nil, packedPK, "reader", dk, "rec", 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unwrap(rk, "reader", w, "rec", 1)
	if err != nil || !got.Equal(dk) {
		t.Fatalf("Unwrap: %v", err)
	}
}

func TestWrapUnwrapRoundTrip(t *testing.T) {
	rk := mustReaderKey(t, 0x40)
	dk, _ := NewDataKey(nil)
	w, err := Wrap(nil, rk.PublicKey(), "insurer-1/claims", dk, "hospital-a/rec-9", 12)
	if err != nil {
		t.Fatal(err)
	}
	if want := wrapFixedHeader + len("insurer-1/claims") + len("hospital-a/rec-9") + EncapsulatedKeySize + WrappedDataKeySize; len(w) != want {
		t.Fatalf("wrapped key is %d bytes, want %d", len(w), want)
	}
	h, err := ParseWrapped(w)
	if err != nil {
		t.Fatal(err)
	}
	if h.RecordID != "hospital-a/rec-9" || h.Version != 12 || h.ReaderID != "insurer-1/claims" || h.KEM != hpke.KEM_XWING || h.KDF != hpke.KDF_HKDF_SHA256 || h.AEAD != hpke.AEAD_AES256GCM {
		t.Fatalf("header %+v", h)
	}
	if bytes.Contains(w, dk.Bytes()) {
		t.Fatal("data key in the clear")
	}
	got, err := Unwrap(rk, "insurer-1/claims", w, "hospital-a/rec-9", 12)
	if err != nil || !got.Equal(dk) {
		t.Fatalf("Unwrap: %v", err)
	}
	// The unwrapped key opens the record.
	sealed, _ := Seal(nil, dk, "hospital-a/rec-9", 12, []byte("discharge letter"))
	if pt, err := Open(got, sealed, "hospital-a/rec-9", 12); err != nil || string(pt) != "discharge letter" {
		t.Fatalf("Open with unwrapped key: %v", err)
	}
}

// TestWrapGolden pins wrapped-key format v1: a fixed reader seed, data key
// and HPKE encapsulation randomness must give these exact bytes, and these
// bytes must unwrap.
func TestWrapGolden(t *testing.T) {
	rk := mustReaderKey(t, 0x40)
	dk := mustDataKey(t, 0x00)
	w, err := Wrap(newSeq(0x80), rk.PublicKey(), "insurer-1/claims", dk, "rec/0001", 3)
	if err != nil {
		t.Fatal(err)
	}
	wantHdr := "414c4d4b" + "01" + "647a" + "0001" + "0002" + "0008" + hex.EncodeToString([]byte("rec/0001")) +
		"0000000000000003" + "0010" + hex.EncodeToString([]byte("insurer-1/claims"))
	if got := hex.EncodeToString(w[:len(wantHdr)/2]); got != wantHdr {
		t.Fatalf("header\n got %s\nwant %s", got, wantHdr)
	}
	want := golden(t, "wrap-v1.hex", w)
	got, err := Unwrap(rk, "insurer-1/claims", want, "rec/0001", 3)
	if err != nil || !got.Equal(dk) {
		t.Fatalf("golden bytes do not unwrap: %v", err)
	}
}

func TestUnwrapRefusesTampering(t *testing.T) {
	rk := mustReaderKey(t, 0x40)
	dk := mustDataKey(t, 0x00)
	const rec, reader = "rec/0001", "insurer-1/claims"
	w, err := Wrap(nil, rk.PublicKey(), reader, dk, rec, 3)
	if err != nil {
		t.Fatal(err)
	}
	n := len(rec)
	m := len(reader)
	hdrLen := 23 + n + m
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		unsup  bool
	}{
		{"magic", flipAt(0), false},
		{"format version", func(b []byte) []byte { b[4] = 2; return b }, true},
		{"KEM id", func(b []byte) []byte { b[5], b[6] = 0x00, 0x20; return b }, true}, // X25519
		{"KDF id", func(b []byte) []byte { b[8] = 2; return b }, true},
		{"AEAD id", func(b []byte) []byte { b[10] = 1; return b }, true}, // AES-128-GCM
		{"record id length", flipAt(12), false},
		{"record id", flipAt(13 + 3), false},
		{"version", flipAt(13 + n + 7), false},
		{"reader id length", flipAt(21 + n + 1), false},
		{"reader id", flipAt(23 + n), false},
		{"encapsulated key first byte", flipAt(hdrLen), false},
		{"encapsulated key X25519 part", flipAt(hdrLen + EncapsulatedKeySize - 1), false},
		{"wrapped data key", flipAt(hdrLen + EncapsulatedKeySize), false},
		{"tag", flipAt(len(w) - 1), false},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"appended", func(b []byte) []byte { return append(b, 0) }, false},
		{"header only", func(b []byte) []byte { return b[:hdrLen] }, false},
		{"empty", func([]byte) []byte { return nil }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Unwrap(rk, reader, c.mutate(bytes.Clone(w)), rec, 3)
			if !errors.Is(err, ErrIntegrity) || got != nil {
				t.Fatalf("got %v, want ErrIntegrity", err)
			}
			if c.unsup != errors.Is(err, ErrUnsupported) {
				t.Fatalf("ErrUnsupported: got %v, want %v", errors.Is(err, ErrUnsupported), c.unsup)
			}
			assertNoSecrets(t, err.Error(), dk.Bytes(), rk.Seed())
		})
	}
	t.Run("every byte", func(t *testing.T) {
		for i := range w {
			b := bytes.Clone(w)
			b[i] ^= 0x80
			if _, err := Unwrap(rk, reader, b, rec, 3); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("byte %d flipped: got %v", i, err)
			}
		}
	})
}

// TestUnwrapBinding checks the info/aad binding: a wrapped key cannot be
// used for another reader, record or version, not even when its header is
// relabelled to match, and another reader's key does not open it.
func TestUnwrapBinding(t *testing.T) {
	alice, bob := mustReaderKey(t, 0x40), mustReaderKey(t, 0x60)
	dk := mustDataKey(t, 0)
	w, err := Wrap(nil, alice.PublicKey(), "alice", dk, "rec/0001", 3)
	if err != nil {
		t.Fatal(err)
	}
	relabel := func(rec string, version uint64, reader string) []byte {
		h, n, _, _, err := parseWrapped(w)
		if err != nil {
			t.Fatal(err)
		}
		h.RecordID, h.Version, h.ReaderID = rec, version, reader
		return append(appendWrappedHeader(nil, &h), w[n:]...)
	}
	for _, c := range []struct {
		name           string
		rk             *ReaderKey
		reader, rec    string
		version        uint64
		wrapped        []byte
		wantMismatchID bool
	}{
		{"asked as another reader", alice, "bob", "rec/0001", 3, w, true},
		{"asked for another record", alice, "alice", "rec/0002", 3, w, true},
		{"asked for another version", alice, "alice", "rec/0001", 4, w, true},
		{"wrong reader key", bob, "alice", "rec/0001", 3, w, false},
		{"relabelled reader", alice, "bob", "rec/0001", 3, relabel("rec/0001", 3, "bob"), false},
		{"relabelled record", alice, "alice", "rec/0002", 3, relabel("rec/0002", 3, "alice"), false},
		{"relabelled version", alice, "alice", "rec/0001", 4, relabel("rec/0001", 4, "alice"), false},
		{"relabelled longer id", alice, "alice", "rec/0001-copy", 3, relabel("rec/0001-copy", 3, "alice"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Unwrap(c.rk, c.reader, c.wrapped, c.rec, c.version)
			if !errors.Is(err, ErrIntegrity) || got != nil {
				t.Fatalf("got %v, want ErrIntegrity", err)
			}
			if c.wantMismatchID != strings.Contains(err.Error(), "is for record") {
				t.Fatalf("unexpected failure kind: %v", err)
			}
		})
	}
}

func TestWrapArguments(t *testing.T) {
	rk := mustReaderKey(t, 0x40)
	dk := mustDataKey(t, 0)
	pub := rk.PublicKey()
	if _, err := Wrap(nil, pub[:100], "r", dk, "rec", 1); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short public key: %v", err)
	}
	// An ML-KEM encapsulation key with coefficients >= q fails FIPS 203's
	// modulus check.
	if _, err := Wrap(nil, bytes.Repeat([]byte{0xff}, ReaderPublicKeySize), "r", dk, "rec", 1); !errors.Is(err, ErrBadKey) {
		t.Fatalf("invalid public key: %v", err)
	}
	for _, c := range []struct{ name, reader, rec string }{
		{"empty reader", "", "rec"},
		{"empty record", "r", ""},
		{"long reader", strings.Repeat("x", MaxIDLen+1), "rec"},
		{"bad UTF-8 record", "r", "\xc0"},
	} {
		if _, err := Wrap(nil, pub, c.reader, dk, c.rec, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("Wrap %s: %v", c.name, err)
		}
		if _, err := Unwrap(rk, c.reader, nil, c.rec, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("Unwrap %s: %v", c.name, err)
		}
	}
	if _, err := Wrap(nil, pub, "r", nil, "rec", 1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil data key: %v", err)
	}
	if _, err := Unwrap(nil, "r", nil, "rec", 1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil reader key: %v", err)
	}
	if _, err := Wrap(bytes.NewReader(make([]byte, 10)), pub, "r", dk, "rec", 1); err == nil {
		t.Fatal("short randomness accepted")
	}
}

func TestParseWrappedCanonical(t *testing.T) {
	rk := mustReaderKey(t, 0x40)
	w, _ := Wrap(nil, rk.PublicKey(), "reader/é", mustDataKey(t, 0), "hospital/rec", 1<<63)
	h, n, enc, ct, err := parseWrapped(w)
	if err != nil {
		t.Fatal(err)
	}
	if enc := appendWrappedHeader(nil, &h); !bytes.Equal(enc, w[:n]) {
		t.Fatal("re-encoded header differs")
	}
	if len(enc) != EncapsulatedKeySize || len(ct) != WrappedDataKeySize || n+len(enc)+len(ct) != len(w) {
		t.Fatal("bad split")
	}
}

// TestSealFor: what SealFor returns opens for its reader, under the data key the reader unwraps, bound to the
// record and version; bad arguments are refused with ErrInvalid or ErrBadKey and nothing returned.
func TestSealFor(t *testing.T) {
	rk := mustReaderKey(t, 0x10)
	plain := []byte(`{"resourceType":"Bundle"}`)
	sealed, wrapped, err := SealFor(nil, rk.PublicKey(), "stmarys-node1", "rec-1", 3, plain)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := Unwrap(rk, "stmarys-node1", wrapped, "rec-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(dk, sealed, "rec-1", 3)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v; want the plaintext", got, err)
	}
	if _, err := Open(dk, sealed, "rec-1", 4); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("opened as another version: %v", err)
	}
	other := mustReaderKey(t, 0x20)
	if _, err := Unwrap(other, "stmarys-node1", wrapped, "rec-1", 3); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("unwrapped by another reader: %v", err)
	}
	again, _, err := SealFor(nil, rk.PublicKey(), "stmarys-node1", "rec-1", 3, plain)
	if err != nil || bytes.Equal(again, sealed) {
		t.Fatalf("a second SealFor of the same version: %v; same ciphertext: %v (want a fresh data key)", err,
			bytes.Equal(again, sealed))
	}
	for _, c := range []struct {
		name       string
		pub        []byte
		reader, id string
		want       error
	}{
		{"empty record id", rk.PublicKey(), "stmarys-node1", "", ErrInvalid},
		{"empty reader id", rk.PublicKey(), "", "rec-1", ErrInvalid},
		{"short public key", rk.PublicKey()[:100], "stmarys-node1", "rec-1", ErrBadKey},
	} {
		s, w, err := SealFor(nil, c.pub, c.reader, c.id, 1, plain)
		if !errors.Is(err, c.want) || s != nil || w != nil {
			t.Errorf("%s: %v (%d, %d bytes); want %v and nothing", c.name, err, len(s), len(w), c.want)
		}
	}
}
