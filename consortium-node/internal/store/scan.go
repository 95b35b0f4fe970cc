package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/table"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// FileError is corruption found in one file of the database. It wraps
// ErrCorrupt and says which file, so that an operator can tell a damaged
// table from a damaged journal.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%v: %s: %v", ErrCorrupt, e.Path, e.Err) }

// Unwrap returns ErrCorrupt and the cause.
func (e *FileError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// ScanReport is what ScanFiles read.
type ScanReport struct {
	// Tables counts the table files; TablesRead those read in full (every
	// block's checksum), the others had their index blocks checked only.
	Tables, TablesRead int
	// TableBytes is the size of the tables read in full.
	TableBytes int64
	// Journals counts the journal files, each read in full.
	Journals int
	// Manifest is the current manifest's name ("" in an empty folder).
	Manifest string
	// TornJournal and TornManifest are set when a journal or the manifest
	// ends in a torn record — a write cut off by a crash or a full disk,
	// never acknowledged — with nothing valid after it.
	TornJournal, TornManifest bool
	// Orphans counts table files the manifest does not list (a crash cut
	// off the compaction writing them); they are not read, and goleveldb
	// deletes them when it opens the database.
	Orphans int
	Took    time.Duration
}

// ScanFiles reads the database files in dir without opening the database
// (it takes no lock: run it on a stopped node's folder, or before opening
// it): the current manifest and every journal record by record with their
// checksums, every table's index block, and in full, with every block's
// checksum, the newest tables up to tableBytes in all (none when it is
// negative; math.MaxInt64 reads them all). A missing folder is an empty
// report.
//
// Any fault other than a torn last record of a journal or of the manifest
// is a *FileError wrapping ErrCorrupt that names the file.
func ScanFiles(dir string, tableBytes int64) (*ScanReport, error) {
	return scanFiles(dir, tableBytes, true)
}

// scanFiles is ScanFiles; without tables it does not read table files.
func scanFiles(dir string, tableBytes int64, tables bool) (*ScanReport, error) {
	start := time.Now()
	rep := &ScanReport{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", dir, err)
	}
	type tableFile struct {
		num  int64
		path string
		size int64
	}
	var tfiles []tableFile
	for _, e := range ents {
		var (
			num  int64
			tail string
		)
		if _, err := fmt.Sscanf(e.Name(), "%d.%s", &num, &tail); err != nil || e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		switch tail {
		case "ldb", "sst":
			fi, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("store: %s: %w", p, err)
			}
			tfiles = append(tfiles, tableFile{num, p, fi.Size()})
		case "log":
			rep.Journals++
			torn, err := scanJournal(p)
			if err != nil {
				return nil, err
			}
			rep.TornJournal = rep.TornJournal || torn
		}
	}
	if cur, err := os.ReadFile(filepath.Join(dir, "CURRENT")); err == nil {
		name := strings.TrimSpace(string(cur))
		if !strings.HasPrefix(name, "MANIFEST-") || strings.ContainsAny(name, `/\`) {
			return nil, &FileError{Path: filepath.Join(dir, "CURRENT"), Err: fmt.Errorf("names %q, not a manifest", name)}
		}
		rep.Manifest = name
		torn, err := scanJournal(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		rep.TornManifest = torn
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	if rep.Manifest != "" {
		// Only the tables the manifest lists are the database: a table a
		// crash cut off mid-compaction is an orphan goleveldb deletes on
		// open, not corruption.
		live, err := liveTables(filepath.Join(dir, rep.Manifest))
		if err != nil {
			return nil, &FileError{Path: filepath.Join(dir, rep.Manifest), Err: err}
		}
		tfiles = slices.DeleteFunc(tfiles, func(t tableFile) bool {
			if !live[t.num] {
				rep.Orphans++
				return true
			}
			return false
		})
	}
	slices.SortFunc(tfiles, func(a, b tableFile) int { return int(b.num - a.num) }) // newest first
	rep.Tables = len(tfiles)
	for _, t := range tfiles {
		if !tables {
			break
		}
		full := tableBytes >= 0 && rep.TableBytes+t.size <= tableBytes
		if err := scanTable(t.path, t.num, full); err != nil {
			return nil, err
		}
		if full {
			rep.TablesRead++
			rep.TableBytes += t.size
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// Journal format (goleveldb's leveldb/journal, also used by the manifest):
// 32 KiB blocks of chunks, each a 7-byte header (masked CRC-32C of the
// type and data, length, type) and its data; a record is one full chunk or
// a first, middles and a last; fewer than 7 bytes left in a block are
// zero padding.
const (
	journalBlock  = 32 << 10
	journalHeader = 7
	chunkFull     = 1
	chunkFirst    = 2
	chunkMiddle   = 3
	chunkLast     = 4
)

// scanJournal walks a journal (or manifest) chunk by chunk. Damage that
// reaches the end of the file — a last chunk cut short or failing its
// checksum, a record missing its last chunk, a zero-filled tail — is a
// torn tail: a write cut off by a crash or a full disk, never
// acknowledged (torn). Damage with anything after it is corruption.
func scanJournal(path string) (torn bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	bad := func(off int, what string) error {
		return &FileError{Path: path, Err: fmt.Errorf("%s at offset %d with data after it: the file was altered after it "+
			"was written", what, off)}
	}
	inRecord := false
	for off := 0; off < len(data); off += journalBlock {
		blk := data[off:min(off+journalBlock, len(data))]
		lastBlock := off+journalBlock >= len(data)
		j := 0
		for j+journalHeader <= len(blk) {
			at := off + j
			crc := binary.LittleEndian.Uint32(blk[j:])
			n := int(binary.LittleEndian.Uint16(blk[j+4:]))
			typ := blk[j+6]
			if crc == 0 && n == 0 && typ == 0 {
				if allZero(data[at:]) {
					return true, nil // a zero-filled tail
				}
				return false, bad(at, "an empty chunk header")
			}
			end := j + journalHeader + n
			switch {
			case typ < chunkFull || typ > chunkLast:
				if lastBlock && allZero(data[at+journalHeader:]) {
					return true, nil
				}
				return false, bad(at, fmt.Sprintf("a chunk of unknown type %#x", typ))
			case end > len(blk):
				if lastBlock {
					return true, nil // cut short by the end of the file
				}
				return false, bad(at, "a chunk longer than its block")
			case util.NewCRC(blk[j+6:end]).Value() != crc:
				if lastBlock && end == len(blk) {
					return true, nil // the last chunk, torn
				}
				return false, bad(at, "a chunk failing its checksum")
			}
			switch first := typ == chunkFull || typ == chunkFirst; {
			case first && inRecord:
				return false, bad(at, "a record missing its last chunk")
			case !first && !inRecord:
				return false, bad(at, "a chunk without the start of its record")
			}
			inRecord = typ == chunkFirst || typ == chunkMiddle
			j = end
		}
	}
	return inRecord, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

var scanOptions = &opt.Options{Strict: opt.StrictBlockChecksum | opt.StrictReader}

// scanTable checks a table's footer, metaindex and index blocks, and with
// full every data block's checksum.
func scanTable(path string, num int64, full bool) error {
	return readTable(path, num, func(r *table.Reader) error {
		if _, err := r.OffsetOf(nil); err != nil {
			return tableErr(path, err)
		}
		if !full {
			return nil
		}
		return readThrough(path, r, nil)
	})
}

// readTable opens the table file at path (number num), checking block
// checksums (scanOptions), and calls f with its reader.
func readTable(path string, num int64, f func(r *table.Reader) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	r, err := table.NewReader(file, fi.Size(), storage.FileDesc{Type: storage.TypeTable, Num: num}, nil, nil, scanOptions)
	if err != nil {
		return fmt.Errorf("store: reading %s: %w", path, err)
	}
	defer r.Release()
	return f(r)
}

// readThrough reads every entry of the table at path (reader r) in slice
// (nil: all of them).
func readThrough(path string, r *table.Reader, slice *util.Range) error {
	it := r.NewIterator(slice, nil)
	defer it.Release()
	for it.Next() {
	}
	if err := it.Error(); err != nil {
		return tableErr(path, err)
	}
	return nil
}

func tableErr(path string, err error) error {
	if Corruption(err) {
		return &FileError{Path: path, Err: err}
	}
	return fmt.Errorf("store: reading %s: %w", path, err)
}

// TableKeys returns the first and last keys of the intact table file at
// path (goleveldb's internal 8-byte key suffix removed): which part of the
// database it holds.
func TableKeys(path string) (first, last []byte, err error) {
	var num int64
	fmt.Sscanf(filepath.Base(path), "%d.", &num)
	err = readTable(path, num, func(r *table.Reader) error {
		it := r.NewIterator(nil, nil)
		defer it.Release()
		user := func(k []byte) []byte { return append([]byte(nil), k[:max(0, len(k)-8)]...) }
		if it.First() {
			first = user(it.Key())
		}
		if it.Last() {
			last = user(it.Key())
		}
		if err := it.Error(); err != nil {
			return tableErr(path, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return first, last, nil
}
