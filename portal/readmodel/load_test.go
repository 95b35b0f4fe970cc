package readmodel

import (
	"errors"
	"fmt"
	"testing"
)

// memStore is an empty index in memory, closed when the test ends.
func memStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open("", NewRegistry())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestLoadJSON: a record written in the batch loads back; a missing one
// is not found by LoadJSON and is the module's marked error (wrapping
// ErrCorrupt) for MustLoadJSON; one that does not decode is ErrCorrupt.
func TestLoadJSON(t *testing.T) {
	s := memStore(t)
	type rec struct{ N int }
	w := s.newTxn().Module("m")
	if err := w.PutJSON("k", rec{N: 7}); err != nil {
		t.Fatal(err)
	}
	w.Put("bad", []byte("{"))
	if v, ok, err := LoadJSON[rec](w, "k"); err != nil || !ok || v.N != 7 {
		t.Fatalf("LoadJSON of a record: %v %v %v", v, ok, err)
	}
	if v, ok, err := LoadJSON[rec](w, "none"); err != nil || ok || v != nil {
		t.Fatalf("LoadJSON of a missing record: %v %v %v", v, ok, err)
	}
	if _, _, err := LoadJSON[rec](w, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("LoadJSON of a record that does not decode: %v", err)
	}
	marker := fmt.Errorf("%w: m", ErrCorrupt)
	if v, err := MustLoadJSON[rec](w, "k", marker, "rec"); err != nil || v.N != 7 {
		t.Fatalf("MustLoadJSON of a record: %v %v", v, err)
	}
	v, err := MustLoadJSON[rec](w, "none", marker, `rec "none"`)
	if !errors.Is(err, marker) || !errors.Is(err, ErrCorrupt) || err.Error() != `readmodel: corrupt index: m: unknown rec "none"` ||
		v != nil {
		t.Fatalf("MustLoadJSON of a missing record: %v %v", v, err)
	}
}

// TestSeq: index suffixes sort as their heights and transactions do.
func TestSeq(t *testing.T) {
	if got := Seq(0x1a, 3); got != "000000000000001a.000003" {
		t.Fatalf("Seq = %q", got)
	}
	if !(Seq(9, 0xfffff) < Seq(10, 0) && Seq(10, 0) < Seq(10, 1) && Seq(255, 0) < Seq(256, 0)) {
		t.Fatal("Seq does not sort by height, then transaction")
	}
}
