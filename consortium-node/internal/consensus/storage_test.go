package consensus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"sync"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/privacy/integrity"
)

const testPrefix = "raft/"

// testDB is a goleveldb database in a temporary directory that can be
// closed and reopened.
//
// With log set it is a segment log (OpenLog) in that directory instead,
// with segments of segBytes (0: the default).
type testDB struct {
	t   *testing.T
	dir string
	db  *leveldb.DB

	log      bool
	segBytes int64
	cur      *Storage // the log's open Storage
}

// newTestLog returns a segment log in a temporary directory, with
// segments of segBytes.
func newTestLog(segBytes int64) func(t *testing.T) *testDB {
	return func(t *testing.T) *testDB {
		t.Helper()
		d := &testDB{t: t, dir: t.TempDir(), log: true, segBytes: segBytes}
		t.Cleanup(func() {
			if d.cur != nil {
				d.cur.Close()
			}
		})
		return d
	}
}

// forBackends runs test on a database backend and on segment logs (with
// default segments, and with a new segment at every write so that
// segments are released and replayed from after a gap).
func forBackends(t *testing.T, test func(t *testing.T, newTestDB func(*testing.T) *testDB)) {
	t.Run("leveldb", func(t *testing.T) { test(t, newTestDB) })
	t.Run("log", func(t *testing.T) { test(t, newTestLog(0)) })
	t.Run("log-tiny-segments", func(t *testing.T) { test(t, newTestLog(1)) })
}

func newTestDB(t *testing.T) *testDB {
	t.Helper()
	d := &testDB{t: t, dir: t.TempDir()}
	d.open()
	t.Cleanup(func() {
		if d.db != nil {
			d.db.Close()
		}
	})
	return d
}

func (d *testDB) open() {
	d.t.Helper()
	if d.log {
		return
	}
	db, err := leveldb.OpenFile(d.dir, &opt.Options{Strict: opt.StrictAll})
	if err != nil {
		d.t.Fatalf("open leveldb: %v", err)
	}
	d.db = db
}

func (d *testDB) close() {
	d.t.Helper()
	if d.log {
		if d.cur != nil {
			if err := d.cur.Close(); err != nil {
				d.t.Fatalf("close log: %v", err)
			}
		}
		return
	}
	if err := d.db.Close(); err != nil {
		d.t.Fatalf("close leveldb: %v", err)
	}
	d.db = nil
}

// reopen closes and reopens the database and opens the Storage again.
func (d *testDB) reopen() *Storage {
	d.t.Helper()
	d.close()
	d.open()
	return d.storage()
}

func (d *testDB) storage() *Storage {
	d.t.Helper()
	if d.log {
		s, _, err := OpenLog(d.dir, LogOptions{SegmentBytes: d.segBytes})
		if err != nil {
			d.t.Fatalf("OpenLog: %v", err)
		}
		d.cur = s
		return s
	}
	s, err := OpenStorage(d.db, testPrefix)
	if err != nil {
		d.t.Fatalf("OpenStorage: %v", err)
	}
	return s
}

func entry(index, term uint64) *raftpb.Entry {
	return &raftpb.Entry{
		Index: new(index),
		Term:  new(term),
		Type:  raftpb.EntryNormal.Enum(),
		Data:  fmt.Appendf(nil, "entry %d term %d", index, term),
	}
}

// entries returns entries lo..hi (inclusive) of the given term.
func entries(lo, hi, term uint64) []*raftpb.Entry {
	var es []*raftpb.Entry
	for i := lo; i <= hi; i++ {
		es = append(es, entry(i, term))
	}
	return es
}

func hardState(term, vote, commit uint64) *raftpb.HardState {
	return &raftpb.HardState{Term: new(term), Vote: new(vote), Commit: new(commit)}
}

func snapshot(index, term uint64, voters []uint64, data string) *raftpb.Snapshot {
	return &raftpb.Snapshot{
		Data: []byte(data),
		Metadata: &raftpb.SnapshotMetadata{
			Index:     new(index),
			Term:      new(term),
			ConfState: &raftpb.ConfState{Voters: voters},
		},
	}
}

