package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// FuzzScanJournal feeds arbitrary bytes to the journal walker (the bytes
// of a *.log or MANIFEST file on disk), seeded with a real journal: it
// must never panic, and fail only with a corruption error.
func FuzzScanJournal(f *testing.F) {
	dir := f.TempDir()
	db, err := OpenDB(dir)
	if err != nil {
		f.Fatal(err)
	}
	for i := range 50 {
		db.Put([]byte{byte(i)}, make([]byte, i*100), nil)
	}
	db.Close()
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range logs {
		b, _ := os.ReadFile(p)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "000001.log")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := scanJournal(p); err != nil && !Corruption(err) {
			t.Fatalf("not a corruption error: %v", err)
		}
	})
}

func wrap(err error) error { return fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err)) }

// TestWriteFailureAndCorruption: a failure to write is never taken for
// corruption, nor corruption for a failure to write.
func TestWriteFailureAndCorruption(t *testing.T) {
	leveldbCorrupt := lerrors.NewErrCorrupted(storage.FileDesc{Type: storage.TypeTable, Num: 7}, fmt.Errorf("checksum mismatch"))
	for _, tc := range []struct {
		name             string
		err              error
		write, corrupted bool
	}{
		{"nil", nil, false, false},
		{"enospc", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true, false},
		{"wrapped eio", wrap(&os.PathError{Op: "sync", Path: "x", Err: syscall.EIO}), true, false},
		{"ErrWrite", wrap(ErrWrite), true, false},
		{"ErrCorrupt", wrap(ErrCorrupt), false, true},
		{"goleveldb corruption", wrap(leveldbCorrupt), false, true},
		{"not found", leveldb.ErrNotFound, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := WriteFailure(tc.err); got != tc.write {
				t.Errorf("WriteFailure(%v) = %v", tc.err, got)
			}
			if got := Corruption(tc.err); got != tc.corrupted {
				t.Errorf("Corruption(%v) = %v", tc.err, got)
			}
		})
	}
}

// TestOrphanTableIsNotCorruption: a table file the manifest does not list
// (a compaction's output cut off by a crash before the manifest recorded
// it; found by the crash-loop test) is skipped by the scan, and the store
// opens (goleveldb deletes it); a damaged table the manifest lists is
// still reported.
func TestOrphanTableIsNotCorruption(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if err := db.Put([]byte(fmt.Sprintf("k%05d", i)), make([]byte, 1000), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	orphan := filepath.Join(dir, "999999.ldb")
	if err := os.WriteFile(orphan, []byte("half a table: no footer"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := ScanFiles(dir, 1<<30)
	if err != nil || rep.Orphans != 1 || rep.Tables == 0 {
		t.Fatalf("scan with an orphan table: %+v %v", rep, err)
	}
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatalf("opening with an orphan table: %v", err)
	}
	d.DB.Close()
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("the orphan was not removed on open: %v", err)
	}
	// A listed table with a damaged footer is still corruption.
	tables, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	if len(tables) == 0 {
		t.Fatal("no tables")
	}
	b, _ := os.ReadFile(tables[0])
	copy(b[len(b)-8:], "XXXXXXXX")
	if err := os.WriteFile(tables[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ScanFiles(dir, 1<<30); !Corruption(err) {
		t.Fatalf("a damaged listed table: %v", err)
	}
}
