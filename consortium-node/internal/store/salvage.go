package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/table"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Salvage: reading the intact part of a database whose tables are damaged
// (node.Recover keeps the raft log and the private store of a node whose
// ledger data is damaged). A goleveldb iterator over a key range also
// reads the blocks at the range's edges, which may hold keys of the
// neighbouring ranges only; so CheckRanges proves, table by table, that
// every block that may hold a key of the ranges passes its checksum, and
// CopyRanges then copies the ranges reading past any damaged block (which
// the proof showed holds none of their keys).

// tableSpan is a table file of the database and its smallest and largest
// user keys, from the manifest.
type tableSpan struct {
	num        int64
	size       int64
	umin, umax []byte
}

// tableSpans lists the tables of db's current version (goleveldb's
// "leveldb.sstables" property: "num:size[imin .. imax]", internal keys
// quoted).
func tableSpans(db *leveldb.DB) ([]tableSpan, error) {
	prop, err := db.GetProperty("leveldb.sstables")
	if err != nil {
		return nil, fmt.Errorf("store: listing the tables: %w", err)
	}
	var out []tableSpan
	for _, line := range strings.Split(prop, "\n") {
		if line == "" || strings.HasPrefix(line, "---") {
			continue
		}
		head, rest, ok := strings.Cut(line, "[")
		num, size, ok2 := strings.Cut(head, ":")
		if !ok || !ok2 {
			return nil, fmt.Errorf("store: unexpected table listing %q", line)
		}
		var t tableSpan
		if t.num, err = strconv.ParseInt(num, 10, 64); err != nil {
			return nil, fmt.Errorf("store: unexpected table listing %q", line)
		}
		t.size, _ = strconv.ParseInt(size, 10, 64)
		qmin, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("store: unexpected table listing %q", line)
		}
		rest = strings.TrimPrefix(rest[len(qmin):], " .. ")
		qmax, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("store: unexpected table listing %q", line)
		}
		imin, _ := strconv.Unquote(qmin)
		imax, _ := strconv.Unquote(qmax)
		if len(imin) < 8 || len(imax) < 8 {
			return nil, fmt.Errorf("%w: table %d has malformed bounds in the manifest", ErrCorrupt, t.num)
		}
		t.umin, t.umax = []byte(imin[:len(imin)-8]), []byte(imax[:len(imax)-8])
		out = append(out, t)
	}
	return out, nil
}

// overlaps reports whether r meets the user keys [lo, hi].
func overlaps(r util.Range, lo, hi []byte) bool {
	return (r.Limit == nil || bytes.Compare(lo, r.Limit) < 0) && (r.Start == nil || bytes.Compare(hi, r.Start) >= 0)
}

// CheckRanges checks that every record of db (the database in dir) whose
// key lies in ranges can be read: in each table that may hold such keys it
// reads, with block checksums, every block that may hold one (a range's
// edge that falls inside a table's keys includes the block there, which
// may also hold other keys). A block that fails is a *FileError naming the
// table. The journals are not read (Open checks them).
func CheckRanges(db *leveldb.DB, dir string, ranges []util.Range) error {
	spans, err := tableSpans(db)
	if err != nil {
		return err
	}
	for _, t := range spans {
		var path string
		for _, ext := range []string{"ldb", "sst"} {
			if p := filepath.Join(dir, fmt.Sprintf("%06d.%s", t.num, ext)); fileExists(p) {
				path = p
			}
		}
		if path == "" {
			return fmt.Errorf("%w: table %06d.ldb of the manifest is missing from %s", ErrCorrupt, t.num, dir)
		}
		for _, r := range ranges {
			if !overlaps(r, t.umin, t.umax) {
				continue
			}
			slice := &util.Range{}
			if r.Start != nil && bytes.Compare(r.Start, t.umin) > 0 {
				slice.Start = r.Start
			}
			if r.Limit != nil && bytes.Compare(r.Limit, t.umax) <= 0 {
				slice.Limit = r.Limit
			}
			if err := readTableRange(path, t.num, slice); err != nil {
				return err
			}
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readTableRange(path string, num int64, slice *util.Range) error {
	return readTable(path, num, func(r *table.Reader) error { return readThrough(path, r, slice) })
}

// CopyRanges copies every record of src in ranges to dst, in batches, the
// last one synced, and returns how many. It reads past damaged blocks:
// call CheckRanges first.
func CopyRanges(src, dst *leveldb.DB, ranges []util.Range) (int, error) {
	n := 0
	b := new(leveldb.Batch)
	flush := func(sync bool) error {
		if err := dst.Write(b, &opt.WriteOptions{Sync: sync}); err != nil {
			return fmt.Errorf("store: writing the copy: %w", err)
		}
		b.Reset()
		return nil
	}
	for _, r := range ranges {
		it := src.NewIterator(&r, &opt.ReadOptions{Strict: opt.StrictOverride}) // not StrictReader: skip damaged blocks
		for it.Next() {
			b.Put(it.Key(), it.Value())
			n++
			if b.Len() >= 4096 {
				if err := flush(false); err != nil {
					it.Release()
					return 0, err
				}
			}
		}
		err := it.Error()
		it.Release()
		if err != nil {
			return 0, fmt.Errorf("store: copying records: %w", err)
		}
	}
	return n, flush(true)
}