func mustSave(t *testing.T, s *Storage, hs *raftpb.HardState, ents []*raftpb.Entry, snap *raftpb.Snapshot) {
	t.Helper()
	if err := s.Save(hs, ents, snap); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

// view is everything a raft.Storage exposes.
type view struct {
	first, last uint64
	baseTerm    uint64 // Term(first-1)
	terms       []uint64
	ents        []*raftpb.Entry
	hs          *raftpb.HardState
	cs          *raftpb.ConfState
	snap        *raftpb.Snapshot
}

func capture(t *testing.T, s raft.Storage) view {
	t.Helper()
	var v view
	var err error
	if v.first, err = s.FirstIndex(); err != nil {
		t.Fatalf("FirstIndex: %v", err)
	}
	if v.last, err = s.LastIndex(); err != nil {
		t.Fatalf("LastIndex: %v", err)
	}
	if v.baseTerm, err = s.Term(v.first - 1); err != nil {
		t.Fatalf("Term(%d): %v", v.first-1, err)
	}
	for i := v.first; i <= v.last; i++ {
		term, err := s.Term(i)
		if err != nil {
			t.Fatalf("Term(%d): %v", i, err)
		}
		v.terms = append(v.terms, term)
	}
	if v.last >= v.first {
		if v.ents, err = s.Entries(v.first, v.last+1, math.MaxUint64); err != nil {
			t.Fatalf("Entries(%d, %d): %v", v.first, v.last+1, err)
		}
	}
	if v.first > 1 {
		if _, err := s.Entries(v.first-1, v.last+1, math.MaxUint64); !errors.Is(err, raft.ErrCompacted) {
			t.Fatalf("Entries(%d, ...) = %v, want ErrCompacted", v.first-1, err)
		}
	}
	if _, err := s.Term(v.last + 1); !errors.Is(err, raft.ErrUnavailable) {
		t.Fatalf("Term(%d) = %v, want ErrUnavailable", v.last+1, err)
	}
	if v.hs, v.cs, err = s.InitialState(); err != nil {
		t.Fatalf("InitialState: %v", err)
	}
	if v.snap, err = s.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return v
}

func equalView(t *testing.T, got, want view) {
	t.Helper()
	if got.first != want.first || got.last != want.last || got.baseTerm != want.baseTerm {
		t.Errorf("first/last/Term(first-1) = %d/%d/%d, want %d/%d/%d",
			got.first, got.last, got.baseTerm, want.first, want.last, want.baseTerm)
	}
	if fmt.Sprint(got.terms) != fmt.Sprint(want.terms) {
		t.Errorf("terms = %v, want %v", got.terms, want.terms)
	}
	if len(got.ents) != len(want.ents) {
		t.Errorf("got %d entries, want %d", len(got.ents), len(want.ents))
	} else {
		for i := range got.ents {
			if !proto.Equal(got.ents[i], want.ents[i]) {
				t.Errorf("entry %d = %v, want %v", i, got.ents[i], want.ents[i])
			}
		}
	}
	if !proto.Equal(got.hs, want.hs) {
		t.Errorf("hard state = %v, want %v", got.hs, want.hs)
	}
	if !proto.Equal(got.cs, want.cs) {
		t.Errorf("conf state = %v, want %v", got.cs, want.cs)
	}
	if !proto.Equal(got.snap, want.snap) {
		t.Errorf("snapshot = %v, want %v", got.snap, want.snap)
	}
}

// onDisk reports which entry indexes in [lo, hi] have a key in db.
func onDisk(t *testing.T, db *leveldb.DB, lo, hi uint64) []uint64 {
	if db == nil { // a segment log: its records are replayed, not looked up
		return nil
	}
	t.Helper()
	var got []uint64
	for i := lo; i <= hi; i++ {
		ok, err := db.Has(entryKey(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, i)
		}
	}
	return got
}

func entryKey(i uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(testPrefix+keyEntries), i)
}

// TestReopen applies a sequence of operations, checks the resulting view,
// and checks that closing and reopening the database gives the same view.
func TestReopen(t *testing.T) { forBackends(t, testReopen) }

