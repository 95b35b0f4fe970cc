package envelope

import (
	"testing"
)

// Benchmarks use a 1 MiB FHIR bundle (synthea-1.json repeated) and one data
// key wrapped with X-Wing HPKE.

func BenchmarkSeal1MiB(b *testing.B) {
	pt := fhirMiB(b)
	dk := mustDataKey(b, 0)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := Seal(nil, dk, "hospital-a/patient-17/bundle", 1, pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1MiB(b *testing.B) {
	pt := fhirMiB(b)
	dk := mustDataKey(b, 0)
	sealed, err := Seal(nil, dk, "hospital-a/patient-17/bundle", 1, pt)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := Open(dk, sealed, "hospital-a/patient-17/bundle", 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCiphertextHash1MiB(b *testing.B) {
	sealed, err := Seal(nil, mustDataKey(b, 0), "r", 1, fhirMiB(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(sealed)))
	for b.Loop() {
		_ = CiphertextHash(sealed)
	}
}

func BenchmarkWrap(b *testing.B) {
	pub := mustReaderKey(b, 0x40).PublicKey()
	dk := mustDataKey(b, 0)
	for b.Loop() {
		if _, err := Wrap(nil, pub, "insurer-1/claims", dk, "hospital-a/rec-9", 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrap(b *testing.B) {
	rk := mustReaderKey(b, 0x40)
	w, err := Wrap(nil, rk.PublicKey(), "insurer-1/claims", mustDataKey(b, 0), "hospital-a/rec-9", 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Unwrap(rk, "insurer-1/claims", w, "hospital-a/rec-9", 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewReaderKey is the one-off cost of expanding a reader's seed.
func BenchmarkNewReaderKey(b *testing.B) {
	seed := seq(0x40, ReaderSeedSize)
	for b.Loop() {
		if _, err := NewReaderKey(seed); err != nil {
			b.Fatal(err)
		}
	}
}
