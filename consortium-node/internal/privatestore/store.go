package privatestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/integrity"
)

// Errors returned by the store.
var (
	ErrNotFound = errors.New("privatestore: no such record version here")
	ErrErased   = errors.New("privatestore: record erased")
	ErrMismatch = errors.New("privatestore: upload does not match the record it names")
	// ErrCorrupt marks an entry of the store that does not decode
	// (an integrity failure of the disk, not a caller's mistake); it is
	// integrity.ErrFailed.
	ErrCorrupt = integrity.New("privatestore: corrupt entry")
)

const prefix = "p/"

func ctKey(id string, v uint64) []byte {
	return []byte(prefix + "ct/" + id + "/" + strconv.FormatUint(v, 10))
}
func keyKey(id string, v uint64) []byte {
	return []byte(prefix + "dk/" + id + "/" + strconv.FormatUint(v, 10))
}
func erasedKey(id string) []byte { return []byte(prefix + "erased/" + id) }

// A staged upload's entries (see doc.go): the first upload of a version
// takes the version's own ct/ and dk/ entries, so that its registration
// moves no data; another upload of the version while that one is staged
// goes beside it, named by its ciphertext's hash. Each has its metadata
// under up/, which the sweep lists without reading ciphertexts.
func stagedCtKey(id string, v uint64, h [32]byte) []byte {
	return []byte(prefix + "ct/" + id + "/" + strconv.FormatUint(v, 10) + "/" + hex.EncodeToString(h[:]))
}
func stagedKeyKey(id string, v uint64, h [32]byte) []byte {
	return []byte(prefix + "dk/" + id + "/" + strconv.FormatUint(v, 10) + "/" + hex.EncodeToString(h[:]))
}
func stagedMetaKey(id string, v uint64, h [32]byte) []byte {
	return []byte(prefix + "up/" + id + "/" + strconv.FormatUint(v, 10) + "/" + hex.EncodeToString(h[:]))
}

// Store is the private store of one custodian node. It is safe for
// concurrent use.
type Store struct {
	db     *leveldb.DB
	nodeID string
	key    *envelope.ReaderKey // the node's X-Wing key
	// mu orders the final check-and-write of Put, Stage, Promote and
	// Discard against Erase and each other: a copy that arrives while its
	// record is being erased is either destroyed by the erasure or refused
	// by the tombstone, never left beside it; a staged upload is promoted
	// or discarded, not both.
	mu sync.Mutex
}

// New returns the store over the node's database.
func New(db *leveldb.DB, nodeID string, key *envelope.ReaderKey) *Store {
	return &Store{db: db, nodeID: nodeID, key: key}
}

