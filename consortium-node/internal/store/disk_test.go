package store_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// openDisk opens dir with a FaultStorage under it.
func openDisk(t *testing.T, dir string) (*store.Disk, *store.Store, *store.FaultStorage) {
	t.Helper()
	var fs *store.FaultStorage
	d, err := store.Open(dir, store.OpenOptions{Wrap: func(s storage.Storage) storage.Storage {
		fs = store.NewFaultStorage(s, dir)
		return fs
	}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(d.DB)
	if err != nil {
		d.Close()
		t.Fatal(err)
	}
	return d, s, fs
}

// TestFullDiskLeavesNothingHalfWritten fills the disk at every point of a
// block's commit — from no byte free to enough for most of the batch, so
// that goleveldb's journal record is cut anywhere, as a short write(2)
// does — and checks each time: the commit fails with a write failure (not
// corruption), the store keeps its head and serves what it committed, the
// database cannot be written again until it is reopened, Probe fails while
// the disk is full and succeeds once space returns, and the reopened store
// holds the block whole or not at all, passes VerifyChain and commits on.
func TestFullDiskLeavesNothingHalfWritten(t *testing.T) {
	for _, free := range []int64{0, 1, 7, 100, 600, 2000, 5000, 20000} {
		t.Run(fmt.Sprintf("free=%d", free), func(t *testing.T) {
			dir := t.TempDir()
			d, s, fs := openDisk(t, dir)
			c := newChain(t)
			mustCommit(t, s, c.genesis())
			for range 3 {
				mustCommit(t, s, c.next(4))
			}
			before, _ := s.Head()
			fs.SetFree(free)
			blk := c.next(40)
			err := s.Commit(blk)
			if err == nil {
				t.Skipf("the block fit in %d bytes", free)
			}
			if !store.WriteFailure(err) || store.Corruption(err) {
				t.Fatalf("commit on a full disk: %v; want a write failure (ENOSPC), not corruption", err)
			}
			if !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("error %q does not say the disk is full", err)
			}
			checkHead(t, s, before)
			if b, err := s.Block(before.Height); err != nil || b.Header.Hash() != before.Hash {
				t.Fatalf("committed head block not served while the disk is full: %v", err)
			}
			if _, err := s.Block(before.Height + 1); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the failed block is visible: %v", err)
			}
			if err := d.Probe(1 << 20); !store.WriteFailure(err) {
				t.Fatalf("Probe on a full disk: %v; want a write failure", err)
			}
			fs.SetFree(-1) // space returns
			if err := d.Probe(1 << 20); err != nil {
				t.Fatalf("Probe after space returned: %v", err)
			}
			// The open database stays unwritable (goleveldb keeps the
			// journal's error), unless nothing at all reached the journal.
			if err := s.Commit(blk); err == nil {
				t.Logf("the same database committed again without a reopen")
			} else if !store.WriteFailure(err) {
				t.Fatalf("retry on the same database: %v", err)
			}
			d.Close()

			d, s, _ = openDisk(t, dir)
			defer d.Close()
			got, _ := s.Head()
			switch got.Height {
			case before.Height:
				mustCommit(t, s, blk)
			case before.Height + 1:
				checkHead(t, s, headOf(blk)) // a whole record was written before the disk filled
			default:
				t.Fatalf("reopened at height %d, want %d or %d", got.Height, before.Height, before.Height+1)
			}
			mustCommit(t, s, c.next(2))
			if _, err := store.VerifyChain(s, 0); err != nil {
				t.Fatalf("VerifyChain after the reopen: %v", err)
			}
			t.Logf("reopened: dropped a torn tail: %v; head %d", d.DroppedTail, got.Height)
		})
	}
}

// writeChain commits genesis and n blocks in dir, closes the database,
// then opens and closes it once more, so that goleveldb turns its journal
// into a table file.
func writeChain(t *testing.T, dir string, n int) {
	t.Helper()
	s, db := openStore(t, dir)
	c := newChain(t)
	mustCommit(t, s, c.genesis())
	for range n {
		mustCommit(t, s, c.next(5))
	}
	db.Close()
	_, db = openStore(t, dir)
	db.Close()
}

