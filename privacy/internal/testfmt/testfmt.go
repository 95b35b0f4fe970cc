package testfmt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SeqReader yields its next byte, then the one after, and so on (mod 256): fixed "randomness" for golden-byte
// tests.
type SeqReader struct{ next byte }

// NewSeq returns a SeqReader that starts at start.
func NewSeq(start byte) *SeqReader { return &SeqReader{next: start} }

func (r *SeqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// Seq returns the n bytes start, start+1, ... (mod 256).
func Seq(start byte, n int) []byte {
	b := make([]byte, n)
	_, _ = NewSeq(start).Read(b)
	return b
}

// WriteHex writes b to path as hex, 64 characters a line, creating path's folder if need be.
func WriteHex(t testing.TB, path string, b []byte) {
	t.Helper()
	var sb strings.Builder
	h := hex.EncodeToString(b)
	for len(h) > 64 {
		sb.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	sb.WriteString(h + "\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadHex reads the hex of path (white space ignored).
func ReadHex(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update to create it)", err, t.Name())
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	return b
}

// Golden compares got with the hex golden file at path, which it rewrites first when update is set (a test's
// -update flag), and returns the file's bytes.
func Golden(t testing.TB, path string, got []byte, update bool) []byte {
	t.Helper()
	if update {
		WriteHex(t, path, got)
	}
	want := ReadHex(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("encoding differs from %s (a format change needs a new format version):\n got %x\nwant %x", path, got,
			want)
	}
	return want
}

// Canonical is a decoding fuzz target's check of one parse of b: a failure must wrap integrity (the format's
// ErrIntegrity, or the error its decoder marks every failure with), and what the parse accepted must re-encode
// (encode) to exactly the n bytes it was read from (a header: its length; a whole encoding: len(b)). It reports
// whether the parse was accepted, for the target's checks of the rest.
func Canonical(t testing.TB, b []byte, n int, err, integrity error, encode func() []byte) bool {
	t.Helper()
	if err != nil {
		if !errors.Is(err, integrity) {
			t.Fatalf("error %v does not wrap %v", err, integrity)
		}
		return false
	}
	if got := encode(); !bytes.Equal(got, b[:n]) {
		t.Fatalf("non-canonical encoding accepted: %x re-encodes as %x", b[:n], got)
	}
	return true
}
