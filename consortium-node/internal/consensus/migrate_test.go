package consensus

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/almoner/almoner/privacy/integrity"
)

// legacyStorage fills d's database with a raft storage as node homes
// made before the segment log hold it: a snapshot, a compaction, entries
// and a hard state. It returns its view.
func legacyStorage(t *testing.T, d *testDB) view {
	t.Helper()
	s := d.storage()
	mustSave(t, s, hardState(1, 1, 6), entries(1, 8, 1), nil)
	if _, err := s.CreateSnapshot(5, &raftpb.ConfState{Voters: []uint64{1}}, []byte("head at 5")); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(3); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, hardState(2, 1, 7), entries(8, 10, 2), nil)
	return capture(t, s)
}

func raftKeys(t *testing.T, db *leveldb.DB) int {
	t.Helper()
	it := db.NewIterator(util.BytesPrefix([]byte(testPrefix)), nil)
	defer it.Release()
	n := 0
	for it.Next() {
		n++
	}
	return n
}

// TestMigrateToLog moves an old home's raft records into a segment log:
// the log holds what they held, the records are gone, the other records
// stay, and a second call has nothing to move.
func TestMigrateToLog(t *testing.T) {
	d := newTestDB(t)
	want := legacyStorage(t, d)
	if err := d.db.Put([]byte("s/other"), []byte("kept"), nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "raftlog")
	moved, err := MigrateToLog(d.db, testPrefix, dir)
	if err != nil || !moved {
		t.Fatalf("MigrateToLog = %v, %v", moved, err)
	}
	if n := raftKeys(t, d.db); n != 0 {
		t.Errorf("%d raft records left in the database", n)
	}
	if v, err := d.db.Get([]byte("s/other"), nil); err != nil || string(v) != "kept" {
		t.Errorf("other record: %q, %v", v, err)
	}
	s, _ := openLog(t, dir, LogOptions{})
	equalView(t, capture(t, s), want)
	mustSave(t, s, hardState(2, 1, 11), entries(11, 11, 2), nil)
	s.Close()
	if moved, err := MigrateToLog(d.db, testPrefix, dir); err != nil || moved {
		t.Fatalf("second MigrateToLog = %v, %v", moved, err)
	}
	if _, err := os.Stat(dir + ".migrating"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staging folder is left: %v", err)
	}
}

// TestMigrateCrash: a crash after the log was renamed into place but
// before the records were deleted leaves both, equal: the next call
// deletes the records. A crash while the log was being written leaves a
// staging folder, which the next call replaces.
func TestMigrateCrash(t *testing.T) {
	t.Run("after the rename", func(t *testing.T) {
		d := newTestDB(t)
		want := legacyStorage(t, d)
		old, err := OpenStorage(d.db, testPrefix)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := old.Capture(nil)
		dir := filepath.Join(t.TempDir(), "raftlog")
		if err := writeLog(dir, v); err != nil {
			t.Fatal(err)
		}
		if moved, err := MigrateToLog(d.db, testPrefix, dir); err != nil || !moved {
			t.Fatalf("MigrateToLog = %v, %v", moved, err)
		}
		if n := raftKeys(t, d.db); n != 0 {
			t.Errorf("%d raft records left", n)
		}
		s, _ := openLog(t, dir, LogOptions{})
		equalView(t, capture(t, s), want)
	})
	t.Run("while writing", func(t *testing.T) {
		d := newTestDB(t)
		want := legacyStorage(t, d)
		dir := filepath.Join(t.TempDir(), "raftlog")
		if err := os.MkdirAll(dir+".migrating", 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir+".migrating", "0000000000000001.seg"), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if moved, err := MigrateToLog(d.db, testPrefix, dir); err != nil || !moved {
			t.Fatalf("MigrateToLog = %v, %v", moved, err)
		}
		s, _ := openLog(t, dir, LogOptions{})
		equalView(t, capture(t, s), want)
	})
	t.Run("a different log", func(t *testing.T) {
		d := newTestDB(t)
		legacyStorage(t, d)
		dir := filepath.Join(t.TempDir(), "raftlog")
		s, _ := openLog(t, dir, LogOptions{})
		mustSave(t, s, hardState(1, 1, 1), entries(1, 1, 1), nil)
		s.Close()
		_, err := MigrateToLog(d.db, testPrefix, dir)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) {
			t.Fatalf("MigrateToLog over a different log: %v; want ErrCorrupt", err)
		}
		if n := raftKeys(t, d.db); n == 0 {
			t.Error("the raft records were deleted")
		}
	})
	t.Run("a damaged database log", func(t *testing.T) {
		d := newTestDB(t)
		legacyStorage(t, d)
		if err := d.db.Put([]byte(testPrefix+keyHardState), []byte{0x07}, nil); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "raftlog")
		if _, err := MigrateToLog(d.db, testPrefix, dir); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("MigrateToLog of a damaged log: %v; want ErrCorrupt", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a log was written: %v", err)
		}
	})
}

// TestExport: a segment log exported in the database layout (a backup
// archive's raft records) opens with OpenStorage to the same view.
func TestExport(t *testing.T) {
	for _, seg := range []int64{0, 1} {
		dir := t.TempDir()
		s, _ := openLog(t, dir, LogOptions{SegmentBytes: seg})
		mustSave(t, s, hardState(1, 1, 6), entries(1, 8, 1), nil)
		if _, err := s.CreateSnapshot(5, &raftpb.ConfState{Voters: []uint64{1}}, []byte("head")); err != nil {
			t.Fatal(err)
		}
		if err := s.Compact(4); err != nil {
			t.Fatal(err)
		}
		want := capture(t, s)
		v, err := s.Capture(nil)
		if err != nil {
			t.Fatal(err)
		}
		d := newTestDB(t)
		var last string
		err = v.Export(testPrefix, func(k, val []byte) error {
			if string(k) <= last {
				t.Errorf("key %q after %q", k, last)
			}
			last = string(k)
			return d.db.Put(k, val, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		equalView(t, capture(t, d.storage()), want)
	}
}
