package testfmt

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestSeq(t *testing.T) {
	if got := Seq(0xfe, 4); !bytes.Equal(got, []byte{0xfe, 0xff, 0, 1}) {
		t.Fatalf("Seq(0xfe, 4) = %x", got)
	}
	r := NewSeq(7)
	a, b := make([]byte, 2), make([]byte, 1)
	_, _ = r.Read(a)
	_, _ = r.Read(b)
	if !bytes.Equal(append(a, b...), []byte{7, 8, 9}) {
		t.Fatalf("reads %x %x: not one sequence", a, b)
	}
}

// TestHexRoundTrip writes more than one line of hex and reads the same bytes back; Golden with update rewrites
// the file and then agrees with it.
func TestHexRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.hex")
	want := Seq(1, 100)
	WriteHex(t, path, want)
	if got := ReadHex(t, path); !bytes.Equal(got, want) {
		t.Fatalf("read back %x, want %x", got, want)
	}
	if got := Golden(t, path, Seq(2, 3), true); !bytes.Equal(got, Seq(2, 3)) {
		t.Fatalf("Golden after update = %x", got)
	}
}

// TestGoldenFailsOnDifference: Golden reports bytes that differ from the file (a recording TB, since the
// failure is the point).
func TestGoldenFailsOnDifference(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.hex")
	WriteHex(t, path, []byte{1, 2, 3})
	rec := &recorder{TB: t}
	Golden(rec, path, []byte{1, 2, 4}, false)
	if !rec.failed {
		t.Fatal("Golden accepted bytes that differ from its file")
	}
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

// TestCanonical: Canonical fails on an error that is not an integrity failure and on an accepted encoding that does not
// re-encode to its bytes, and says whether the parse was accepted.
func TestCanonical(t *testing.T) {
	integrity := errors.New("integrity")
	b := []byte("HDRbody")
	same := func() []byte { return []byte("HDR") }
	for _, tc := range []struct {
		name       string
		err        error
		encode     func() []byte
		ok, failed bool
	}{
		{"integrity failure", fmt.Errorf("%w: truncated", integrity), same, false, false},
		{"other failure", errors.New("boom"), same, false, true},
		{"canonical", nil, same, true, false},
		{"not canonical", nil, func() []byte { return []byte("HDS") }, true, true},
	} {
		rec := &recorder{TB: t}
		if ok := Canonical(rec, b, 3, tc.err, integrity, tc.encode); ok != tc.ok || rec.failed != tc.failed {
			t.Errorf("%s: accepted %v, failed %v; want %v, %v", tc.name, ok, rec.failed, tc.ok, tc.failed)
		}
	}
}
