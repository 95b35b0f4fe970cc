package consensus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/privacy/integrity"
)

// ErrCorrupt is wrapped (use errors.Is) by every error that reports raft
// storage on disk that cannot be decoded or is inconsistent: undecodable
// records, malformed keys, gaps in the log, a snapshot or commit index that
// does not fit the log. It is also wrapped around goleveldb's own
// corruption errors. It is integrity.ErrFailed. A Storage never panics on
// bad data.
var ErrCorrupt = integrity.New("consensus: corrupt raft storage")

var _ raft.Storage = (*Storage)(nil)

// Key suffixes, appended to the prefix given to OpenStorage.
const (
	keyHardState = "hs"      // raftpb.HardState
	keySnapshot  = "snap"    // raftpb.Snapshot
	keyCompact   = "compact" // logID of the log's base (see Storage)
	keyEntries   = "e/"      // + index (8 bytes, big-endian) -> raftpb.Entry
)

// fillChunk bounds the placeholder entries built at a time when the log's
// base lies above the snapshot (see rebuild).
const fillChunk = 4096

var syncWrite = &opt.WriteOptions{Sync: true}

// logID is the position of an entry: its index and term.
type logID struct{ index, term uint64 }

func (id logID) encode() []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], id.index)
	binary.BigEndian.PutUint64(b[8:], id.term)
	return b[:]
}

// Storage is a durable raft log kept in a goleveldb database that may be
// shared with other data; every key it reads or writes starts with the
// prefix given to OpenStorage. It implements raft.Storage.
//
// The whole persisted state is loaded into a raft.MemoryStorage when the
// Storage is opened, and reads are served from memory (the same arrangement
// as etcd's WAL plus MemoryStorage). Every mutation (Save, CreateSnapshot,
// Compact) is first written to the database in one synced batch and only
// then mirrored into memory, so memory never runs ahead of the disk and a
// failed write leaves the Storage unchanged.
//
// Thread-safety: Save, CreateSnapshot and Compact are meant to be called
// from the single goroutine that drives raft (they are also serialized
// internally). The raft.Storage methods may be called concurrently with
// each other and with the mutators. Between the steps of one Save a
// concurrent reader may observe the snapshot already applied but the
// entries not yet appended, exactly as with etcd's use of MemoryStorage;
// raft itself reads only from the goroutine that calls Save.
//
// On disk, besides the hard state, the snapshot and the entries, the
// Storage records the log's base: the index and term of the entry just
// before FirstIndex (raft.MemoryStorage's dummy entry). It differs from the
// snapshot's position after CreateSnapshot or Compact, and is needed to
// reopen with the same FirstIndex and Term(FirstIndex-1).
type Storage struct {
	db  *leveldb.DB
	mem *raft.MemoryStorage

	hsKey, snapKey, compactKey, entPrefix []byte

	wmu       sync.Mutex // serializes Save, CreateSnapshot and Compact
	snapIndex uint64     // index of mem's snapshot; guarded by wmu
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
	s := &Storage{
		db:         db,
		hsKey:      []byte(prefix + keyHardState),
		snapKey:    []byte(prefix + keySnapshot),
		compactKey: []byte(prefix + keyCompact),
		entPrefix:  []byte(prefix + keyEntries),
	}

	dbs, err := db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("consensus: open raft storage: %w", err)
	}
	defer dbs.Release()

	hs := new(raftpb.HardState)
	if ok, err := getProto(dbs, s.hsKey, hs); err != nil {
		return nil, err
	} else if !ok {
		hs = nil
	}

	snap := new(raftpb.Snapshot)
	if ok, err := getProto(dbs, s.snapKey, snap); err != nil {
		return nil, err
	} else if !ok {
		snap = nil
	} else if snap.GetMetadata().GetIndex() == 0 {
		return nil, fmt.Errorf("%w: snapshot at index 0", ErrCorrupt)
	}

	var base logID // absent: the log starts at index 1
	if v, ok, err := get(dbs, s.compactKey); err != nil {
		return nil, err
	} else if ok {
		if len(v) != 16 {
			return nil, fmt.Errorf("%w: log base record has %d bytes, want 16", ErrCorrupt, len(v))
		}
		base = logID{binary.BigEndian.Uint64(v[:8]), binary.BigEndian.Uint64(v[8:])}
	}

	ents, err := s.loadEntries(dbs, base)
	if err != nil {
		return nil, err
	}

	mem, err := rebuild(snap, base, ents)
	if err != nil {
		return nil, err
	}
	if !raft.IsEmptyHardState(hs) {
		// raft panics on a commit index outside [first-1, last].
		first, _ := mem.FirstIndex()
		last, _ := mem.LastIndex()
		if c := hs.GetCommit(); c < first-1 || c > last {
			return nil, fmt.Errorf("%w: hard state commit %d outside log [%d, %d]", ErrCorrupt, c, first-1, last)
		}
		if err := mem.SetHardState(hs); err != nil {
			return nil, fmt.Errorf("consensus: open raft storage: %w", err)
		}
	}
	s.mem = mem
	s.snapIndex = snap.GetMetadata().GetIndex()
	return s, nil
}