func testReopen(t *testing.T, newTestDB func(*testing.T) *testDB) {
	tests := []struct {
		name string
		ops  func(t *testing.T, s *Storage)
		// expected view after ops (and after reopen)
		first, last uint64
		baseTerm    uint64
		snapIndex   uint64
		commit      uint64
		// entry indexes that must be gone from disk
		gone []uint64
	}{
		{
			name:  "empty",
			ops:   func(t *testing.T, s *Storage) {},
			first: 1, last: 0,
		},
		{
			name: "append",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 3), entries(1, 5, 1), nil)
				mustSave(t, s, hardState(2, 1, 8), entries(6, 10, 2), nil)
			},
			first: 1, last: 10, commit: 8,
		},
		{
			name: "conflicting suffix",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 5), entries(1, 10, 1), nil)
				mustSave(t, s, hardState(2, 0, 5), entries(6, 8, 2), nil)
				if term, _ := s.Term(6); term != 2 {
					t.Errorf("Term(6) = %d, want 2", term)
				}
			},
			first: 1, last: 8, commit: 5, gone: []uint64{9, 10},
		},
		{
			name: "entries below the base are ignored",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, nil, nil, snapshot(5, 2, []uint64{1}, "s5"))
				mustSave(t, s, hardState(2, 1, 7), entries(3, 7, 2), nil)
			},
			first: 6, last: 7, baseTerm: 2, snapIndex: 5, commit: 7, gone: []uint64{3, 4, 5},
		},
		{
			name: "snapshot replaces the log",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 20, 1), nil)
				mustSave(t, s, hardState(3, 0, 15), entries(16, 17, 3), snapshot(15, 3, []uint64{1, 2, 3}, "state@15"))
			},
			first: 16, last: 17, baseTerm: 3, snapIndex: 15, commit: 15,
			gone: []uint64{1, 10, 15, 18, 20},
		},
		{
			name: "bootstrap snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, nil, nil, snapshot(1, 1, []uint64{1}, ""))
			},
			first: 2, last: 1, baseTerm: 1, snapIndex: 1,
		},
		{
			name: "create snapshot without compacting",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
				snap, err := s.CreateSnapshot(7, &raftpb.ConfState{Voters: []uint64{1}}, []byte("state@7"))
				if err != nil {
					t.Fatal(err)
				}
				if snap.GetMetadata().GetIndex() != 7 || snap.GetMetadata().GetTerm() != 1 {
					t.Errorf("CreateSnapshot = %v", snap)
				}
			},
			first: 1, last: 10, snapIndex: 7, commit: 10,
		},
		{
			name: "compact below the snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 4), entries(1, 4, 1), nil)
				mustSave(t, s, hardState(2, 1, 10), entries(5, 10, 2), nil)
				if _, err := s.CreateSnapshot(8, &raftpb.ConfState{Voters: []uint64{1, 2}}, []byte("state@8")); err != nil {
					t.Fatal(err)
				}
				if err := s.Compact(5); err != nil {
					t.Fatal(err)
				}
			},
			first: 6, last: 10, baseTerm: 2, snapIndex: 8, commit: 10, gone: []uint64{1, 5},
		},
		{
			name: "compact at the snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
				if _, err := s.CreateSnapshot(6, nil, []byte("state@6")); err != nil {
					t.Fatal(err)
				}
				if err := s.Compact(6); err != nil {
					t.Fatal(err)
				}
			},
			first: 7, last: 10, baseTerm: 1, snapIndex: 6, commit: 10, gone: []uint64{1, 6},
		},
		{
			name: "compact beyond the snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, nil, nil, snapshot(2, 1, []uint64{1}, "s2"))
				mustSave(t, s, hardState(3, 1, 6), entries(3, 6, 1), nil)
				mustSave(t, s, hardState(3, 1, 12), entries(7, 12, 3), nil)
				if err := s.Compact(9); err != nil {
					t.Fatal(err)
				}
			},
			first: 10, last: 12, baseTerm: 3, snapIndex: 2, commit: 12, gone: []uint64{3, 9},
		},
		{
			name: "compact without a snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
				if err := s.Compact(4); err != nil {
					t.Fatal(err)
				}
			},
			first: 5, last: 10, baseTerm: 1, commit: 10, gone: []uint64{1, 4},
		},
		{
			name: "compact far beyond the snapshot",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 3*fillChunk), entries(1, 3*fillChunk, 1), nil)
				if _, err := s.CreateSnapshot(10, nil, nil); err != nil {
					t.Fatal(err)
				}
				if err := s.Compact(2*fillChunk + 7); err != nil {
					t.Fatal(err)
				}
			},
			first: 2*fillChunk + 8, last: 3 * fillChunk, baseTerm: 1, snapIndex: 10, commit: 3 * fillChunk,
			gone: []uint64{1, 10, 2*fillChunk + 7},
		},
		{
			name: "compact everything",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
				if err := s.Compact(10); err != nil {
					t.Fatal(err)
				}
				mustSave(t, s, nil, entries(11, 12, 1), nil)
			},
			first: 11, last: 12, baseTerm: 1, commit: 10, gone: []uint64{10},
		},
		{
			name: "snapshot after compaction",
			ops: func(t *testing.T, s *Storage) {
				mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
				if err := s.Compact(8); err != nil {
					t.Fatal(err)
				}
				mustSave(t, s, hardState(4, 0, 30), nil, snapshot(30, 4, []uint64{1, 2, 3}, "s30"))
				mustSave(t, s, nil, entries(31, 33, 4), nil)
			},
			first: 31, last: 33, baseTerm: 4, snapIndex: 30, commit: 30, gone: []uint64{9, 10, 30},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDB(t)
			s := d.storage()
			tt.ops(t, s)

			before := capture(t, s)
			if before.first != tt.first || before.last != tt.last || before.baseTerm != tt.baseTerm {
				t.Fatalf("first/last/Term(first-1) = %d/%d/%d, want %d/%d/%d",
					before.first, before.last, before.baseTerm, tt.first, tt.last, tt.baseTerm)
			}
			if got := before.snap.GetMetadata().GetIndex(); got != tt.snapIndex {
				t.Errorf("snapshot index = %d, want %d", got, tt.snapIndex)
			}
			if got := before.hs.GetCommit(); got != tt.commit {
				t.Errorf("commit = %d, want %d", got, tt.commit)
			}
			for i, e := range before.ents {
				if e.GetIndex() != tt.first+uint64(i) || e.GetTerm() != before.terms[i] {
					t.Errorf("entry %d = %v (term %d)", i, e, before.terms[i])
				}
			}
			if got := onDisk(t, d.db, 0, tt.first-1); len(got) != 0 {
				t.Errorf("compacted entries still on disk: %v", got)
			}
			if got := onDisk(t, d.db, tt.last+1, tt.last+20); len(got) != 0 {
				t.Errorf("entries beyond the last index on disk: %v", got)
			}
			for _, i := range tt.gone {
				if got := onDisk(t, d.db, i, i); len(got) != 0 {
					t.Errorf("entry %d still on disk", i)
				}
			}

			after := capture(t, d.reopen())
			equalView(t, after, before)
		})
	}
}

