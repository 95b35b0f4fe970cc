package envelope

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	dk, err := NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("FHIR"), 10000)} {
		sealed, err := Seal(nil, dk, "rec-1", 7, pt)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(sealed), recordFixedSize+len("rec-1")+len(pt)+TagSize; got != want {
			t.Errorf("sealed is %d bytes, want %d", got, want)
		}
		got, err := Open(dk, sealed, "rec-1", 7)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip changed the plaintext")
		}
	}
}

func TestSealOpenFHIR(t *testing.T) {
	pt := readFHIR(t)
	orig := bytes.Clone(pt)
	dk, err := NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(nil, dk, "hospital-a/patient-17/labs", 1, pt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pt, orig) {
		t.Fatal("Seal modified its plaintext argument")
	}
	if bytes.Contains(sealed, []byte(`"resourceType"`)) {
		t.Fatal("sealed bytes contain FHIR plaintext")
	}
	h, err := ParseSealed(sealed)
	if err != nil || h.RecordID != "hospital-a/patient-17/labs" || h.Version != 1 || h.AEAD != AES256GCMCommitted {
		t.Fatalf("ParseSealed: %+v %v", h, err)
	}
	got, err := Open(dk, sealed, "hospital-a/patient-17/labs", 1)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open: %v", err)
	}
	if CiphertextHash(sealed) != sha256.Sum256(sealed) {
		t.Fatal("CiphertextHash is not SHA-256 of the sealed bytes")
	}
	// A fresh nonce each time: two seals of the same record differ.
	again, _ := Seal(nil, dk, "hospital-a/patient-17/labs", 1, pt)
	if CiphertextHash(again) == CiphertextHash(sealed) {
		t.Fatal("two seals gave the same ciphertext")
	}
}

// TestRecordGolden pins format v1 byte for byte: a fixed data key and nonce
// must give these exact bytes, and these bytes must open.
func TestRecordGolden(t *testing.T) {
	dk := mustDataKey(t, 0x00)
	pt := []byte(`{"resourceType":"Observation","status":"final"}`)
	sealed, err := Seal(newSeq(0xa0), dk, "rec/0001", 3, pt)
	if err != nil {
		t.Fatal(err)
	}
	// The header, written out by hand from the documented layout. The
	// commitment is HKDF-Expand(SHA-256, dk, label, 32), which for one block
	// is HMAC-SHA256(dk, label || 0x01).
	mac := hmac.New(sha256.New, seq(0x00, 32))
	mac.Write([]byte("almoner/envelope/record/v1/key commitment\x01"))
	wantHdr := "414c4d52" + "01" + "01" + "0008" + hex.EncodeToString([]byte("rec/0001")) +
		"0000000000000003" + "a0a1a2a3a4a5a6a7a8a9aaab" + hex.EncodeToString(mac.Sum(nil))
	if got := hex.EncodeToString(sealed[:len(wantHdr)/2]); got != wantHdr {
		t.Fatalf("header\n got %s\nwant %s", got, wantHdr)
	}
	want := golden(t, "record-v1.hex", sealed)
	got, err := Open(dk, want, "rec/0001", 3)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("golden bytes do not open: %v", err)
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	dk := mustDataKey(t, 0x00)
	pt := []byte("the patient's allergy list")
	sealed, err := Seal(newSeq(0xa0), dk, "rec/0001", 3, pt)
	if err != nil {
		t.Fatal(err)
	}
	idLen := len("rec/0001")
	off := struct{ magic, format, aead, idLen, id, version, nonce, commit, ct, tag int }{
		0, 4, 5, 6, 8, 8 + idLen, 16 + idLen, 28 + idLen, 60 + idLen, len(sealed) - TagSize,
	}
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		unsup  bool
	}{
		{"magic", flipAt(off.magic), false},
		{"format version", func(b []byte) []byte { b[off.format] = 2; return b }, true},
		{"AEAD id", func(b []byte) []byte { b[off.aead] = 2; return b }, true},
		{"record id length", flipAt(off.idLen + 1), false},
		{"record id length zero", func(b []byte) []byte { b[off.idLen], b[off.idLen+1] = 0, 0; return b }, false},
		{"record id byte", flipAt(off.id + 4), false},
		{"version", flipAt(off.version + 7), false},
		{"version high byte", flipAt(off.version), false},
		{"nonce", flipAt(off.nonce), false},
		{"key commitment", flipAt(off.commit + 31), false},
		{"ciphertext", flipAt(off.ct), false},
		{"tag", flipAt(off.tag), false},
		{"last byte", flipAt(len(sealed) - 1), false},
		{"truncated tag", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"no ciphertext", func(b []byte) []byte { return b[:off.ct] }, false},
		{"header only half", func(b []byte) []byte { return b[:off.nonce+3] }, false},
		{"empty", func([]byte) []byte { return nil }, false},
		{"appended byte", func(b []byte) []byte { return append(b, 0) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.mutate(bytes.Clone(sealed))
			got, err := Open(dk, b, "rec/0001", 3)
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got %v (plaintext %d bytes), want ErrIntegrity", err, len(got))
			}
			if c.unsup != errors.Is(err, ErrUnsupported) {
				t.Fatalf("ErrUnsupported: got %v, want %v", errors.Is(err, ErrUnsupported), c.unsup)
			}
			if got != nil {
				t.Fatal("plaintext returned with an error")
			}
			assertNoSecrets(t, err.Error(), dk.Bytes(), pt)
		})
	}
	t.Run("every byte", func(t *testing.T) {
		for i := range sealed {
			b := bytes.Clone(sealed)
			b[i] ^= 0x80
			if _, err := Open(dk, b, "rec/0001", 3); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("byte %d flipped: got %v", i, err)
			}
		}
	})
}

