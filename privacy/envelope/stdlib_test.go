package envelope

import (
	stdhpke "crypto/hpke"
	"testing"
)

// TestInteropWithStdlibHPKE checks the wrapped-key format against a second,
// independent HPKE implementation: Go's crypto/hpke (MLKEM768-X25519, the
// same KEM id 0x647a). A key wrapped here opens there, and a key sealed there
// (with the same info and aad) unwraps here, including the golden bytes.
func TestInteropWithStdlibHPKE(t *testing.T) {
	seed := seq(0x40, ReaderSeedSize)
	kem := stdhpke.MLKEM768X25519()
	if kem.ID() != uint16(WrapKEM) {
		t.Fatalf("stdlib KEM id 0x%04x", kem.ID())
	}
	sk, err := kem.NewPrivateKey(seed)
	if err != nil {
		t.Fatalf("stdlib rejects the X-Wing seed as a private key: %v", err)
	}
	rk := mustReaderKey(t, 0x40)
	if got := sk.PublicKey().Bytes(); string(got) != string(rk.PublicKey()) {
		t.Fatal("stdlib derives a different public key from the seed")
	}
	dk := mustDataKey(t, 0)

	// circl -> stdlib, on the golden bytes.
	w, err := Wrap(newSeq(0x80), rk.PublicKey(), "insurer-1/claims", dk, "rec/0001", 3)
	if err != nil {
		t.Fatal(err)
	}
	_, n, enc, ct, err := parseWrapped(w)
	if err != nil {
		t.Fatal(err)
	}
	hdr := w[:n]
	r, err := stdhpke.NewRecipient(enc, sk, stdhpke.HKDFSHA256(), stdhpke.AES256GCM(), hdr)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := r.Open(hdr, ct)
	if err != nil || string(pt) != string(dk.Bytes()) {
		t.Fatalf("stdlib cannot open a wrapped key: %v", err)
	}

	// stdlib -> circl.
	enc2, s, err := stdhpke.NewSender(sk.PublicKey(), stdhpke.HKDFSHA256(), stdhpke.AES256GCM(), hdr)
	if err != nil {
		t.Fatal(err)
	}
	ct2, err := s.Seal(hdr, dk.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	w2 := append(append(append([]byte(nil), hdr...), enc2...), ct2...)
	got, err := Unwrap(rk, "insurer-1/claims", w2, "rec/0001", 3)
	if err != nil || !got.Equal(dk) {
		t.Fatalf("Unwrap of a stdlib-sealed key: %v", err)
	}
}
