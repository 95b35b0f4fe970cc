package privatestore

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/almoner/almoner/privacy/envelope"
)

// Errors of the note store.
var (
	// ErrNoteExists means a note of that kind is already stored for the
	// access: a note is delivered once.
	ErrNoteExists = errors.New("privatestore: a note is already stored for this access")
	// ErrNoteTooBig means the note's text is over the caller's bound.
	ErrNoteTooBig = errors.New("privatestore: the note is too big")
	// ErrNoteMismatch means the note is not what it claims to be: its key
	// is not wrapped for this node and note, it does not open, or its
	// SHA-256 is not the ledger's.
	ErrNoteMismatch = errors.New("privatestore: the note does not match")
)

// noteVersion is the version a note's envelope binds (a note is written
// once).
const noteVersion = 1

func noteCtKey(id string) []byte  { return []byte(prefix + "nct/" + id) }
func noteKeyKey(id string) []byte { return []byte(prefix + "ndk/" + id) }

// PutNote stores note id (an api.NoteID): its sealed text and its data key
// wrapped for this node, after checking that the key is wrapped for this
// node and this note, that it opens the text, that the text is at most
// maxText bytes and that its SHA-256 is want (the ledger's note hash):
// ErrNoteMismatch or ErrNoteTooBig otherwise, and nothing is stored. A note is
// stored once (ErrNoteExists), with fsync.
func (s *Store) PutNote(id string, sealed, wrapped []byte, want [32]byte, maxText int) error {
	dk, err := envelope.Unwrap(s.key, s.nodeID, wrapped, id, noteVersion)
	if err != nil {
		return fmt.Errorf("%w: its key is not wrapped for node %q and %s: %v", ErrNoteMismatch, s.nodeID, id, err)
	}
	text, err := envelope.Open(dk, sealed, id, noteVersion)
	dk.Destroy()
	if err != nil {
		return fmt.Errorf("%w: it does not open with its key as %s: %v", ErrNoteMismatch, id, err)
	}
	defer clear(text)
	if len(text) > maxText {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrNoteTooBig, len(text), maxText)
	}
	if sha256.Sum256(text) != want {
		return fmt.Errorf("%w: its SHA-256 is not the one the ledger holds for it", ErrNoteMismatch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, err := s.db.Has(noteCtKey(id), nil); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: %s", ErrNoteExists, id)
	}
	b := new(leveldb.Batch)
	b.Put(noteCtKey(id), sealed)
	b.Put(noteKeyKey(id), wrapped)
	return s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// HasNote reports whether note id is stored here.
func (s *Store) HasNote(id string) (bool, error) { return s.db.Has(noteCtKey(id), nil) }

// ReleaseNote returns note id's sealed text and its data key wrapped for
// reader (HPKE to readerPub, bound to the note and the reader);
// ErrNotFound when it is not stored here. The caller has checked that the
// reader may read it.
func (s *Store) ReleaseNote(id, readerID string, readerPub []byte) (sealed, wrapped []byte, err error) {
	sealed, err = s.db.Get(noteCtKey(id), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: note %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, err
	}
	mine, err := s.db.Get(noteKeyKey(id), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: note %s has no key: %v", ErrCorrupt, id, err)
	}
	dk, err := envelope.Unwrap(s.key, s.nodeID, mine, id, noteVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: unwrapping the stored key of %s: %w", id, err)
	}
	defer dk.Destroy()
	wrapped, err = envelope.Wrap(nil, readerPub, readerID, dk, id, noteVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: wrapping for %q: %w", readerID, err)
	}
	return sealed, wrapped, nil
}