func TestOpenRefusesOtherRecordVersionOrKey(t *testing.T) {
	dk := mustDataKey(t, 0x00)
	sealed, err := Seal(nil, dk, "rec/0001", 3, []byte("labs"))
	if err != nil {
		t.Fatal(err)
	}
	other := mustDataKey(t, 0x01)
	for _, c := range []struct {
		name     string
		dk       *DataKey
		recordID string
		version  uint64
	}{
		{"other record", dk, "rec/0002", 3},
		{"record prefix", dk, "rec/000", 3},
		{"other version", dk, "rec/0001", 4},
		{"other data key", other, "rec/0001", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Open(c.dk, sealed, c.recordID, c.version); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got %v, want ErrIntegrity", err)
			}
		})
	}
	// Relabelling the header so that it names another record (and asking
	// for that record) still fails: the header is the additional data.
	t.Run("relabelled header", func(t *testing.T) {
		b := bytes.Clone(sealed)
		copy(b[8:], "rec/0002")
		if _, err := Open(dk, b, "rec/0002", 3); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("got %v, want ErrIntegrity", err)
		}
		b = bytes.Clone(sealed)
		b[8+len("rec/0001")+7] = 4 // version 3 -> 4
		if _, err := Open(dk, b, "rec/0001", 4); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("got %v, want ErrIntegrity", err)
		}
	})
}

// TestKeyCommitment checks that a ciphertext made under one key with a
// forged header carrying another key's commitment does not open: the
// commitment is authenticated like the rest of the header.
func TestKeyCommitment(t *testing.T) {
	k1, k2 := mustDataKey(t, 0x00), mustDataKey(t, 0x40)
	s1, _ := Seal(nil, k1, "r", 1, []byte("one"))
	s2, _ := Seal(nil, k2, "r", 1, []byte("two"))
	forged := bytes.Clone(s1)
	copy(forged[9+8+NonceSize:], s2[9+8+NonceSize:9+8+NonceSize+CommitmentSize])
	for _, k := range []*DataKey{k1, k2} {
		if _, err := Open(k, forged, "r", 1); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("got %v, want ErrIntegrity", err)
		}
	}
	if _, err := Open(k2, s1, "r", 1); err == nil || !strings.Contains(err.Error(), "commitment") {
		t.Fatalf("wrong key: got %v, want a key commitment failure", err)
	}
}

func TestSealArguments(t *testing.T) {
	dk := mustDataKey(t, 0)
	for _, c := range []struct {
		name string
		dk   *DataKey
		id   string
	}{
		{"nil key", nil, "r"},
		{"empty id", dk, ""},
		{"long id", dk, strings.Repeat("r", MaxIDLen+1)},
		{"invalid UTF-8", dk, "r\xff"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Seal(nil, c.dk, c.id, 1, []byte("x")); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Seal: got %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := Seal(nil, dk, strings.Repeat("é", MaxIDLen/2), 1, nil); err != nil {
		t.Fatalf("id of exactly MaxIDLen bytes: %v", err)
	}
	if _, err := Seal(bytes.NewReader([]byte{1, 2}), dk, "r", 1, nil); err == nil {
		t.Fatal("short randomness accepted")
	}
	sealed, _ := Seal(nil, dk, "r", 1, nil)
	dk.Destroy()
	if _, err := Seal(nil, dk, "r", 1, nil); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Seal with destroyed key: %v", err)
	}
	if _, err := Open(dk, sealed, "r", 1); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Open with destroyed key: %v", err)
	}
}

func TestParseSealedCanonical(t *testing.T) {
	sealed, _ := Seal(nil, mustDataKey(t, 0), "hospital/rec", 1<<60, []byte("x"))
	h, n, err := parseSealed(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if enc := appendRecordHeader(nil, &h); !bytes.Equal(enc, sealed[:n]) {
		t.Fatal("re-encoded header differs")
	}
}
