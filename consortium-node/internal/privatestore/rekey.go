package privatestore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/privacy/envelope"
)

// ErrRekey is wrapped by Rekey's refusals: a data key that the old node
// key does not open (the wrong key file, or a store of another node).
var ErrRekey = errors.New("privatestore: cannot rewrap the stored data keys")

// rekeyBatch bounds the versions rewrapped per write.
const rekeyBatch = 512

// Rekey rewraps the data key of every version stored in db, and of every
// staged upload, from the node that holds them (oldID, with its X-Wing
// key oldKey) to another node (newID, whose X-Wing public key is newPub):
// the restore of a node's backup under a new node identity
// (docs/decisions/0016). Ciphertexts and erasure tombstones are left as
// they are. It returns how many keys it rewrapped.
//
// db must not be in use by a node while Rekey runs. Each batch is written
// with fsync; a Rekey that fails part-way leaves some keys rewrapped, so
// its caller works on a staging copy and discards it on error.
func Rekey(db *leveldb.DB, oldID string, oldKey *envelope.ReaderKey, newID string, newPub []byte) (int, error) {
	if oldKey == nil || len(newPub) == 0 || oldID == "" || newID == "" {
		return 0, fmt.Errorf("%w: the old node's key and id and the new node's public key and id are required", ErrRekey)
	}
	b := new(leveldb.Batch)
	n := 0
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := db.Write(b, &opt.WriteOptions{Sync: true})
		b.Reset()
		return err
	}
	// Records' data keys, then notes' (notes.go: version 1 of the note id).
	for _, pfx := range []string{prefix + "dk/", prefix + "ndk/"} {
		k, err := rekeyPrefix(db, b, pfx, oldID, oldKey, newID, newPub, flush)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, flush()
}

// rekeyPrefix rewraps the data keys under pfx into b, flushing as it
// goes; it returns how many it rewrapped.
func rekeyPrefix(db *leveldb.DB, b *leveldb.Batch, pfx, oldID string, oldKey *envelope.ReaderKey, newID string,
	newPub []byte, flush func() error) (int, error) {
	it := db.NewIterator(util.BytesPrefix([]byte(pfx)), nil)
	defer it.Release()
	n := 0
	for it.Next() {
		id, v := strings.TrimPrefix(string(it.Key()), prefix+"ndk/"), uint64(noteVersion)
		var err error
		if pfx == prefix+"dk/" {
			id, v, err = parseKeyKey(it.Key())
		}
		if err != nil {
			return n, err
		}
		dk, err := envelope.Unwrap(oldKey, oldID, it.Value(), id, v)
		if err != nil {
			return n, fmt.Errorf("%w: the data key of record %q version %d does not open with node %q's key: %v "+
				"(give the key file of the node the backup was taken from)", ErrRekey, id, v, oldID, err)
		}
		wrapped, err := envelope.Wrap(nil, newPub, newID, dk, id, v)
		dk.Destroy()
		if err != nil {
			return n, fmt.Errorf("privatestore: wrapping the data key of %q version %d for %q: %w", id, v, newID, err)
		}
		b.Put(append([]byte(nil), it.Key()...), wrapped)
		n++
		if b.Len() >= rekeyBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, it.Error()
}

// parseKeyKey splits a data key's database key (keyKey, or
// stagedKeyKey: a staged upload's key is bound to its record and version
// alike).
func parseKeyKey(k []byte) (string, uint64, error) {
	rest := strings.TrimPrefix(string(k), prefix+"dk/")
	if isStaged(rest) {
		rest = rest[:strings.LastIndexByte(rest, '/')]
	}
	id, v, err := splitVersion(rest)
	if err != nil {
		return "", 0, fmt.Errorf("privatestore: malformed data key entry %q", k)
	}
	return id, v, nil
}
