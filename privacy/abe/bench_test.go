package abe

import (
	"testing"
)

// benchPolicy has three attribute literals.
const benchPolicy = "org: stmarys and (role: physician or role: nurse)"

func BenchmarkWrapKey(b *testing.B) {
	f := mustFixture(b)
	dk := seq(0x40, DataKeySize)
	pub := f.stmarys.Public()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WrapKey(nil, pub, benchPolicy, dk, rec, ver); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapKey(b *testing.B) {
	f := mustFixture(b)
	dk := seq(0x40, DataKeySize)
	k := mustKey(b, f.stmarys, physician)
	w := mustWrap(b, f.stmarys.Public(), benchPolicy, dk, rec, ver)
	b.SetBytes(int64(len(w)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnwrapKey(k, w, rec, ver); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueKey(b *testing.B) {
	f := mustFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.stmarys.IssueKey(nil, cardioDoc); err != nil {
			b.Fatal(err)
		}
	}
}
