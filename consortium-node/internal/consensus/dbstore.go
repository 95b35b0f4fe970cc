package consensus

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The raft storage in a goleveldb database shared with other data, under
// a key prefix: where node homes made before the segment log (seglog.go)
// keep it, and the layout of the raft records in a backup archive.
// OpenStorage reads and writes it; MigrateToLog moves it into a segment
// log; (*Storage).Export writes any Storage in this layout.

// Key suffixes, appended to the prefix given to OpenStorage.
const (
	keyHardState = "hs"      // raftpb.HardState
	keySnapshot  = "snap"    // raftpb.Snapshot
	keyCompact   = "compact" // logID of the log's base (see Storage)
	keyEntries   = "e/"      // + index (8 bytes, big-endian) -> raftpb.Entry
)

var syncWrite = &opt.WriteOptions{Sync: true}

// dbBackend keeps a Storage in a goleveldb database under a prefix.
type dbBackend struct {
	db                                    *leveldb.DB
	hsKey, snapKey, compactKey, entPrefix []byte
}

func newDBBackend(db *leveldb.DB, prefix string) *dbBackend {
	return &dbBackend{
		db:         db,
		hsKey:      []byte(prefix + keyHardState),
		snapKey:    []byte(prefix + keySnapshot),
		compactKey: []byte(prefix + keyCompact),
		entPrefix:  []byte(prefix + keyEntries),
	}
}

// OpenStorage loads the raft storage kept under prefix in db. An empty
// database gives an empty Storage (FirstIndex 1, LastIndex 0, empty hard
// state and snapshot). prefix must be non-empty and must not be a prefix
// of keys written by other users of db. The Storage does not own db: the
// caller closes it, after it has stopped using the Storage.
//
// Data that cannot be decoded or is inconsistent gives an error wrapping
// ErrCorrupt.
func OpenStorage(db *leveldb.DB, prefix string) (*Storage, error) {
	if db == nil {
		return nil, errors.New("consensus: open raft storage: nil database")
	}
	if prefix == "" {
		return nil, errors.New("consensus: open raft storage: empty key prefix")
	}
	be := newDBBackend(db, prefix)
	dbs, err := db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("consensus: open raft storage: %w", err)
	}
	defer dbs.Release()
	l, err := be.load(dbs)
	if err != nil {
		return nil, err
	}
	return newStorage(be, l)
}

func (be *dbBackend) load(dbs *leveldb.Snapshot) (*loaded, error) {
	l := &loaded{hs: new(raftpb.HardState), snap: new(raftpb.Snapshot)}
	if ok, err := getProto(dbs, be.hsKey, l.hs); err != nil {
		return nil, err
	} else if !ok {
		l.hs = nil
	}
	if ok, err := getProto(dbs, be.snapKey, l.snap); err != nil {
		return nil, err
	} else if !ok {
		l.snap = nil
	}
	if v, ok, err := get(dbs, be.compactKey); err != nil {
		return nil, err
	} else if ok { // absent: the log starts at index 1
		if l.base, err = decodeLogID(v); err != nil {
			return nil, err
		}
	}
	var err error
	l.ents, err = be.loadEntries(dbs, l.base)
	return l, err
}

func decodeLogID(v []byte) (logID, error) {
	if len(v) != 16 {
		return logID{}, fmt.Errorf("%w: log base record has %d bytes, want 16", ErrCorrupt, len(v))
	}
	return logID{binary.BigEndian.Uint64(v[:8]), binary.BigEndian.Uint64(v[8:])}, nil
}