// TestConflictingSuffix is the scenario from the design: 1..10 at term 1,
// then 6..8 at term 2, reopened.
func TestConflictingSuffix(t *testing.T) { forBackends(t, testConflictingSuffix) }

func testConflictingSuffix(t *testing.T, newTestDB func(*testing.T) *testDB) {
	d := newTestDB(t)
	s := d.storage()
	mustSave(t, s, hardState(1, 1, 5), entries(1, 10, 1), nil)
	mustSave(t, s, hardState(2, 2, 5), entries(6, 8, 2), nil)

	s = d.reopen()
	if last, _ := s.LastIndex(); last != 8 {
		t.Fatalf("LastIndex = %d, want 8", last)
	}
	ents, err := s.Entries(1, 9, math.MaxUint64)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range ents {
		want := uint64(1)
		if e.GetIndex() >= 6 {
			want = 2
		}
		if e.GetIndex() != uint64(i)+1 || e.GetTerm() != want || !bytes.Equal(e.GetData(), entry(e.GetIndex(), want).GetData()) {
			t.Errorf("entry %d = %v, want index %d term %d", i, e, i+1, want)
		}
	}
	if _, err := s.Term(9); !errors.Is(err, raft.ErrUnavailable) {
		t.Errorf("Term(9) = %v, want ErrUnavailable", err)
	}
	if got := onDisk(t, d.db, 9, 10); len(got) != 0 {
		t.Errorf("entries %v still on disk", got)
	}
	hs, _, _ := s.InitialState()
	if !proto.Equal(hs, hardState(2, 2, 5)) {
		t.Errorf("hard state = %v", hs)
	}
}

