package consensus

import (
	"encoding/binary"
	"fmt"
	"sync"

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

// fillChunk bounds the placeholder entries built at a time when the log's
// base lies above the snapshot (see rebuild).
const fillChunk = 4096

// logID is the position of an entry: its index and term.
type logID struct{ index, term uint64 }

func (id logID) encode() []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], id.index)
	binary.BigEndian.PutUint64(b[8:], id.term)
	return b[:]
}

// Storage is a durable raft log. It implements raft.Storage. Its bytes
// live in one of two backends: a segment log of its own in a folder
// (OpenLog, seglog.go: what the node uses) or, as before it, a goleveldb
// database shared with other data under a key prefix (OpenStorage,
// dbstore.go: what older node homes and backup archives hold, read to
// migrate them).
//
// The whole persisted state is loaded into a raft.MemoryStorage when the
// Storage is opened, and reads are served from memory (the same arrangement
// as etcd's WAL plus MemoryStorage). Every mutation (Save, CreateSnapshot,
// Compact) is first written durably (fsynced) and only then mirrored into
// memory, so memory never runs ahead of the disk and a failed write leaves
// the Storage unchanged.
//
// Thread-safety: Save, CreateSnapshot and Compact are meant to be called
// from the single goroutine that drives raft (they are also serialized
// internally). The raft.Storage methods may be called concurrently with
// each other and with the mutators. Between the steps of one Save a
// concurrent reader may observe the snapshot already applied but the
// entries not yet appended, exactly as with etcd's use of MemoryStorage;
// raft itself reads only from the goroutine that calls Save.
//
// Besides the hard state, the snapshot and the entries, the Storage
// records the log's base: the index and term of the entry just before
// FirstIndex (raft.MemoryStorage's dummy entry). It differs from the
// snapshot's position after CreateSnapshot or Compact, and is needed to
// reopen with the same FirstIndex and Term(FirstIndex-1).
type Storage struct {
	be  backend
	mem *raft.MemoryStorage

	wmu       sync.Mutex // serializes Save, CreateSnapshot, Compact and Export
	snapIndex uint64     // index of mem's snapshot; guarded by wmu
}

// backend is where a Storage's changes become durable.
type backend interface {
	// persist writes c durably (fsynced) before it returns nil.
	persist(c *change) error
	close() error
}

// change is one mutation of the Storage, already checked against it.
type change struct {
	// snap is Save's snapshot: it replaces the log, whose base becomes
	// the snapshot's position.
	snap *raftpb.Snapshot
	// created is CreateSnapshot's snapshot: the log is kept.
	created *raftpb.Snapshot
	// compact is Compact's new log base.
	compact *logID
	// ents are appended after the rest of the change, replacing every
	// persisted entry from ents[0]'s index on.
	ents []*raftpb.Entry
	hs   *raftpb.HardState
	// dels are the ranges [from, to] of persisted entries the change
	// removes (the segment log's records imply them).
	dels [][2]uint64
}

// loaded is a backend's persisted state, as read when it is opened: the
// hard state and the snapshot (nil when none), the log's base and the
// entries from base.index+1 on.
type loaded struct {
	hs   *raftpb.HardState
	snap *raftpb.Snapshot
	base logID
	ents []*raftpb.Entry
}

// newStorage checks what be holds (l) and mirrors it into memory.
func newStorage(be backend, l *loaded) (*Storage, error) {
	if l.snap != nil && l.snap.GetMetadata().GetIndex() == 0 {
		return nil, fmt.Errorf("%w: snapshot at index 0", ErrCorrupt)
	}
	mem, err := rebuild(l.snap, l.base, l.ents)
	if err != nil {
		return nil, err
	}
	if !raft.IsEmptyHardState(l.hs) {
		// raft panics on a commit index outside [first-1, last].
		first, _ := mem.FirstIndex()
		last, _ := mem.LastIndex()
		if c := l.hs.GetCommit(); c < first-1 || c > last {
			return nil, fmt.Errorf("%w: hard state commit %d outside log [%d, %d]", ErrCorrupt, c, first-1, last)
		}
		if err := mem.SetHardState(l.hs); err != nil {
			return nil, fmt.Errorf("consensus: open raft storage: %w", err)
		}
	}
	return &Storage{be: be, mem: mem, snapIndex: l.snap.GetMetadata().GetIndex()}, nil
}

// Close closes the Storage's files (a segment log's; a database given to
// OpenStorage stays open). The Storage must not be used afterwards.
func (s *Storage) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.be.close()
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
// Everything is written in one fsynced write (a goleveldb batch, or one
// batch record of the segment log), so it becomes durable together or not
// at all. A snapshot replaces the whole log (as
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
	c := new(change)

	var newSnap *raftpb.Snapshot
	if !raft.IsEmptySnap(snap) {
		si := snap.GetMetadata().GetIndex()
		if s.snapIndex != 0 && si <= s.snapIndex {
			return fmt.Errorf("consensus: save snapshot %d (have %d): %w", si, s.snapIndex, raft.ErrSnapOutOfDate)
		}
		newSnap = normalizeSnapshot(snap)
		c.snap = newSnap
		c.dels = append(c.dels, [2]uint64{baseIndex + 1, last})
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
			c.ents = app
			c.dels = append(c.dels, [2]uint64{li + 1, last})
			last = li
		}
	}

	var newHS *raftpb.HardState
	if !raft.IsEmptyHardState(hs) {
		if c := hs.GetCommit(); c > last {
			return fmt.Errorf("consensus: save: hard state commit %d beyond last index %d", c, last)
		}
		newHS = proto.Clone(hs).(*raftpb.HardState)
		c.hs = newHS
	}

	if c.snap == nil && len(c.ents) == 0 && c.hs == nil {
		return nil
	}
	if err := s.be.persist(c); err != nil {
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
	if err := s.be.persist(&change{created: next}); err != nil {
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
	c := &change{compact: &logID{index, term}, dels: [][2]uint64{{first, index}}}
	if err := s.be.persist(c); err != nil {
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