// loadEntries reads the persisted entries, which must be exactly the
// indexes base.index+1, base.index+2, ... with non-decreasing terms not
// below base.term.
func (s *Storage) loadEntries(dbs *leveldb.Snapshot, base logID) ([]*raftpb.Entry, error) {
	it := dbs.NewIterator(util.BytesPrefix(s.entPrefix), nil)
	defer it.Release()
	var ents []*raftpb.Entry
	next, prevTerm := base.index+1, base.term
	for it.Next() {
		k := it.Key()
		if len(k) != len(s.entPrefix)+8 {
			return nil, fmt.Errorf("%w: malformed entry key %q", ErrCorrupt, k)
		}
		idx := binary.BigEndian.Uint64(k[len(s.entPrefix):])
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

// rebuild reconstructs the MemoryStorage whose snapshot is snap (nil: none),
// whose dummy entry is base and whose entries are ents (starting at
// base.index+1), using only MemoryStorage's public methods.
func rebuild(snap *raftpb.Snapshot, base logID, ents []*raftpb.Entry) (*raft.MemoryStorage, error) {
	mem := raft.NewMemoryStorage()
	si, st := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
	if base.index == 0 && base.term != 0 {
		return nil, fmt.Errorf("%w: log base at index 0 has term %d", ErrCorrupt, base.term)
	}
	corrupt := func(err error) error {
		return fmt.Errorf("%w: rebuilding log: %w", ErrCorrupt, err)
	}
	switch {
	case base.index == si:
		// Fresh, or the last change of the log's base was a snapshot.
		if base.term != st {
			return nil, fmt.Errorf("%w: log base %d has term %d, snapshot term %d", ErrCorrupt, base.index, base.term, st)
		}
		if snap != nil {
			if err := mem.ApplySnapshot(snap); err != nil {
				return nil, corrupt(err)
			}
		}
		if err := mem.Append(ents); err != nil {
			return nil, corrupt(err)
		}

	case base.index > si:
		// Compacted beyond the snapshot. Apply the snapshot, then walk the
		// dummy entry up to the base with placeholder entries that Compact
		// discards again, keeping only the base's index and term.
		if snap != nil {
			if err := mem.ApplySnapshot(snap); err != nil {
				return nil, corrupt(err)
			}
		}
		for cur := si; cur < base.index; {
			n := min(base.index-cur, fillChunk)
			fill := make([]*raftpb.Entry, n)
			for j := range fill {
				fill[j] = &raftpb.Entry{Index: new(cur + 1 + uint64(j)), Term: new(base.term)}
			}
			if err := mem.Append(fill); err != nil {
				return nil, corrupt(err)
			}
			if err := mem.Compact(cur + n); err != nil {
				return nil, corrupt(err)
			}
			cur += n
		}
		if err := mem.Append(ents); err != nil {
			return nil, corrupt(err)
		}

	default: // base.index < si
		// The snapshot was made by CreateSnapshot above the log's base: set
		// the base with a metadata-only snapshot, append the entries, then
		// re-create the real snapshot from the log.
		cs := snap.GetMetadata().GetConfState()
		if base.index > 0 {
			meta := &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
				ConfState: proto.Clone(raftpb.EnsureConfState(cs)).(*raftpb.ConfState),
				Index:     new(base.index),
				Term:      new(base.term),
			}}
			if err := mem.ApplySnapshot(meta); err != nil {
				return nil, corrupt(err)
			}
		}
		if err := mem.Append(ents); err != nil {
			return nil, corrupt(err)
		}
		if last, _ := mem.LastIndex(); si > last {
			return nil, fmt.Errorf("%w: snapshot %d beyond last index %d", ErrCorrupt, si, last)
		}
		if t, err := mem.Term(si); err != nil {
			return nil, corrupt(err)
		} else if t != st {
			return nil, fmt.Errorf("%w: snapshot %d has term %d, the log has term %d", ErrCorrupt, si, st, t)
		}
		if _, err := mem.CreateSnapshot(si, raftpb.EnsureConfState(cs), snap.GetData()); err != nil {
			return nil, corrupt(err)
		}
	}
	return mem, nil
}

