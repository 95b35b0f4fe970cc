package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/syndtr/goleveldb/leveldb/journal"
)

// goleveldb's manifest record fields (leveldb/session_record.go): each
// starts with a uvarint tag; numbers are uvarints, byte strings a uvarint
// length and the bytes.
const (
	mfComparer    = 1
	mfJournalNum  = 2
	mfNextFileNum = 3
	mfSeqNum      = 4
	mfCompPtr     = 5
	mfDelTable    = 6
	mfAddTable    = 7
	mfPrevJournal = 9
)

// liveTables returns the numbers of the tables the manifest at path lists
// in the database's current version. A table file in the folder that it
// does not list is not part of the database: a compaction's output cut off
// by a crash before the manifest recorded it, which goleveldb deletes when
// it opens the database. Records after a torn tail are not read (they were
// never acknowledged).
func liveTables(path string) (map[int64]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	live := map[int64]bool{}
	jr := journal.NewReader(f, nil, false, true)
	for {
		r, err := jr.Next()
		if errors.Is(err, io.EOF) {
			return live, nil
		}
		if err != nil {
			return live, nil // a torn tail: scanJournal has judged it
		}
		rec, err := io.ReadAll(r)
		if err != nil {
			return live, nil
		}
		if err := applyManifestRecord(bytes.NewReader(rec), live); err != nil {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
	}
}

func applyManifestRecord(r *bytes.Reader, live map[int64]bool) error {
	u := func() (uint64, error) { return binary.ReadUvarint(r) }
	skipBytes := func() error {
		n, err := u()
		if err != nil {
			return err
		}
		if n > uint64(r.Len()) {
			return io.ErrUnexpectedEOF
		}
		_, err = r.Seek(int64(n), io.SeekCurrent)
		return err
	}
	for r.Len() > 0 {
		tag, err := u()
		if err != nil {
			return err
		}
		switch tag {
		case mfComparer:
			err = skipBytes()
		case mfJournalNum, mfNextFileNum, mfSeqNum, mfPrevJournal:
			_, err = u()
		case mfCompPtr:
			if _, err = u(); err == nil {
				err = skipBytes()
			}
		case mfDelTable:
			var num uint64
			if _, err = u(); err == nil {
				if num, err = u(); err == nil {
					delete(live, int64(num))
				}
			}
		case mfAddTable:
			var num uint64
			if _, err = u(); err == nil { // level
				if num, err = u(); err == nil {
					if _, err = u(); err == nil { // size
						if err = skipBytes(); err == nil { // smallest key
							err = skipBytes() // largest key
						}
					}
				}
			}
			if err == nil {
				live[int64(num)] = true
			}
		default:
			return fmt.Errorf("unknown manifest field %d", tag)
		}
		if err != nil {
			return fmt.Errorf("malformed manifest record: %w", err)
		}
	}
	return nil
}
