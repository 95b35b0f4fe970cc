package keystore

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

// weakKDF keeps tests fast; it is far below MinKDF.
var weakKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func testOptions() Options { return Options{KDF: weakKDF, InsecureWeakKDF: true} }

// seqReader yields next, next+1, ... (mod 256): fixed "randomness" for
// golden bytes.
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
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
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
