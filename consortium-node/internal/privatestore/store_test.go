package privatestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/almoner/almoner/privacy/envelope"
)

func newStore(t *testing.T) (*Store, *envelope.ReaderKey) {
	t.Helper()
	db, err := leveldb.OpenFile(filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	nk, err := envelope.GenerateReaderKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(db, "node1", nk), nk
}

func upload(t *testing.T, nk *envelope.ReaderKey, dk *envelope.DataKey, id string, v uint64, plain []byte) (sealed, wrapped []byte) {
	t.Helper()
	sealed, err := envelope.Seal(nil, dk, id, v, plain)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err = envelope.Wrap(nil, nk.PublicKey(), "node1", dk, id, v)
	if err != nil {
		t.Fatal(err)
	}
	return sealed, wrapped
}

// sealNew is upload under a fresh data key.
func sealNew(t *testing.T, nk *envelope.ReaderKey, id string, v uint64, plain []byte) (sealed, wrapped []byte) {
	t.Helper()
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return upload(t, nk, dk, id, v, plain)
}

// putNew stores plain as version v of record id, sealed under a fresh
// data key (sealNew), and returns what it stored.
func putNew(t *testing.T, s *Store, nk *envelope.ReaderKey, id string, v uint64, plain []byte) (sealed, wrapped []byte) {
	t.Helper()
	sealed, wrapped = sealNew(t, nk, id, v, plain)
	if err := s.Put(id, v, sealed, wrapped); err != nil {
		t.Fatal(err)
	}
	return sealed, wrapped
}

// stageNew stages plain (uploaded by stmarys/clerk now) as version v of
// record id, sealed under a fresh data key (sealNew), and returns the
// ciphertext's hash.
func stageNew(t *testing.T, s *Store, nk *envelope.ReaderKey, id string, v uint64, plain []byte) [32]byte {
	t.Helper()
	sealed, wrapped := sealNew(t, nk, id, v, plain)
	h, err := s.Stage(id, v, sealed, wrapped, "stmarys/clerk", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPutReleaseErase(t *testing.T) {
	s, nk := newStore(t)
	dk1, _ := envelope.NewDataKey(nil)
	sealed, wrapped := upload(t, nk, dk1, "rec", 1, []byte("fhir v1"))
	if err := s.Put("rec", 1, sealed, wrapped); err != nil {
		t.Fatal(err)
	}
	// Wrong record id, other node's key, tampered ciphertext: refused.
	if err := s.Put("other", 1, sealed, wrapped); !errors.Is(err, ErrMismatch) {
		t.Fatalf("moved upload: %v", err)
	}
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-1] ^= 1
	if err := s.Put("rec", 1, bad, wrapped); !errors.Is(err, ErrMismatch) {
		t.Fatalf("tampered ciphertext: %v", err)
	}
	// The next version must be re-keyed.
	s2, w2 := upload(t, nk, dk1, "rec", 2, []byte("fhir v2"))
	if err := s.Put("rec", 2, s2, w2); !errors.Is(err, ErrMismatch) {
		t.Fatalf("reused data key accepted: %v", err)
	}
	s2, w2 = sealNew(t, nk, "rec", 2, []byte("fhir v2"))
	if err := s.Put("rec", 2, s2, w2); err != nil {
		t.Fatal(err)
	}
	// Release re-wraps for the reader only.
	reader, _ := envelope.GenerateReaderKey(nil)
	gotSealed, gotWrapped, err := s.Release("rec", 2, sha256.Sum256(s2), "acme/adjuster", reader.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	rdk, err := envelope.Unwrap(reader, "acme/adjuster", gotWrapped, "rec", 2)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := envelope.Open(rdk, gotSealed, "rec", 2)
	if err != nil || !bytes.Equal(plain, []byte("fhir v2")) {
		t.Fatalf("released record: %q %v", plain, err)
	}
	if _, _, err := s.Release("rec", 3, sha256.Sum256(s2), "acme/adjuster", reader.PublicKey()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	// Erasure destroys every version and blocks later reads and uploads.
	n, err := s.Erase("rec")
	if err != nil || n != 2 {
		t.Fatalf("erase: %d %v", n, err)
	}
	if _, _, err := s.Release("rec", 1, sha256.Sum256(sealed), "acme/adjuster", reader.PublicKey()); !errors.Is(err, ErrErased) {
		t.Fatalf("read after erasure: %v", err)
	}
	if err := s.Put("rec", 3, s2, w2); !errors.Is(err, ErrErased) {
		t.Fatalf("upload after erasure: %v", err)
	}
	if ok, _ := s.Has("rec", 1); ok {
		t.Fatal("ciphertext survived erasure")
	}
}

// TestStoredVersionIsNeverReplaced: a version once stored keeps its
// ciphertext (the ledger may hold its hash): the same upload again is
// accepted, other content for it is refused and the first stays.
func TestStoredVersionIsNeverReplaced(t *testing.T) {
	s, nk := newStore(t)
	sealed, wrapped := putNew(t, s, nk, "rec", 1, []byte("fhir v1"))
	if err := s.Put("rec", 1, sealed, wrapped); err != nil {
		t.Fatalf("a retried upload: %v", err)
	}
	other, otherWrapped := sealNew(t, nk, "rec", 1, []byte("other content"))
	if err := s.Put("rec", 1, other, otherWrapped); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "already stored") {
		t.Fatalf("a replacement of version 1: %v", err)
	}
	reader, _ := envelope.GenerateReaderKey(nil)
	got, _, err := s.Release("rec", 1, sha256.Sum256(sealed), "r/x", reader.PublicKey())
	if err != nil || !bytes.Equal(got, sealed) {
		t.Fatalf("version 1 after the refused replacement: %v", err)
	}
}