// TestSaveErrorsLeaveStateUntouched checks that rejected or failed writes
// change neither memory nor disk.
func TestSaveErrorsLeaveStateUntouched(t *testing.T) {
	forBackends(t, testSaveErrorsLeaveStateUntouched)
}

func testSaveErrorsLeaveStateUntouched(t *testing.T, newTestDB func(*testing.T) *testDB) {
	tests := []struct {
		name string
		op   func(s *Storage) error
		is   error // if set, errors.Is(err, is) must hold
	}{
		{"gap after the log", func(s *Storage) error { return s.Save(nil, entries(12, 13, 2), nil) }, nil},
		{"entries not consecutive", func(s *Storage) error {
			return s.Save(nil, []*raftpb.Entry{entry(9, 2), entry(11, 2)}, nil)
		}, nil},
		{"decreasing term", func(s *Storage) error { return s.Save(nil, entries(9, 11, 0), nil) }, nil},
		{"commit beyond the log", func(s *Storage) error { return s.Save(hardState(2, 1, 12), entries(9, 11, 2), nil) }, nil},
		{"stale snapshot", func(s *Storage) error {
			return s.Save(hardState(2, 1, 10), nil, snapshot(3, 1, []uint64{1}, "old"))
		}, raft.ErrSnapOutOfDate},
		{"stale created snapshot", func(s *Storage) error {
			_, err := s.CreateSnapshot(4, nil, nil)
			return err
		}, raft.ErrSnapOutOfDate},
		{"snapshot beyond the log", func(s *Storage) error {
			_, err := s.CreateSnapshot(11, nil, nil)
			return err
		}, raft.ErrUnavailable},
		{"snapshot below the base", func(s *Storage) error {
			_, err := s.CreateSnapshot(5, nil, nil)
			return err
		}, raft.ErrCompacted},
		{"compact at the base", func(s *Storage) error { return s.Compact(6) }, raft.ErrCompacted},
		{"compact beyond the log", func(s *Storage) error { return s.Compact(11) }, raft.ErrUnavailable},
	}
	setup := func(t *testing.T) (*testDB, *Storage) {
		d := newTestDB(t)
		s := d.storage()
		mustSave(t, s, hardState(2, 1, 10), entries(1, 10, 2), nil)
		if _, err := s.CreateSnapshot(4, nil, []byte("s4")); err != nil {
			t.Fatal(err)
		}
		if err := s.Compact(6); err != nil {
			t.Fatal(err)
		}
		return d, s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := setup(t)
			before := capture(t, s)
			err := tt.op(s)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v is not %v", err, tt.is)
			}
			equalView(t, capture(t, s), before)
			equalView(t, capture(t, d.reopen()), before)
		})
	}

	t.Run("write fails", func(t *testing.T) {
		d, s := setup(t)
		before := capture(t, s)
		d.close()
		if err := s.Save(hardState(3, 1, 11), entries(11, 11, 3), nil); err == nil {
			t.Fatal("Save on a closed database succeeded")
		}
		if err := s.Compact(8); err == nil {
			t.Fatal("Compact on a closed database succeeded")
		}
		if _, err := s.CreateSnapshot(9, nil, nil); err == nil {
			t.Fatal("CreateSnapshot on a closed database succeeded")
		}
		equalView(t, capture(t, s), before)
		d.open()
		equalView(t, capture(t, d.storage()), before)
	})
}

