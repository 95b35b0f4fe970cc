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