// loadEntries reads the persisted entries, which must be exactly the
// indexes base.index+1, base.index+2, ... with non-decreasing terms not
// below base.term.
func (be *dbBackend) loadEntries(dbs *leveldb.Snapshot, base logID) ([]*raftpb.Entry, error) {
	it := dbs.NewIterator(util.BytesPrefix(be.entPrefix), nil)
	defer it.Release()
	var ents []*raftpb.Entry
	next, prevTerm := base.index+1, base.term
	for it.Next() {
		k := it.Key()
		if len(k) != len(be.entPrefix)+8 {
			return nil, fmt.Errorf("%w: malformed entry key %q", ErrCorrupt, k)
		}
		idx := binary.BigEndian.Uint64(k[len(be.entPrefix):])
		if idx != next {
			return nil, fmt.Errorf("%w: log has entry %d where %d was expected (base %d)", ErrCorrupt, idx, next, base.index)
		}
		e := new(raftpb.Entry)
		if err := proto.Unmarshal(it.Value(), e); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrCorrupt, idx, err)
		}
		if e.GetIndex() != idx {
			return nil, fmt.Errorf("%w: entry stored at %d has index %d", ErrCorrupt, idx, e.GetIndex())
		}
		if e.GetTerm() < prevTerm {
			return nil, fmt.Errorf("%w: entry %d has term %d below the previous term %d", ErrCorrupt, idx, e.GetTerm(), prevTerm)
		}
		ents = append(ents, e)
		next, prevTerm = next+1, e.GetTerm()
	}
	if err := it.Error(); err != nil {
		return nil, readErr("entries", err)
	}
	return ents, nil
}

// persist writes c as one synced batch.
func (be *dbBackend) persist(c *change) error {
	b := new(leveldb.Batch)
	for _, d := range c.dels {
		be.deleteEntries(b, d[0], d[1])
	}
	if c.snap != nil {
		v, err := proto.Marshal(c.snap)
		if err != nil {
			return err
		}
		b.Put(be.snapKey, v)
		md := c.snap.GetMetadata()
		b.Put(be.compactKey, logID{md.GetIndex(), md.GetTerm()}.encode())
	}
	if c.created != nil {
		v, err := proto.Marshal(c.created)
		if err != nil {
			return err
		}
		b.Put(be.snapKey, v)
	}
	if c.compact != nil {
		b.Put(be.compactKey, c.compact.encode())
	}
	for _, e := range c.ents {
		v, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("entry %d: %w", e.GetIndex(), err)
		}
		b.Put(be.entryKey(e.GetIndex()), v)
	}
	if c.hs != nil {
		v, err := proto.Marshal(c.hs)
		if err != nil {
			return err
		}
		b.Put(be.hsKey, v)
	}
	return be.db.Write(b, syncWrite)
}

func (be *dbBackend) close() error { return nil }

func (be *dbBackend) entryKey(i uint64) []byte {
	k := make([]byte, len(be.entPrefix)+8)
	copy(k, be.entPrefix)
	binary.BigEndian.PutUint64(k[len(be.entPrefix):], i)
	return k
}

// deleteEntries adds deletions of the entries in [from, to] to b.
func (be *dbBackend) deleteEntries(b *leveldb.Batch, from, to uint64) {
	if from > to {
		return
	}
	for i := from; ; i++ {
		b.Delete(be.entryKey(i))
		if i == to {
			return
		}
	}
}

func get(dbs *leveldb.Snapshot, key []byte) ([]byte, bool, error) {
	v, err := dbs.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, readErr(string(key), err)
	}
	return v, true, nil
}

func getProto(dbs *leveldb.Snapshot, key []byte, m proto.Message) (bool, error) {
	v, ok, err := get(dbs, key)
	if err != nil || !ok {
		return false, err
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return false, fmt.Errorf("%w: %s: %w", ErrCorrupt, key, err)
	}
	return true, nil
}

// readErr wraps a goleveldb read error, adding ErrCorrupt when goleveldb
// reports corruption.
func readErr(what string, err error) error {
	if lerrors.IsCorrupted(err) {
		return fmt.Errorf("%w: reading %s: %w", ErrCorrupt, what, err)
	}
	return fmt.Errorf("consensus: reading raft storage %s: %w", what, err)
}