// TestCorrupt damages the persisted state in various ways and expects
// OpenStorage to report ErrCorrupt, which is the integrity marker
// (integrity.ErrFailed) the node halts on.
func TestCorrupt(t *testing.T) {
	mustMarshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		damage func(db *leveldb.DB) error
	}{
		{"garbage entry", func(db *leveldb.DB) error { return db.Put(entryKey(3), []byte{0xff, 0xff, 0xff}, nil) }},
		{"truncated entry", func(db *leveldb.DB) error {
			v, err := db.Get(entryKey(3), nil)
			if err != nil {
				return err
			}
			return db.Put(entryKey(3), v[:len(v)-2], nil)
		}},
		{"flipped byte in an entry's index", func(db *leveldb.DB) error {
			v, err := db.Get(entryKey(3), nil)
			if err != nil {
				return err
			}
			v = bytes.Clone(v)
			i := bytes.Index(v, []byte{0x18, 0x03}) // field 3 (index), varint 3
			if i < 0 {
				return errors.New("no index field in the entry")
			}
			v[i+1] ^= 0x01
			return db.Put(entryKey(3), v, nil)
		}},
		{"entry under the wrong key", func(db *leveldb.DB) error { return db.Put(entryKey(3), mustMarshal(entry(4, 1)), nil) }},
		{"missing entry", func(db *leveldb.DB) error { return db.Delete(entryKey(5), nil) }},
		{"stray entry", func(db *leveldb.DB) error { return db.Put(entryKey(12), mustMarshal(entry(12, 1)), nil) }},
		{"decreasing term", func(db *leveldb.DB) error { return db.Put(entryKey(7), mustMarshal(entry(7, 0)), nil) }},
		{"malformed entry key", func(db *leveldb.DB) error { return db.Put([]byte(testPrefix+keyEntries+"x"), nil, nil) }},
		{"garbage hard state", func(db *leveldb.DB) error { return db.Put([]byte(testPrefix+keyHardState), []byte{0x07}, nil) }},
		{"commit beyond the log", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keyHardState), mustMarshal(hardState(1, 1, 11)), nil)
		}},
		{"garbage snapshot", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keySnapshot), []byte{0x12, 0x05, 0x01}, nil)
		}},
		{"snapshot at index 0", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keySnapshot), mustMarshal(snapshot(0, 0, nil, "x")), nil)
		}},
		{"snapshot term mismatch", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keySnapshot), mustMarshal(snapshot(8, 5, []uint64{1}, "x")), nil)
		}},
		{"snapshot beyond the log", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keySnapshot), mustMarshal(snapshot(40, 1, []uint64{1}, "x")), nil)
		}},
		{"malformed log base", func(db *leveldb.DB) error { return db.Put([]byte(testPrefix+keyCompact), []byte{1, 2, 3}, nil) }},
		{"log base term mismatch", func(db *leveldb.DB) error {
			return db.Put([]byte(testPrefix+keyCompact), logID{2, 9}.encode(), nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDB(t)
			s := d.storage()
			mustSave(t, s, hardState(1, 1, 10), entries(1, 10, 1), nil)
			if _, err := s.CreateSnapshot(5, &raftpb.ConfState{Voters: []uint64{1}}, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Compact(2); err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(d.db); err != nil {
				t.Fatal(err)
			}
			d.close()
			d.open()
			s, err := OpenStorage(d.db, testPrefix)
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) {
				t.Fatalf("OpenStorage = %v, %v; want ErrCorrupt, the integrity marker", s, err)
			}
			t.Log(err)
		})
	}
}

