package envelope

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func mustDataKey(t testing.TB, start byte) *DataKey {
	t.Helper()
	dk, err := DataKeyFromBytes(seq(start, DataKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return dk
}

func mustReaderKey(t testing.TB, start byte) *ReaderKey {
	t.Helper()
	rk, err := NewReaderKey(seq(start, ReaderSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

// fhirPath is synthea-1.json in the shared FHIR test data, relative to this
// package's directory.
var fhirPath = filepath.Join("..", "..", "..", "shared", "fhir", "synthea-1.json")

func readFHIR(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(fhirPath)
	if err != nil {
		t.Skipf("FHIR test data not available (%v); it lives in ../shared/fhir beside the repository", err)
	}
	return b
}

// fhirMiB repeats synthea-1.json up to exactly 1 MiB.
func fhirMiB(t testing.TB) []byte {
	src := readFHIR(t)
	out := make([]byte, 0, 1<<20)
	for len(out) < 1<<20 {
		out = append(out, src[:min(len(src), 1<<20-len(out))]...)
	}
	return out
}

// golden compares got with testdata/name (hex, 64 characters a line), or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	return testfmt.Golden(t, filepath.Join("testdata", name), got, *update)
}

// flipAt returns a mutation that flips the lowest bit of byte i.
func flipAt(i int) func([]byte) []byte {
	return func(b []byte) []byte { b[i] ^= 0x01; return b }
}

// seq returns the n bytes start, start+1, ... (mod 256).
func seq(start byte, n int) []byte { return testfmt.Seq(start, n) }

// newSeq is fixed "randomness" for golden-byte tests: start, start+1, ... (mod 256).
func newSeq(start byte) *testfmt.SeqReader { return testfmt.NewSeq(start) }
