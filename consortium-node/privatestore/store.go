package privatestore

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/privacy/envelope"
)

// Errors returned by the store.
var (
	ErrNotFound = errors.New("privatestore: no such record version here")
	ErrErased   = errors.New("privatestore: record erased")
	ErrMismatch = errors.New("privatestore: upload does not match the record it names")
)

const prefix = "p/"

func ctKey(id string, v uint64) []byte {
	return []byte(prefix + "ct/" + id + "/" + strconv.FormatUint(v, 10))
}
func keyKey(id string, v uint64) []byte {
	return []byte(prefix + "dk/" + id + "/" + strconv.FormatUint(v, 10))
}
func erasedKey(id string) []byte { return []byte(prefix + "erased/" + id) }

// Store is the private store of one custodian node. It is safe for
// concurrent use.
type Store struct {
	db     *leveldb.DB
	nodeID string
	key    *envelope.ReaderKey // the node's X-Wing key
	// mu orders Put's final check-and-write against Erase: a copy that
	// arrives while its record is being erased is either destroyed by the
	// erasure or refused by the tombstone, never left beside it.
	mu sync.Mutex
}

// New returns the store over the node's database.
func New(db *leveldb.DB, nodeID string, key *envelope.ReaderKey) *Store {
	return &Store{db: db, nodeID: nodeID, key: key}
}

// Put stores a record version: the sealed ciphertext and its data key
// wrapped for this node. It checks that the ciphertext names this record
// and version and that the key opens it, so a wrong upload is refused now
// rather than discovered by a reader.
func (s *Store) Put(recordID string, version uint64, sealed, wrapped []byte) error {
	if erased, err := s.db.Has(erasedKey(recordID), nil); err != nil {
		return err
	} else if erased {
		return fmt.Errorf("%w: %q", ErrErased, recordID)
	}
	dk, err := envelope.Unwrap(s.key, s.nodeID, wrapped, recordID, version)
	if err != nil {
		return fmt.Errorf("%w: the data key is not wrapped for node %q and record %q version %d: %v", ErrMismatch, s.nodeID, recordID, version, err)
	}
	defer dk.Destroy()
	if _, err := envelope.Open(dk, sealed, recordID, version); err != nil {
		return fmt.Errorf("%w: the ciphertext does not open with its key for record %q version %d: %v", ErrMismatch, recordID, version, err)
	}
	// Every version gets a fresh data key: a reader whose consent ended
	// keeps the keys released to them, which must open nothing newer.
	if version > 1 {
		prevWrapped, err := s.db.Get(keyKey(recordID, version-1), nil)
		if err == nil {
			prev, err := envelope.Unwrap(s.key, s.nodeID, prevWrapped, recordID, version-1)
			if err != nil {
				return fmt.Errorf("privatestore: unwrapping the key of %q version %d: %w", recordID, version-1, err)
			}
			same := prev.Equal(dk)
			prev.Destroy()
			if same {
				return fmt.Errorf("%w: version %d of %q reuses the previous version's data key; seal every version with a fresh key", ErrMismatch, version, recordID)
			}
		} else if !errors.Is(err, leveldb.ErrNotFound) {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if erased, err := s.db.Has(erasedKey(recordID), nil); err != nil {
		return err
	} else if erased {
		return fmt.Errorf("%w: %q", ErrErased, recordID)
	}
	// A stored version is never replaced: the ledger may already hold its
	// hash, and a reader released it under that hash. The same bytes again
	// (a retried upload) are accepted.
	if prev, err := s.db.Get(ctKey(recordID, version), nil); err == nil {
		if bytes.Equal(prev, sealed) {
			return nil
		}
		return fmt.Errorf("%w: version %d of %q is already stored with other content; upload it as the next version", ErrMismatch, version, recordID)
	} else if !errors.Is(err, leveldb.ErrNotFound) {
		return err
	}
	b := new(leveldb.Batch)
	b.Put(ctKey(recordID, version), sealed)
	b.Put(keyKey(recordID, version), wrapped)
	return s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// Has reports whether the ciphertext of a version is stored.
func (s *Store) Has(recordID string, version uint64) (bool, error) {
	return s.db.Has(ctKey(recordID, version), nil)
}

// Release returns the sealed ciphertext and the data key wrapped for
// reader (HPKE to readerPub, bound to record, version and reader). The
// caller has checked that the reader may read it.
func (s *Store) Release(recordID string, version uint64, readerID string, readerPub []byte) (sealed, wrapped []byte, err error) {
	if erased, err := s.db.Has(erasedKey(recordID), nil); err != nil {
		return nil, nil, err
	} else if erased {
		return nil, nil, fmt.Errorf("%w: %q", ErrErased, recordID)
	}
	sealed, err = s.db.Get(ctKey(recordID, version), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: %q version %d", ErrNotFound, recordID, version)
	}
	if err != nil {
		return nil, nil, err
	}
	mine, err := s.db.Get(keyKey(recordID, version), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: data key of %q version %d: %w", recordID, version, err)
	}
	dk, err := envelope.Unwrap(s.key, s.nodeID, mine, recordID, version)
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: unwrapping the stored key of %q version %d: %w", recordID, version, err)
	}
	defer dk.Destroy()
	wrapped, err = envelope.Wrap(nil, readerPub, readerID, dk, recordID, version)
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: wrapping for %q: %w", readerID, err)
	}
	return sealed, wrapped, nil
}

// Erase destroys every version's ciphertext and data key of a record and
// records that it was erased. It reports how many versions it destroyed.
func (s *Store) Erase(recordID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := new(leveldb.Batch)
	n := 0
	for _, p := range []string{prefix + "ct/" + recordID + "/", prefix + "dk/" + recordID + "/"} {
		it := s.db.NewIterator(util.BytesPrefix([]byte(p)), nil)
		for it.Next() {
			b.Delete(append([]byte(nil), it.Key()...))
			if p[len(prefix):len(prefix)+2] == "ct" {
				n++
			}
		}
		it.Release()
		if err := it.Error(); err != nil {
			return 0, err
		}
	}
	b.Put(erasedKey(recordID), []byte{1})
	if err := s.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return 0, err
	}
	// Compact the range so the destroyed values leave the table files too.
	_ = s.db.CompactRange(util.Range{Start: []byte(prefix + "ct/" + recordID + "/"), Limit: []byte(prefix + "dk/" + recordID + "0")})
	return n, nil
}

// Erased reports whether a record was erased here.
func (s *Store) Erased(recordID string) (bool, error) { return s.db.Has(erasedKey(recordID), nil) }