// TestSharedDatabase checks that two Storages with different prefixes and
// unrelated data share one database without interfering.
func TestSharedDatabase(t *testing.T) {
	d := newTestDB(t)
	for _, k := range []string{"raft", "raft/x", "raft/e", "raf", "s/state", "raft0/e/\x00"} {
		if err := d.db.Put([]byte(k), []byte("other"), nil); err != nil {
			t.Fatal(err)
		}
	}
	a, err := OpenStorage(d.db, "raft/a/")
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenStorage(d.db, "raft/b/")
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, a, hardState(1, 1, 3), entries(1, 3, 1), nil)
	mustSave(t, b, hardState(5, 2, 7), entries(1, 7, 5), nil)
	if err := b.Compact(4); err != nil {
		t.Fatal(err)
	}
	wantA, wantB := capture(t, a), capture(t, b)

	d.close()
	d.open()
	a, err = OpenStorage(d.db, "raft/a/")
	if err != nil {
		t.Fatal(err)
	}
	b, err = OpenStorage(d.db, "raft/b/")
	if err != nil {
		t.Fatal(err)
	}
	equalView(t, capture(t, a), wantA)
	equalView(t, capture(t, b), wantB)
	if _, err := OpenStorage(d.db, ""); err == nil {
		t.Error("OpenStorage with an empty prefix succeeded")
	}
	for _, k := range []string{"raft", "raft/x", "raft/e", "raf", "s/state", "raft0/e/\x00"} {
		if v, err := d.db.Get([]byte(k), nil); err != nil || string(v) != "other" {
			t.Errorf("key %q = %q, %v", k, v, err)
		}
	}
}

// TestConcurrentReaders runs raft.Storage readers against a writer that
// appends and compacts; run with -race.
func TestConcurrentReaders(t *testing.T) { forBackends(t, testConcurrentReaders) }

func testConcurrentReaders(t *testing.T, newTestDB func(*testing.T) *testDB) {
	d := newTestDB(t)
	s := d.storage()
	mustSave(t, s, hardState(1, 1, 1), entries(1, 1, 1), nil)

	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				first, _ := s.FirstIndex()
				last, _ := s.LastIndex() // only grows in this test
				if _, err := s.Term(last); err != nil && !errors.Is(err, raft.ErrCompacted) {
					t.Errorf("Term(%d): %v", last, err)
					return
				}
				if first <= last {
					ents, err := s.Entries(first, last+1, 1<<10)
					if err != nil && !errors.Is(err, raft.ErrCompacted) {
						t.Errorf("Entries(%d, %d): %v", first, last+1, err)
						return
					}
					if err == nil && ents[0].GetIndex() != first {
						t.Errorf("Entries(%d, ...) starts at %d", first, ents[0].GetIndex())
						return
					}
				}
				if _, _, err := s.InitialState(); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Snapshot(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := uint64(2); i <= 200; i++ {
		mustSave(t, s, hardState(1, 1, i), entries(i, i, 1), nil)
		if i%20 == 0 {
			if _, err := s.CreateSnapshot(i-5, nil, fmt.Appendf(nil, "state@%d", i-5)); err != nil {
				t.Fatal(err)
			}
			if err := s.Compact(i - 10); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
	equalView(t, capture(t, d.reopen()), capture(t, s))
}

// raftNode drives a single-voter raft.RawNode over a Storage.
type raftNode struct {
	t       *testing.T
	s       *Storage
	rn      *raft.RawNode
	applied uint64
	conf    *raftpb.ConfState
	data    map[uint64]string // applied normal entries with data, by index
}

func startNode(t *testing.T, s *Storage, applied uint64, conf *raftpb.ConfState, data map[uint64]string) *raftNode {
	t.Helper()
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              1,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         s,
		Applied:         applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		Logger:          &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &raftNode{t: t, s: s, rn: rn, applied: applied, conf: conf, data: data}
}

// drain runs the Ready loop until raft has nothing more to do.
func (n *raftNode) drain() {
	n.t.Helper()
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if err := n.s.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
			n.t.Fatalf("Save: %v", err)
		}
		for _, m := range rd.Messages {
			n.t.Fatalf("single node has a message to send: %v", m)
		}
		for _, e := range rd.CommittedEntries {
			if e.GetIndex() <= n.applied {
				n.t.Fatalf("entry %d delivered again (applied %d)", e.GetIndex(), n.applied)
			}
			switch e.GetType() {
			case raftpb.EntryConfChange:
				var cc raftpb.ConfChange
				if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
					n.t.Fatal(err)
				}
				n.conf = n.rn.ApplyConfChange(&cc)
			case raftpb.EntryNormal:
				if len(e.GetData()) > 0 {
					n.data[e.GetIndex()] = string(e.GetData())
				}
			}
			n.applied = e.GetIndex()
		}
		n.rn.Advance(rd)
	}
}