// Save persists what a raft Ready asks for: hs unless
// raft.IsEmptyHardState(hs), ents, and snap unless raft.IsEmptySnap(snap).
// It is what the Ready loop calls, before sending messages and applying
// committed entries: Save(rd.HardState, rd.Entries, rd.Snapshot).
//
// Everything is written in one goleveldb batch with Sync, so it becomes
// durable together or not at all. A snapshot replaces the whole log (as
// raft.MemoryStorage.ApplySnapshot does); entries overwrite any persisted
// entries from their first index on, and persisted entries above the last
// of them are deleted (raft may replace a conflicting suffix). Entries at
// or below the log's base are ignored. Only after the batch is durable is
// the same applied to memory: snapshot, then entries, then hard state.
//
// Save returns an error, and changes nothing, if the snapshot is not newer
// than the current one (wrapping raft.ErrSnapOutOfDate), if ents are not
// consecutive, leave a gap after the log, or decrease in term, if the hard
// state's commit index is beyond the resulting log, or if the write fails.
// Save does not modify its arguments. It copies hs and snap's metadata but
// keeps the entries and snap's data as given: like raft's Ready contents,
// they must not be mutated afterwards.
func (s *Storage) Save(hs *raftpb.HardState, ents []*raftpb.Entry, snap *raftpb.Snapshot) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()

	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	baseIndex := first - 1
	b := new(leveldb.Batch)

	var newSnap *raftpb.Snapshot
	if !raft.IsEmptySnap(snap) {
		si, st := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
		if s.snapIndex != 0 && si <= s.snapIndex {
			return fmt.Errorf("consensus: save snapshot %d (have %d): %w", si, s.snapIndex, raft.ErrSnapOutOfDate)
		}
		newSnap = normalizeSnapshot(snap)
		v, err := proto.Marshal(newSnap)
		if err != nil {
			return fmt.Errorf("consensus: save snapshot %d: %w", si, err)
		}
		b.Put(s.snapKey, v)
		s.deleteEntries(b, baseIndex+1, last)
		b.Put(s.compactKey, logID{si, st}.encode())
		baseIndex, last = si, si
	}

	var app []*raftpb.Entry
	if len(ents) > 0 {
		fi := ents[0].GetIndex()
		for i, e := range ents {
			if e.GetIndex() != fi+uint64(i) {
				return fmt.Errorf("consensus: save: entry %d has index %d, want %d", i, e.GetIndex(), fi+uint64(i))
			}
			if i > 0 && e.GetTerm() < ents[i-1].GetTerm() {
				return fmt.Errorf("consensus: save: entry %d has term %d below the previous term %d", e.GetIndex(), e.GetTerm(), ents[i-1].GetTerm())
			}
		}
		if fi > last+1 {
			return fmt.Errorf("consensus: save: entries start at %d but the log ends at %d", fi, last)
		}
		li := fi + uint64(len(ents)) - 1
		if li > baseIndex {
			app = ents
			if fi <= baseIndex {
				app = ents[baseIndex+1-fi:]
			}
			a := app[0].GetIndex()
			var prevTerm uint64
			if newSnap != nil {
				prevTerm = newSnap.GetMetadata().GetTerm() // a-1 == baseIndex == snapshot index
			} else {
				t, err := s.mem.Term(a - 1)
				if err != nil {
					return fmt.Errorf("consensus: save: term of entry %d: %w", a-1, err)
				}
				prevTerm = t
			}
			if t := app[0].GetTerm(); t < prevTerm {
				return fmt.Errorf("consensus: save: entry %d has term %d below the previous term %d", a, t, prevTerm)
			}
			for _, e := range app {
				v, err := proto.Marshal(e)
				if err != nil {
					return fmt.Errorf("consensus: save entry %d: %w", e.GetIndex(), err)
				}
				b.Put(s.entryKey(e.GetIndex()), v)
			}
			s.deleteEntries(b, li+1, last)
			last = li
		}
	}

	var newHS *raftpb.HardState
	if !raft.IsEmptyHardState(hs) {
		if c := hs.GetCommit(); c > last {
			return fmt.Errorf("consensus: save: hard state commit %d beyond last index %d", c, last)
		}
		newHS = proto.Clone(hs).(*raftpb.HardState)
		v, err := proto.Marshal(newHS)
		if err != nil {
			return fmt.Errorf("consensus: save hard state: %w", err)
		}
		b.Put(s.hsKey, v)
	}

	if b.Len() == 0 {
		return nil
	}
	if err := s.db.Write(b, syncWrite); err != nil {
		return fmt.Errorf("consensus: save: %w", err)
	}

	// Durable: mirror into memory. The checks above make these infallible.
	if newSnap != nil {
		if err := s.mem.ApplySnapshot(newSnap); err != nil {
			return fmt.Errorf("consensus: save: memory out of sync with disk: %w", err)
		}
		s.snapIndex = newSnap.GetMetadata().GetIndex()
	}
	if err := s.mem.Append(app); err != nil {
		return fmt.Errorf("consensus: save: memory out of sync with disk: %w", err)
	}
	if newHS != nil {
		if err := s.mem.SetHardState(newHS); err != nil {
			return fmt.Errorf("consensus: save: memory out of sync with disk: %w", err)
		}
	}
	return nil
}

