package envelope

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

// Fuzz targets never panic on arbitrary bytes, fail only with the package's
// errors, and accept only canonical encodings. Seeds are real encodings.
//
// The wrapped-key seeds are about 1.2 KB (the X-Wing ciphertext alone is
// 1120 bytes) and Go's minimizer is quadratic in input length, so with the
// default -fuzzminimizetime (60s) FuzzParseWrapped and FuzzUnwrap spend their
// first minute minimizing instead of fuzzing. Run them with a short limit:
//
//	go test -run '^$' -fuzz '^FuzzUnwrap$' -fuzztime 30s -fuzzminimizetime 1s ./privacy/envelope/

func sealedSeeds(t testing.TB) [][]byte {
	dk := mustDataKey(t, 0)
	var out [][]byte
	for _, c := range []struct {
		id string
		v  uint64
		pt string
	}{{"rec/0001", 3, `{"resourceType":"Observation","status":"final"}`}, {"r", 0, ""}, {"hospital-a/patient-17/labs", 1 << 40, "x"}} {
		s, err := Seal(newSeq(0xa0), dk, c.id, c.v, []byte(c.pt))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func wrappedSeeds(t testing.TB) [][]byte {
	rk, dk := mustReaderKey(t, 0x40), mustDataKey(t, 0)
	var out [][]byte
	for _, c := range []struct {
		reader, rec string
		v           uint64
	}{{"insurer-1/claims", "rec/0001", 3}, {"r", "x", 0}} {
		w, err := Wrap(newSeq(0x80), rk.PublicKey(), c.reader, dk, c.rec, c.v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

func FuzzParseSealed(f *testing.F) {
	for _, s := range sealedSeeds(f) {
		f.Add(s)
		f.Add(s[:len(s)-1])
	}
	f.Add([]byte("ALMR"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseSealed(b)
		if !testfmt.Canonical(t, b, n, err, ErrIntegrity, func() []byte { return appendRecordHeader(nil, &h) }) {
			return
		}
		if len(b)-n < TagSize {
			t.Fatal("accepted a ciphertext shorter than the tag")
		}
	})
}

func FuzzOpenSealed(f *testing.F) {
	for _, s := range sealedSeeds(f) {
		h, err := ParseSealed(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s, h.RecordID, h.Version)
		f.Add(s, h.RecordID+"x", h.Version+1)
	}
	dk := mustDataKey(f, 0)
	f.Fuzz(func(t *testing.T, sealed []byte, recordID string, version uint64) {
		orig := bytes.Clone(sealed)
		pt, err := Open(dk, sealed, recordID, version)
		if !bytes.Equal(orig, sealed) {
			t.Fatal("Open modified its input")
		}
		if err != nil {
			if pt != nil || !(errors.Is(err, ErrIntegrity) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("unexpected error %v", err)
			}
			assertNoSecrets(t, err.Error(), dk.Bytes())
			return
		}
		h, err := ParseSealed(sealed)
		if err != nil || h.RecordID != recordID || h.Version != version {
			t.Fatalf("opened bytes that are not for this record: %+v %v", h, err)
		}
		// Whatever opened must seal back to exactly these bytes.
		again, err := Seal(bytes.NewReader(h.Nonce), dk, recordID, version, pt)
		if err != nil || !bytes.Equal(again, sealed) {
			t.Fatalf("opened bytes do not re-seal identically: %v", err)
		}
	})
}

func FuzzParseWrapped(f *testing.F) {
	for _, w := range wrappedSeeds(f) {
		f.Add(w)
		f.Add(w[:30])
	}
	f.Add([]byte("ALMK\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, enc, ct, err := parseWrapped(b)
		if !testfmt.Canonical(t, b, n, err, ErrIntegrity, func() []byte { return appendWrappedHeader(nil, &h) }) {
			return
		}
		if len(enc) != EncapsulatedKeySize || len(ct) != WrappedDataKeySize || n+len(enc)+len(ct) != len(b) {
			t.Fatal("bad split")
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	for _, w := range wrappedSeeds(f) {
		h, err := ParseWrapped(w)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(w, h.ReaderID, h.RecordID, h.Version)
		f.Add(w, h.ReaderID, h.RecordID, h.Version+1)
	}
	rk := mustReaderKey(f, 0x40)
	seed := rk.Seed()
	f.Fuzz(func(t *testing.T, wrapped []byte, readerID, recordID string, version uint64) {
		orig := bytes.Clone(wrapped)
		dk, err := Unwrap(rk, readerID, wrapped, recordID, version)
		if !bytes.Equal(orig, wrapped) {
			t.Fatal("Unwrap modified its input")
		}
		if err != nil {
			if dk != nil || !(errors.Is(err, ErrIntegrity) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("unexpected error %v", err)
			}
			assertNoSecrets(t, err.Error(), seed)
			return
		}
		h, err := ParseWrapped(wrapped)
		if err != nil || h.ReaderID != readerID || h.RecordID != recordID || h.Version != version {
			t.Fatalf("unwrapped a key that is not for this reader/record: %+v %v", h, err)
		}
	})
}