func files(t *testing.T, dir, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestFlippedByteInTable flips one byte at several places of a real table
// file: Open (and ScanFiles) refuse it with a FileError that names the
// file; with the table scan off, VerifyChain still finds a flipped block
// (goleveldb's block checksum) and CorruptFile names the file.
func TestFlippedByteInTable(t *testing.T) {
	base := t.TempDir()
	writeChain(t, base, 60)
	tables := files(t, base, ".ldb")
	if len(tables) == 0 {
		t.Fatal("no table file")
	}
	eachFlip(t, base, tables[0], []float64{0.01, 0.3, 0.6, 0.9, 0.999}, func(t *testing.T, dir, tbl string, off int64) {
		_, err := store.Open(dir, store.OpenOptions{})
		var fe *store.FileError
		if !errors.As(err, &fe) || !errors.Is(err, store.ErrCorrupt) || fe.Path != tbl {
			t.Fatalf("Open with byte %d of %s flipped: %v; want a FileError naming it", off, tbl, err)
		}
		if store.CorruptFile(err) != filepath.Base(tbl) {
			t.Errorf("CorruptFile(%v) = %q", err, store.CorruptFile(err))
		}
		t.Logf("%v", err)
		if _, err := store.ScanFiles(dir, math.MaxInt64); !errors.As(err, &fe) {
			t.Fatalf("ScanFiles: %v", err)
		}
		// Without the table scan, reading the blocks finds it when it
		// lies in their data.
		d, err := store.Open(dir, store.OpenOptions{ScanTableBytes: -1})
		if err != nil {
			if errors.As(err, &fe) && fe.Path == tbl {
				return // the index or footer: found without reading data
			}
			t.Fatal(err)
		}
		defer d.Close()
		s, err := store.New(d.DB)
		if err != nil {
			if store.CorruptFile(err) != filepath.Base(tbl) {
				t.Fatalf("New: %v", err)
			}
			return
		}
		if _, err := store.VerifyAll(s); err == nil || !store.Corruption(err) {
			t.Fatalf("VerifyAll over a flipped table: %v", err)
		} else if store.CorruptFile(err) != filepath.Base(tbl) {
			t.Logf("VerifyAll: %v (the file is not named)", err)
		}
	})
}

// eachFlip runs check, in a subtest for each fraction of file's size
// (file is in base), on a copy of base (dir) whose copy of file (path) has
// the byte at that offset flipped.
func eachFlip(t *testing.T, base, file string, fracs []float64, check func(t *testing.T, dir, path string, off int64)) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range fracs {
		off := int64(frac * float64(fi.Size()))
		t.Run(fmt.Sprintf("flipped-at-%d", off), func(t *testing.T) {
			dir, path := copyOf(t, base, file)
			flip(t, path, off)
			check(t, dir, path, off)
		})
	}
}

// copyOf copies the database in base into a new folder and returns the
// folder and the path of its copy of file (a file of base).
func copyOf(t *testing.T, base, file string) (dir, copied string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "db")
	copyDir(t, base, dir)
	return dir, filepath.Join(dir, filepath.Base(file))
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJournal checks the journal cases: a flipped byte in a record that
// valid records follow is corruption naming the .log file; a torn tail
// (the file cut short, as by a crash or a full disk) opens, dropping the
// unacknowledged record, and the chain verifies.
func TestJournal(t *testing.T) {
	base := t.TempDir()
	s, db := openStore(t, base)
	c := newChain(t)
	mustCommit(t, s, c.genesis())
	for range 30 {
		mustCommit(t, s, c.next(5))
	}
	db.Close() // the records stay in the journal until the next open
	logs := files(t, base, ".log")
	if len(logs) != 1 {
		t.Fatalf("journals: %v", logs)
	}
	fi, _ := os.Stat(logs[0])

	eachFlip(t, base, logs[0], []float64{0.001, 0.3, 0.6, 0.9}, func(t *testing.T, dir, log string, off int64) {
		_, err := store.Open(dir, store.OpenOptions{})
		var fe *store.FileError
		if !errors.As(err, &fe) || fe.Path != log {
			t.Fatalf("Open with byte %d of %d of the journal flipped: %v; want a FileError naming %s",
				off, fi.Size(), err, log)
		}
		t.Logf("%v", err)
	})
	t.Run("torn", func(t *testing.T) {
		dir, log := copyOf(t, base, logs[0])
		if err := os.Truncate(log, fi.Size()-100); err != nil {
			t.Fatal(err)
		}
		d, err := store.Open(dir, store.OpenOptions{})
		if err != nil {
			t.Fatalf("Open with a torn journal tail: %v", err)
		}
		defer d.Close()
		if !d.DroppedTail {
			t.Error("DroppedTail not reported")
		}
		s, err := store.New(d.DB)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := store.VerifyAll(s)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Head != 29 {
			t.Errorf("head after dropping the last record: %d, want 29", rep.Head)
		}
	})
}

// BenchmarkStartupVerify measures what a node pays at start: VerifyChain
// over the last 256 blocks (of 100 transactions of 300 bytes each) and
// ScanFiles reading every table with its checksums. It reports the table
// scan's throughput.
func BenchmarkStartupVerify(b *testing.B) {
	dir := b.TempDir()
	db, err := store.OpenDB(dir)
	if err != nil {
		b.Fatal(err)
	}
	s, _ := store.New(db)
	c := newChain(&testing.T{})
	if err := s.Commit(c.genesis()); err != nil {
		b.Fatal(err)
	}
	for range 300 {
		cm := c.next(100)
		for i := range cm.Block.Txs {
			cm.Block.Txs[i] = append(cm.Block.Txs[i], make([]byte, 280)...)
		}
		cm.Block.Header.TxRoot = ledger.TxRoot(cm.Block.Txs)
		for i := range cm.Receipts {
			cm.Receipts[i].TxID = tx.HashID(cm.Block.Txs[i])
		}
		cm.Block.Header.ReceiptRoot = ledger.ReceiptRoot(cm.Receipts)
		c.head = cm.Block.Header
		if err := s.Commit(cm); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	_, db = openStore(&testing.T{}, dir) // journal -> tables
	db.Close()
	d, err := store.Open(dir, store.OpenOptions{ScanTableBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	s, _ = store.New(d.DB)
	head, _ := s.Head()
	b.Run("VerifyChain-last-256-blocks", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.VerifyChain(s, head.Height-255); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ScanFiles-all-tables", func(b *testing.B) {
		var bytes int64
		for b.Loop() {
			rep, err := store.ScanFiles(dir, math.MaxInt64)
			if err != nil {
				b.Fatal(err)
			}
			bytes = rep.TableBytes
		}
		b.SetBytes(bytes)
	})
}