// CreateSnapshot records a snapshot of the applied state at index i, which
// must lie in [FirstIndex()-1, LastIndex()] and above the current
// snapshot's index; cs is the ConfState at i (nil keeps the current
// snapshot's ConfState) and data the application's snapshot. Like
// raft.MemoryStorage.CreateSnapshot it does not compact the log: call
// Compact for that. The snapshot is written with Sync before memory is
// updated, and returned.
//
// Errors: raft.ErrSnapOutOfDate if i is not above the current snapshot,
// raft.ErrCompacted if i is below the log's base, raft.ErrUnavailable if i
// is beyond the last index (all wrapped), or a write error.
func (s *Storage) CreateSnapshot(i uint64, cs *raftpb.ConfState, data []byte) (*raftpb.Snapshot, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()

	if i <= s.snapIndex {
		return nil, fmt.Errorf("consensus: create snapshot %d (have %d): %w", i, s.snapIndex, raft.ErrSnapOutOfDate)
	}
	if last, _ := s.mem.LastIndex(); i > last {
		return nil, fmt.Errorf("consensus: create snapshot %d beyond last index %d: %w", i, last, raft.ErrUnavailable)
	}
	term, err := s.mem.Term(i)
	if err != nil {
		return nil, fmt.Errorf("consensus: create snapshot %d: %w", i, err)
	}
	next, err := s.mem.Snapshot() // a copy
	if err != nil {
		return nil, fmt.Errorf("consensus: create snapshot %d: %w", i, err)
	}
	next.Data = data
	next.Metadata.Index = new(i)
	next.Metadata.Term = new(term)
	if cs != nil {
		next.Metadata.ConfState = raftpb.EnsureConfState(proto.Clone(cs).(*raftpb.ConfState))
	}
	v, err := proto.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("consensus: create snapshot %d: %w", i, err)
	}
	if err := s.db.Put(s.snapKey, v, syncWrite); err != nil {
		return nil, fmt.Errorf("consensus: create snapshot %d: %w", i, err)
	}
	snap, err := s.mem.CreateSnapshot(i, next.Metadata.ConfState, data)
	if err != nil {
		return nil, fmt.Errorf("consensus: create snapshot %d: memory out of sync with disk: %w", i, err)
	}
	s.snapIndex = i
	return snap, nil
}

