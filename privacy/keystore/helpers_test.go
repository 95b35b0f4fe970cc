package keystore

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// weakKDF keeps tests fast; it is far below MinKDF.
var weakKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func testOptions() Options { return Options{KDF: weakKDF, InsecureWeakKDF: true} }

// passphraseEntry is version 1 of entry id ("node-sign"), sealed under
// passphrase pass ("pw"): the entry the tamper tests flip bytes of.
func passphraseEntry(t testing.TB) (e []byte, pass Protector, id string) {
	t.Helper()
	pass, id = Passphrase([]byte("pw")), "node-sign"
	e, err := Seal(testOptions(), pass, id, 1, seq(0x80, 32))
	if err != nil {
		t.Fatal(err)
	}
	return e, pass, id
}

func mustOrgKey(t testing.TB, id string, start byte) *OrgKey {
	t.Helper()
	k, err := NewOrgKey(id, seq(start, OrgKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "keys"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got with testdata/name (hex, 64 characters a line), or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	return testfmt.Golden(t, filepath.Join("testdata", name), got, *update)
}

// seq returns the n bytes start, start+1, ... (mod 256).
func seq(start byte, n int) []byte { return testfmt.Seq(start, n) }

// newSeq is fixed "randomness" for golden-byte tests: start, start+1, ... (mod 256).
func newSeq(start byte) *testfmt.SeqReader { return testfmt.NewSeq(start) }
