package smalldb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/opt"
)

// TestOpenOrMemory: an empty dir keeps the database in memory (nothing
// on disk); a dir is created and reopened with what was written; with
// Options(true) an existing database is refused.
func TestOpenOrMemory(t *testing.T) {
	cwd, _ := os.Getwd()
	mem, err := OpenOrMemory("", Options(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.Put([]byte("k"), []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	mem.Close()
	if _, err := os.Stat(filepath.Join(cwd, "LOCK")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the in-memory database wrote to the working folder: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "db")
	db, err := OpenOrMemory(dir, Options(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("k"), []byte("v"), &opt.WriteOptions{Sync: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenOrMemory(dir, Options(true)); err == nil {
		t.Fatal("Options(true) opened an existing database")
	}
	db, err = OpenOrMemory(dir, Options(false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Get([]byte("k"), nil); err != nil || string(v) != "v" {
		t.Fatalf("reopened: %q %v", v, err)
	}
}

// TestOptionsStrict: every check but recovery.
func TestOptionsStrict(t *testing.T) {
	o := Options(false)
	if o.Strict&opt.StrictRecovery != 0 || o.Strict|opt.StrictRecovery != opt.StrictAll || o.ErrorIfExist {
		t.Fatalf("options %+v", o)
	}
}