// elect ticks until the node is leader.
func (n *raftNode) elect() {
	n.t.Helper()
	for range 100 {
		n.rn.Tick()
		n.drain()
		if n.rn.BasicStatus().RaftState == raft.StateLeader {
			return
		}
	}
	n.t.Fatalf("no leader after 100 ticks: %+v", n.rn.BasicStatus())
}

func (n *raftNode) propose(data string) {
	n.t.Helper()
	if err := n.rn.Propose([]byte(data)); err != nil {
		n.t.Fatalf("Propose: %v", err)
	}
	n.drain()
}

// TestRawNodeRestart drives a real single-node raft through an election and
// proposals on a Storage, restarts it from the reopened database and checks
// that the committed proposals survived and that the node leads again.
func TestRawNodeRestart(t *testing.T) { forBackends(t, testRawNodeRestart) }

func testRawNodeRestart(t *testing.T, newTestDB func(*testing.T) *testDB) {
	tests := []struct {
		name      string
		bootstrap func(t *testing.T, s *Storage, n *raftNode)
		snapshot  bool // create a snapshot and compact before the restart
	}{
		{
			name: "bootstrap snapshot",
			bootstrap: func(t *testing.T, s *Storage, _ *raftNode) {
				mustSave(t, s, nil, nil, snapshot(1, 1, []uint64{1}, ""))
			},
		},
		{
			name: "Bootstrap peers, snapshot and compact",
			bootstrap: func(t *testing.T, _ *Storage, n *raftNode) {
				if err := n.rn.Bootstrap([]raft.Peer{{ID: 1}}); err != nil {
					t.Fatal(err)
				}
			},
			snapshot: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDB(t)
			s := d.storage()
			var n *raftNode
			if tt.snapshot {
				n = startNode(t, s, 0, nil, map[uint64]string{})
				tt.bootstrap(t, s, n)
			} else {
				tt.bootstrap(t, s, nil)
				_, cs, _ := s.InitialState()
				n = startNode(t, s, 1, cs, map[uint64]string{})
			}
			n.elect()
			term1 := n.rn.BasicStatus().GetTerm()
			for i := range 10 {
				n.propose(fmt.Sprintf("block %d", i))
			}
			if len(n.data) != 10 {
				t.Fatalf("applied %d proposals, want 10", len(n.data))
			}
			var compacted uint64
			if tt.snapshot {
				if _, err := s.CreateSnapshot(n.applied, n.conf, []byte("state")); err != nil {
					t.Fatal(err)
				}
				compacted = n.applied - 3
				if err := s.Compact(compacted); err != nil {
					t.Fatal(err)
				}
				for i := 10; i < 13; i++ {
					n.propose(fmt.Sprintf("block %d", i))
				}
			}
			before := capture(t, s)
			applied, conf, data := n.applied, n.conf, n.data

			// Restart from the reopened database.
			s = d.reopen()
			equalView(t, capture(t, s), before)
			hs, _, _ := s.InitialState()
			if hs.GetCommit() < applied {
				t.Fatalf("persisted commit %d < applied %d", hs.GetCommit(), applied)
			}
			for idx, want := range data {
				if idx <= compacted {
					continue
				}
				ents, err := s.Entries(idx, idx+1, math.MaxUint64)
				if err != nil {
					t.Fatalf("Entries(%d): %v", idx, err)
				}
				if got := string(ents[0].GetData()); got != want {
					t.Errorf("entry %d = %q, want %q", idx, got, want)
				}
			}

			n = startNode(t, s, applied, conf, data)
			n.drain()
			n.elect()
			if term := n.rn.BasicStatus().GetTerm(); term <= term1 {
				t.Errorf("term after restart = %d, want > %d", term, term1)
			}
			n.propose("after restart")
			if got := n.data[n.applied]; got != "after restart" {
				t.Errorf("last applied entry %d = %q", n.applied, got)
			}
			if last, _ := s.LastIndex(); last != n.applied {
				t.Errorf("LastIndex = %d, applied %d", last, n.applied)
			}
		})
	}
}