// Compact discards the entries below index, which becomes the log's base:
// afterwards FirstIndex() is index+1 and Term(index) still answers, as with
// raft.MemoryStorage.Compact. index must not exceed the applied index (the
// caller's responsibility, as with MemoryStorage). The deletion is written
// with Sync before memory is updated.
//
// Errors: raft.ErrCompacted if index is not above the current base,
// raft.ErrUnavailable if index is beyond the last index (both wrapped), or
// a write error.
func (s *Storage) Compact(index uint64) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()

	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	if index < first {
		return fmt.Errorf("consensus: compact %d: %w", index, raft.ErrCompacted)
	}
	if index > last {
		return fmt.Errorf("consensus: compact %d beyond last index %d: %w", index, last, raft.ErrUnavailable)
	}
	term, err := s.mem.Term(index)
	if err != nil {
		return fmt.Errorf("consensus: compact %d: %w", index, err)
	}
	b := new(leveldb.Batch)
	s.deleteEntries(b, first, index)
	b.Put(s.compactKey, logID{index, term}.encode())
	if err := s.db.Write(b, syncWrite); err != nil {
		return fmt.Errorf("consensus: compact %d: %w", index, err)
	}
	if err := s.mem.Compact(index); err != nil {
		return fmt.Errorf("consensus: compact %d: memory out of sync with disk: %w", index, err)
	}
	return nil
}

// InitialState implements raft.Storage: the saved HardState (nil if none)
// and the ConfState of the current snapshot. Safe for concurrent use. The
// returned values must not be mutated.
func (s *Storage) InitialState() (*raftpb.HardState, *raftpb.ConfState, error) {
	// MemoryStorage.InitialState does not take the MemoryStorage's lock
	// (the other methods do), so take it here.
	s.mem.Lock()
	defer s.mem.Unlock()
	return s.mem.InitialState()
}

// Entries implements raft.Storage: the entries in [lo, hi), limited to
// about maxSize bytes but at least one. Safe for concurrent use. The
// entries must not be mutated.
func (s *Storage) Entries(lo, hi, maxSize uint64) ([]*raftpb.Entry, error) {
	return s.mem.Entries(lo, hi, maxSize)
}

// Term implements raft.Storage: the term of entry i, for i in
// [FirstIndex()-1, LastIndex()]. Safe for concurrent use.
func (s *Storage) Term(i uint64) (uint64, error) {
	return s.mem.Term(i)
}

// LastIndex implements raft.Storage. Safe for concurrent use.
func (s *Storage) LastIndex() (uint64, error) {
	return s.mem.LastIndex()
}

// FirstIndex implements raft.Storage: the index of the first entry that
// Entries may return (the log's base plus one). Safe for concurrent use.
func (s *Storage) FirstIndex() (uint64, error) {
	return s.mem.FirstIndex()
}

// Snapshot implements raft.Storage: a copy of the most recent snapshot.
// Safe for concurrent use.
func (s *Storage) Snapshot() (*raftpb.Snapshot, error) {
	return s.mem.Snapshot()
}

func (s *Storage) entryKey(i uint64) []byte {
	k := make([]byte, len(s.entPrefix)+8)
	copy(k, s.entPrefix)
	binary.BigEndian.PutUint64(k[len(s.entPrefix):], i)
	return k
}

// deleteEntries adds deletions of the entries in [from, to] to b.
func (s *Storage) deleteEntries(b *leveldb.Batch, from, to uint64) {
	if from > to {
		return
	}
	for i := from; ; i++ {
		b.Delete(s.entryKey(i))
		if i == to {
			return
		}
	}
}

// normalizeSnapshot returns a copy of snap's metadata with every field set
// (as raft.MemoryStorage would make it), sharing snap's data, so that what
// is persisted equals what memory holds and snap itself is not modified.
func normalizeSnapshot(snap *raftpb.Snapshot) *raftpb.Snapshot {
	md := snap.GetMetadata()
	var cs *raftpb.ConfState
	if c := md.GetConfState(); c != nil {
		cs = proto.Clone(c).(*raftpb.ConfState)
	}
	return &raftpb.Snapshot{
		Data: snap.GetData(),
		Metadata: &raftpb.SnapshotMetadata{
			ConfState: raftpb.EnsureConfState(cs),
			Index:     new(md.GetIndex()),
			Term:      new(md.GetTerm()),
		},
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
