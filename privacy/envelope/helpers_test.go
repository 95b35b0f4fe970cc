package envelope

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// seqReader yields next, next+1, next+2, ... (mod 256): fixed "randomness"
// for golden-byte tests.
type seqReader struct{ next byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	_, _ = (&seqReader{next: start}).Read(b)
	return b
}

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

// golden compares got with testdata/name (hex, 64 characters a line), or
// rewrites it with -update.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var sb strings.Builder
		h := hex.EncodeToString(got)
		for len(h) > 64 {
			sb.WriteString(h[:64] + "\n")
			h = h[64:]
		}
		sb.WriteString(h + "\n")
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update to create it)", err, t.Name())
	}
	want, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encoding differs from %s (a format change needs a new format version):\n got %x\nwant %x", path, got, want)
	}
	return want
}
