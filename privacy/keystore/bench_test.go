package keystore

import "testing"

// BenchmarkUnsealDefaultKDF measures opening a passphrase entry with the
// default argon2id parameters (t=3, m=64 MiB, p=4): the cost of one
// passphrase guess, and of unlocking a node at start-up.
func BenchmarkUnsealDefaultKDF(b *testing.B) {
	pw := Passphrase([]byte("correct horse battery staple"))
	e, err := Seal(DefaultOptions(), pw, "k", 1, make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Unseal(e, pw, "k", 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnsealOrgKey measures opening an organisation-key entry.
func BenchmarkUnsealOrgKey(b *testing.B) {
	org := mustOrgKey(b, "org-1", 0)
	e, err := Seal(DefaultOptions(), org, "k", 1, make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unseal(e, org, "k", 1); err != nil {
			b.Fatal(err)
		}
	}
}
