package session

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/almoner/almoner/portal/internal/smalldb"
)

// Records calls fn with every record of the accounts database (accounts,
// sessions, API tokens) in key order, all read from one snapshot taken
// when Records is called: a consistent copy for a backup, read while the
// store keeps serving. fn must not keep key or value after it returns; an
// error from fn stops the walk and is returned.
func (s *Store) Records(fn func(key, value []byte) error) error {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return fmt.Errorf("session: snapshot: %w", err)
	}
	defer snap.Release()
	it := snap.NewIterator(nil, &opt.ReadOptions{DontFillCache: true})
	defer it.Release()
	for it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Loader writes the records of a backup (Records) into a new accounts
// database, for a restore. Not safe for concurrent use.
type Loader struct {
	db   *leveldb.DB
	b    *leveldb.Batch
	size int
}

// NewLoader creates the accounts database in dir, which must not hold
// one already.
func NewLoader(dir string) (*Loader, error) {
	db, err := leveldb.OpenFile(dir, smalldb.Options(true))
	if err != nil {
		return nil, fmt.Errorf("session: creating %s: %w", dir, err)
	}
	return &Loader{db: db, b: new(leveldb.Batch)}, nil
}

// Put adds a record.
func (l *Loader) Put(key, value []byte) error {
	l.b.Put(key, value)
	l.size += len(key) + len(value)
	if l.size >= 4<<20 {
		return l.flush()
	}
	return nil
}

func (l *Loader) flush() error {
	if l.b.Len() == 0 {
		return nil
	}
	err := l.db.Write(l.b, syncWrite)
	l.b.Reset()
	l.size = 0
	return err
}

// Close writes what is left, durably, and closes the database.
func (l *Loader) Close() error {
	return errors.Join(l.flush(), l.db.Close())
}
