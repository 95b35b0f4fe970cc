package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// View is a copy of a Storage's persisted state at one instant (Capture):
// what a backup archives and a migration moves.
type View struct {
	hs   *raftpb.HardState // nil: empty
	snap *raftpb.Snapshot  // nil: none
	base logID
	ents []*raftpb.Entry
}

// Capture copies the Storage's state with no change in between; during,
// if not nil, runs while no change can happen (a backup takes its
// database snapshot there, so that the two are one instant). Entries are
// shared, not copied: they are never mutated.
func (s *Storage) Capture(during func() error) (*View, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	v := &View{}
	hs, _, _ := s.InitialState()
	if !raft.IsEmptyHardState(hs) {
		v.hs = proto.Clone(hs).(*raftpb.HardState)
	}
	if snap, _ := s.mem.Snapshot(); !raft.IsEmptySnap(snap) {
		v.snap = snap
	}
	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	t, err := s.mem.Term(first - 1)
	if err != nil {
		return nil, fmt.Errorf("consensus: capture: %w", err)
	}
	v.base = logID{first - 1, t}
	if last >= first {
		ents, err := s.mem.Entries(first, last+1, math.MaxUint64)
		if err != nil {
			return nil, fmt.Errorf("consensus: capture: %w", err)
		}
		v.ents = append([]*raftpb.Entry(nil), ents...)
	}
	if during != nil {
		if err := during(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Export writes the view as database records under prefix (the layout
// OpenStorage reads: dbstore.go), in ascending key order, to put.
func (v *View) Export(prefix string, put func(key, value []byte) error) error {
	if v.base != (logID{}) {
		if err := put([]byte(prefix+keyCompact), v.base.encode()); err != nil {
			return err
		}
	}
	be := newDBBackend(nil, prefix)
	for _, e := range v.ents {
		b, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("consensus: export entry %d: %w", e.GetIndex(), err)
		}
		if err := put(be.entryKey(e.GetIndex()), b); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		key string
		m   proto.Message
		ok  bool
	}{{keyHardState, v.hs, v.hs != nil}, {keySnapshot, v.snap, v.snap != nil}} {
		if !r.ok {
			continue
		}
		b, err := proto.Marshal(r.m)
		if err != nil {
			return fmt.Errorf("consensus: export: %w", err)
		}
		if err := put([]byte(prefix+r.key), b); err != nil {
			return err
		}
	}
	return nil
}

// same reports whether two views hold the same log: hard state,
// snapshot position, base and the last entry's position.
func (v *View) same(w *View) bool {
	a, _ := deterministic.Marshal(v.hs)
	b, _ := deterministic.Marshal(w.hs)
	lastID := func(x *View) logID {
		if len(x.ents) == 0 {
			return x.base
		}
		e := x.ents[len(x.ents)-1]
		return logID{e.GetIndex(), e.GetTerm()}
	}
	vm, wm := v.snap.GetMetadata(), w.snap.GetMetadata()
	return bytes.Equal(a, b) && vm.GetIndex() == wm.GetIndex() && vm.GetTerm() == wm.GetTerm() && v.base == w.base &&
		lastID(v) == lastID(w)
}

// MigrateToLog moves the raft storage kept under prefix in db — a node
// home made before the segment log, or a restored backup — into a segment
// log in dir, and reports whether there was one to move. The log is
// written in full beside dir, fsynced and renamed into place; only then
// are the database's raft records deleted (one synced batch). A crash at
// any point leaves either the records alone (moved again next time) or
// both the complete log and the records, which MigrateToLog then finds
// equal and deletes. A log in dir that differs from the records in db is
// an error wrapping ErrCorrupt: neither is taken over the other.
func MigrateToLog(db *leveldb.DB, prefix, dir string) (bool, error) {
	if prefix == "" {
		return false, errors.New("consensus: migrate raft storage: empty key prefix")
	}
	it := db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	has := it.Next()
	it.Release()
	if err := it.Error(); err != nil {
		return false, readErr("raft records", err)
	}
	if !has {
		return false, nil
	}
	old, err := OpenStorage(db, prefix)
	if err != nil {
		return false, err
	}
	ov, err := old.Capture(nil)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(dir); err == nil {
		lg, _, err := OpenLog(dir, LogOptions{ReadOnly: true})
		if err != nil {
			return false, err
		}
		lv, err := lg.Capture(nil)
		lg.Close()
		if err != nil {
			return false, err
		}
		if !lv.same(ov) {
			return false, fmt.Errorf("%w: the raft log %s and the raft records in the database (under %q) differ; "+
				"a node home holds one of them", ErrCorrupt, dir, prefix)
		}
	} else if err := writeLog(dir, ov); err != nil {
		return false, err
	}
	b := new(leveldb.Batch)
	it = db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return false, readErr("raft records", err)
	}
	if err := db.Write(b, syncWrite); err != nil {
		return false, fmt.Errorf("consensus: deleting the migrated raft records: %w", err)
	}
	return true, nil
}

// writeLog writes a new segment log holding v into dir (which must not
// exist): in a folder beside it, fsynced, then renamed into place.
func writeLog(dir string, v *View) error {
	tmp := filepath.Clean(dir) + ".migrating"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("consensus: %w", err)
	}
	st, err := encodeState(v.hs, v.snap, v.base)
	if err != nil {
		return err
	}
	buf := appendRecord(nil, recState, st)
	for _, e := range v.ents {
		if buf, err = appendProtoRecord(buf, recEntry, e); err != nil {
			return err
		}
	}
	name := filepath.Join(tmp, fmt.Sprintf("%016x%s", 1, segSuffix))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("consensus: writing the raft log: %w", err)
	}
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = syncDir(filepath.Dir(filepath.Clean(dir)))
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("consensus: writing the raft log: %w", err)
	}
	return nil
}
