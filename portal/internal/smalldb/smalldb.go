package smalldb

import (
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
)

// Options are the small databases' options: every strictness check but
// recovery. createNew refuses a folder that already holds a database (a
// restore or an import writes a fresh one).
func Options(createNew bool) *opt.Options {
	return &opt.Options{Strict: opt.StrictAll &^ opt.StrictRecovery, ErrorIfExist: createNew}
}

// OpenOrMemory opens or creates the database in dir with o, or one in
// memory when dir is empty.
func OpenOrMemory(dir string, o *opt.Options) (*leveldb.DB, error) {
	if dir == "" {
		return leveldb.Open(storage.NewMemStorage(), o)
	}
	return leveldb.OpenFile(dir, o)
}