// check refuses what must never be stored: a record with a tombstone, a
// data key not wrapped for this node and this record version, a
// ciphertext its key does not open, and a data key reused from the
// previous stored version.
func (s *Store) check(recordID string, version uint64, sealed, wrapped []byte) error {
	if err := s.notErased(recordID); err != nil {
		return err
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
	return nil
}

func (s *Store) notErased(recordID string) error {
	if erased, err := s.db.Has(erasedKey(recordID), nil); err != nil {
		return err
	} else if erased {
		return fmt.Errorf("%w: %q", ErrErased, recordID)
	}
	return nil
}

// Put stores a record version that the ledger registers: the sealed
// ciphertext and its data key wrapped for this node. It checks that the
// ciphertext names this record and version and that the key opens it, so
// a wrong upload is refused now rather than discovered by a reader. The
// caller has checked that the ledger registers this ciphertext's hash; an
// upload the ledger does not (yet) register is staged instead (Stage).
func (s *Store) Put(recordID string, version uint64, sealed, wrapped []byte) error {
	if err := s.check(recordID, version, sealed, wrapped); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.notErased(recordID); err != nil {
		return err
	}
	staged, err := s.stagedOf(recordID, version)
	if err != nil {
		return err
	}
	b := new(leveldb.Batch)
	h := sha256.Sum256(sealed)
	if m, ok := staged.main(); ok {
		// A staged upload holds the version's entries: the ledger
		// registers this one, so it takes them (the staged one, if it is
		// another, could never be registered).
		b.Delete(stagedMetaKey(recordID, version, m))
		if m == h {
			return s.db.Write(b, &opt.WriteOptions{Sync: true})
		}
	} else if prev, err := s.db.Get(ctKey(recordID, version), nil); err == nil {
		// A registered version is never replaced: the ledger holds its
		// hash, and a reader released it under that hash. The same bytes
		// again (a retried upload) are accepted.
		if bytes.Equal(prev, sealed) {
			return nil
		}
		return fmt.Errorf("%w: version %d of %q is already stored with other content; upload it as the next version", ErrMismatch, version, recordID)
	} else if !errors.Is(err, leveldb.ErrNotFound) {
		return err
	}
	b.Put(ctKey(recordID, version), sealed)
	b.Put(keyKey(recordID, version), wrapped)
	return s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// Staged is an upload kept until the ledger registers it (Promote) or the
// sweep discards it (Discard).
type Staged struct {
	RecordID string
	Version  uint64
	Hash     [32]byte // the ciphertext's SHA-256: what record.register names
	// Uploader is the member who uploaded it, or "node:<id>" for a copy
	// another node of the organisation sent.
	Uploader string
	// At is when this node stored it (by the node's clock).
	At time.Time
}

// Stage keeps an upload that the ledger does not register (yet): the
// version's ciphertext and data key, after the checks of Put, with who
// uploaded it and when. The first upload of a version takes the version's
// own entries; another one while it is staged (after a registration the
// ledger refused, or a retry while the first registration is pending)
// goes beside it, named by its ciphertext's hash. The one whose hash a
// committed record.register names becomes the version (Promote), the
// others are dropped then, and the sweep discards those no registration
// names. The same bytes again are restaged at the new time. The caller
// has checked that the ledger does not register the version. It returns
// the ciphertext's hash.
func (s *Store) Stage(recordID string, version uint64, sealed, wrapped []byte, uploader string, at time.Time) ([32]byte, error) {
	h := sha256.Sum256(sealed)
	if err := s.check(recordID, version, sealed, wrapped); err != nil {
		return h, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.notErased(recordID); err != nil {
		return h, err
	}
	staged, err := s.stagedOf(recordID, version)
	if err != nil {
		return h, err
	}
	b := new(leveldb.Batch)
	if inMain, ok := staged[h]; ok {
		b.Put(stagedMetaKey(recordID, version, h), encodeMeta(uploader, at, inMain))
		return h, s.db.Write(b, &opt.WriteOptions{Sync: true})
	}
	// The version's own entries, unless something holds them: another
	// staged upload, or a version stored without one (registered since
	// the caller looked, or left by an upload before uploads were
	// staged), which only a registration may replace.
	taken, err := s.db.Has(ctKey(recordID, version), nil)
	if err != nil {
		return h, err
	}
	if taken {
		b.Put(stagedCtKey(recordID, version, h), sealed)
		b.Put(stagedKeyKey(recordID, version, h), wrapped)
	} else {
		b.Put(ctKey(recordID, version), sealed)
		b.Put(keyKey(recordID, version), wrapped)
	}
	b.Put(stagedMetaKey(recordID, version, h), encodeMeta(uploader, at, !taken))
	return h, s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// encodeMeta encodes a staged upload's metadata: the time in Unix
// nanoseconds (8 bytes, big-endian), 1 when the upload holds the
// version's own entries (else 0), then the uploader.
func encodeMeta(uploader string, at time.Time, inMain bool) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
	if inMain {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return append(b, uploader...)
}

// decodeMeta decodes encodeMeta's bytes.
func decodeMeta(b []byte) (uploader string, at time.Time, inMain bool, err error) {
	if len(b) < 9 || b[8] > 1 {
		return "", time.Time{}, false, fmt.Errorf("%w: staged upload metadata %x", ErrCorrupt, b[:min(len(b), 9)])
	}
	return string(b[9:]), time.Unix(0, int64(binary.BigEndian.Uint64(b))), b[8] == 1, nil
}

// parseStagedKey splits a staged upload's key after its prefix (e.g.
// "p/up/"): record id, version and hash.
func parseStagedKey(k []byte, pfx string) (string, uint64, [32]byte, error) {
	var h [32]byte
	rest, ok := strings.CutPrefix(string(k), pfx)
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 || hex.DecodedLen(len(rest)-i-1) != len(h) {
		return "", 0, h, fmt.Errorf("%w: staged upload key %q", ErrCorrupt, k)
	}
	if _, err := hex.Decode(h[:], []byte(rest[i+1:])); err != nil {
		return "", 0, h, fmt.Errorf("%w: staged upload key %q", ErrCorrupt, k)
	}
	id, v, err := splitVersion(rest[:i])
	if err != nil {
		return "", 0, h, fmt.Errorf("%w: staged upload key %q", ErrCorrupt, k)
	}
	return id, v, h, nil
}

// splitVersion splits "<record id>/<version>".
func splitVersion(s string) (string, uint64, error) {
	i := strings.LastIndexByte(s, '/')
	if i <= 0 {
		return "", 0, fmt.Errorf("%w: %q names no version", ErrCorrupt, s)
	}
	v, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %q names no version", ErrCorrupt, s)
	}
	return s[:i], v, nil
}

// ListStaged calls fn with each staged upload, in key order, until fn
// returns false. It reads only the small metadata entries.
func (s *Store) ListStaged(fn func(Staged) bool) error {
	const pfx = prefix + "up/"
	it := s.db.NewIterator(util.BytesPrefix([]byte(pfx)), nil)
	defer it.Release()
	for it.Next() {
		id, v, h, err := parseStagedKey(it.Key(), pfx)
		if err != nil {
			return err
		}
		who, at, _, err := decodeMeta(it.Value())
		if err != nil {
			return fmt.Errorf("%w (record %q version %d)", err, id, v)
		}
		if !fn(Staged{RecordID: id, Version: v, Hash: h, Uploader: who, At: at}) {
			break
		}
	}
	return it.Error()
}

// stagedSet is a version's staged uploads: hash → whether it holds the
// version's own entries.
type stagedSet map[[32]byte]bool

// main returns the staged upload that holds the version's own entries.
func (st stagedSet) main() ([32]byte, bool) {
	for h, inMain := range st {
		if inMain {
			return h, true
		}
	}
	return [32]byte{}, false
}

// stagedOf returns a version's staged uploads.
func (s *Store) stagedOf(recordID string, version uint64) (stagedSet, error) {
	pfx := prefix + "up/" + recordID + "/" + strconv.FormatUint(version, 10) + "/"
	it := s.db.NewIterator(util.BytesPrefix([]byte(pfx)), nil)
	defer it.Release()
	out := stagedSet{}
	for it.Next() {
		var h [32]byte
		if n, err := hex.Decode(h[:], it.Key()[len(pfx):]); err != nil || n != len(h) {
			return nil, fmt.Errorf("%w: staged upload key %q", ErrCorrupt, it.Key())
		}
		_, _, inMain, err := decodeMeta(it.Value())
		if err != nil {
			return nil, err
		}
		out[h] = inMain
	}
	return out, it.Error()
}

// Promote makes the staged upload whose ciphertext hash is h the content
// of the record version (a committed record.register names h) and drops
// the version's other staged uploads. The first upload of a version
// already holds the version's entries, so its promotion moves no data. It
// reports whether this node now holds the version with that hash: false
// when it holds neither a staged upload nor a stored version with it (a
// copy must then come from another node); the version's entries are
// cleared then when they hold something else (another upload, or what an
// upload left before uploads were staged), so that the copy can be
// stored. An erased record is left as it is. Promote does not fsync:
// after a crash the staged upload is still there, and promoting it again
// is safe.
func (s *Store) Promote(recordID string, version uint64, h [32]byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.notErased(recordID); err != nil {
		return false, nil
	}
	staged, err := s.stagedOf(recordID, version)
	if err != nil {
		return false, err
	}
	b := new(leveldb.Batch)
	held := false
	inMain, isStaged := staged[h]
	_, mainStaged := staged.main()
	switch {
	case isStaged && inMain:
		// In place, unless a restore dropped the private data and left
		// the metadata.
		if held, err = s.db.Has(ctKey(recordID, version), nil); err != nil {
			return false, err
		}
	case isStaged:
		sealed, err := s.db.Get(stagedCtKey(recordID, version, h), nil)
		if err != nil {
			return false, err
		}
		wrapped, err := s.db.Get(stagedKeyKey(recordID, version, h), nil)
		if err != nil {
			return false, err
		}
		b.Put(ctKey(recordID, version), sealed)
		b.Put(keyKey(recordID, version), wrapped)
		held = true
	case mainStaged: // the entries hold another staged upload
		b.Delete(ctKey(recordID, version))
		b.Delete(keyKey(recordID, version))
	default:
		cur, err := s.db.Get(ctKey(recordID, version), nil)
		switch {
		case err == nil && sha256.Sum256(cur) == h:
			held = true
		case err == nil:
			b.Delete(ctKey(recordID, version))
			b.Delete(keyKey(recordID, version))
		case !errors.Is(err, leveldb.ErrNotFound):
			return false, err
		}
	}
	for x, xMain := range staged {
		b.Delete(stagedMetaKey(recordID, version, x))
		if !xMain {
			b.Delete(stagedCtKey(recordID, version, x))
			b.Delete(stagedKeyKey(recordID, version, x))
		}
	}
	if b.Len() == 0 {
		return held, nil
	}
	return held, s.db.Write(b, nil)
}

// Discard destroys a staged upload's ciphertext and data key: the ledger
// never registered it. The record id stays free. Discarding what is not
// staged is no error.
func (s *Store) Discard(recordID string, version uint64, h [32]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	staged, err := s.stagedOf(recordID, version)
	if err != nil {
		return err
	}
	inMain, ok := staged[h]
	if !ok {
		return nil
	}
	b := new(leveldb.Batch)
	b.Delete(stagedMetaKey(recordID, version, h))
	if inMain {
		b.Delete(ctKey(recordID, version))
		b.Delete(keyKey(recordID, version))
	} else {
		b.Delete(stagedCtKey(recordID, version, h))
		b.Delete(stagedKeyKey(recordID, version, h))
	}
	return s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// ListVersions calls fn with each stored version (not a staged upload),
// in key order, until fn returns false. It reads the data key entries
// only.
func (s *Store) ListVersions(fn func(recordID string, version uint64) bool) error {
	const pfx = prefix + "dk/"
	it := s.db.NewIterator(util.BytesPrefix([]byte(pfx)), nil)
	defer it.Release()
	for it.Next() {
		k := string(it.Key()[len(pfx):])
		if isStaged(k) {
			continue
		}
		id, v, err := splitVersion(k)
		if err != nil {
			return err
		}
		if has, err := s.Has(id, v); err != nil {
			return err
		} else if !has {
			continue // a staged upload's
		}
		if !fn(id, v) {
			break
		}
	}
	return it.Error()
}

// isStaged reports whether a ct/ or dk/ key (after that prefix) names a
// staged upload beside a version's own entries: it ends in a 64-digit
// hex hash, which no version number has.
func isStaged(k string) bool {
	i := strings.LastIndexByte(k, '/')
	if i < 0 || len(k)-i-1 != 2*sha256.Size {
		return false
	}
	if _, err := hex.DecodeString(k[i+1:]); err != nil {
		return false
	}
	_, _, err := splitVersion(k[:i])
	return err == nil
}

// Drop destroys a stored version that the ledger does not register (left
// by an upload before uploads were staged). The record id stays free.
func (s *Store) Drop(recordID string, version uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := new(leveldb.Batch)
	b.Delete(ctKey(recordID, version))
	b.Delete(keyKey(recordID, version))
	return s.db.Write(b, &opt.WriteOptions{Sync: true})
}

// Has reports whether the ciphertext of a version is stored: put, or
// promoted by its registration (a staged upload does not count).
func (s *Store) Has(recordID string, version uint64) (bool, error) {
	ok, err := s.db.Has(ctKey(recordID, version), nil)
	if err != nil || !ok {
		return false, err
	}
	staged, err := s.stagedOf(recordID, version)
	if err != nil {
		return false, err
	}
	_, mainStaged := staged.main()
	return !mainStaged, nil
}

// Release returns the sealed ciphertext whose hash is h, stored as the
// version or staged for it (a registration whose block this node applied
// but has not yet promoted), and its data key wrapped for reader (HPKE to
// readerPub, bound to record, version and reader). The caller has checked
// that the reader may read it. A stored version with another hash is an
// integrity failure (ErrMismatch): the ledger names h.
func (s *Store) Release(recordID string, version uint64, h [32]byte, readerID string, readerPub []byte) (sealed, wrapped []byte, err error) {
	if err := s.notErased(recordID); err != nil {
		return nil, nil, err
	}
	sealed, err = s.db.Get(ctKey(recordID, version), nil)
	var mine []byte
	switch {
	case err == nil && sha256.Sum256(sealed) == h:
		mine, err = s.db.Get(keyKey(recordID, version), nil)
	case err == nil || errors.Is(err, leveldb.ErrNotFound):
		other := err == nil
		sealed, err = s.db.Get(stagedCtKey(recordID, version, h), nil)
		if errors.Is(err, leveldb.ErrNotFound) {
			if other {
				return nil, nil, fmt.Errorf("%w: the stored ciphertext of %q version %d does not have the hash %x", ErrMismatch, recordID, version, h)
			}
			return nil, nil, fmt.Errorf("%w: %q version %d", ErrNotFound, recordID, version)
		}
		if err == nil {
			mine, err = s.db.Get(stagedKeyKey(recordID, version, h), nil)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("privatestore: %q version %d: %w", recordID, version, err)
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

// Erase destroys every version's ciphertext and data key of a record,
// staged uploads included, and records that it was erased. It reports how
// many versions' own entries it destroyed.
func (s *Store) Erase(recordID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := new(leveldb.Batch)
	n := 0
	for _, p := range []string{prefix + "ct/" + recordID + "/", prefix + "dk/" + recordID + "/", prefix + "up/" + recordID + "/"} {
		it := s.db.NewIterator(util.BytesPrefix([]byte(p)), nil)
		for it.Next() {
			b.Delete(append([]byte(nil), it.Key()...))
			if p[len(prefix):len(prefix)+2] == "ct" && !strings.Contains(string(it.Key()[len(p):]), "/") {
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
