package privatestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/privacy/envelope"
)

// TestNotes: a note is kept only when its key is wrapped for this node and
// this note, it opens, it is within bounds and its SHA-256 is the one
// given; once; and released re-wrapped for a reader, who opens it. Rekey
// carries notes' keys to a new node key. Refused notes leave nothing.
func TestNotes(t *testing.T) {
	s, nk := newStore(t)
	const id = "note-reason-ab"
	text := []byte("found unconscious; checking allergies")
	want := sha256.Sum256(text)
	dk, _ := envelope.NewDataKey(nil)
	defer dk.Destroy()
	sealed, wrapped := upload(t, nk, dk, id, 1, text)
	other, _ := upload(t, nk, dk, "note-reason-cd", 1, text)
	big := bytes.Repeat([]byte("x"), 65)
	bigSealed, bigWrapped := upload(t, nk, dk, id, 1, big)
	stranger, _ := envelope.GenerateReaderKey(nil)
	_, strangerWrapped := upload(t, stranger, dk, id, 1, text)
	for _, c := range []struct {
		name            string
		sealed, wrapped []byte
		want            [32]byte
		err             error
	}{
		{"another note's ciphertext", other, wrapped, want, ErrNoteMismatch},
		{"a key wrapped for another node", sealed, strangerWrapped, want, ErrNoteMismatch},
		{"another hash", sealed, wrapped, sha256.Sum256([]byte("other")), ErrNoteMismatch},
		{"too big", bigSealed, bigWrapped, sha256.Sum256(big), ErrNoteTooBig},
	} {
		if err := s.PutNote(id, c.sealed, c.wrapped, c.want, 64); !errors.Is(err, c.err) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.err)
		}
		if ok, _ := s.HasNote(id); ok {
			t.Fatalf("%s: a refused note was kept", c.name)
		}
	}
	if err := s.PutNote(id, sealed, wrapped, want, 64); err != nil {
		t.Fatal(err)
	}
	if err := s.PutNote(id, sealed, wrapped, want, 64); !errors.Is(err, ErrNoteExists) {
		t.Fatalf("a second note: %v", err)
	}
	reader, _ := envelope.GenerateReaderKey(nil)
	open := func(s *Store) []byte {
		t.Helper()
		gotSealed, rw, err := s.ReleaseNote(id, "stmarys/privacy", reader.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		rdk, err := envelope.Unwrap(reader, "stmarys/privacy", rw, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rdk.Destroy()
		got, err := envelope.Open(rdk, gotSealed, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := open(s); !bytes.Equal(got, text) {
		t.Fatalf("released %q", got)
	}
	if _, _, err := s.ReleaseNote("note-review-ab", "stmarys/privacy", reader.PublicKey()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a note never kept: %v", err)
	}
	// The store holds no plaintext.
	it := s.db.NewIterator(nil, nil)
	for it.Next() {
		if bytes.Contains(it.Value(), []byte("allergies")) || strings.Contains(string(it.Key()), "allergies") {
			t.Fatalf("plaintext in %q", it.Key())
		}
	}
	it.Release()
	// A restore under a new node key rewraps the note's key too.
	nk2, _ := envelope.GenerateReaderKey(nil)
	n, err := Rekey(s.db, "node1", nk, "node2", nk2.PublicKey())
	if err != nil || n != 1 {
		t.Fatalf("rekey: %d keys, %v", n, err)
	}
	if got := open(New(s.db, "node2", nk2)); !bytes.Equal(got, text) {
		t.Fatalf("released after rekey %q", got)
	}
}
