package readmodel

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/dbopt"
	"github.com/almoner/almoner/privacy/integrity"

	"github.com/almoner/almoner/portal/internal/smalldb"
)

// Errors of this package.
var (
	// ErrNotFound is returned by point reads of a missing record.
	ErrNotFound = errors.New("readmodel: not found")
	// ErrCorrupt marks a database that fails its checks or holds a record
	// that does not decode; delete the folder to rebuild it. It is
	// integrity.ErrFailed, on which the follower stops.
	ErrCorrupt = integrity.New("readmodel: corrupt index")
	// ErrChain means the node serves another chain than the index was
	// built from.
	ErrChain = errors.New("readmodel: the node serves another chain")
	// ErrModules means the index was built by another set of modules (an
	// older or newer portal): rebuild it from the node (Rebuildable).
	ErrModules = errors.New("readmodel: the index was built by other modules")
)

// Key prefixes of the core module; other modules write under
// "x/<module>/" (see Txn.Module).
var (
	kApplied = []byte("m/applied")
	kChain   = []byte("m/chain")
	kModules = []byte("m/modules")
	pBlock   = []byte("b/")
	pTx      = []byte("t/")
	pOrg     = []byte("o/")
	pMember  = []byte("u/")
	pNode    = []byte("n/")
	pModule  = []byte("x/")
)

func be64(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Store is the read model's database. Writes happen only through Apply
// (one goroutine: the Follower); reads are safe for concurrent use.
type Store struct {
	db      *leveldb.DB
	reg     *Registry
	applied atomic.Int64 // -1 when nothing is applied yet
	writeMu sync.Mutex
}

// Open opens or creates the index in dir ("" keeps it in memory, for
// tests) with the modules of reg, under the node store's strict goleveldb
// options and sizes (dbopt.Options).
func Open(dir string, reg *Registry) (*Store, error) {
	if reg == nil {
		return nil, errors.New("readmodel: a registry is required")
	}
	db, err := smalldb.OpenOrMemory(dir, dbopt.Options())
	if err != nil {
		if lerrors.IsCorrupted(err) {
			return nil, fmt.Errorf("%w: opening %s: %v (delete the folder to rebuild the index from the node)", ErrCorrupt, dir, err)
		}
		return nil, fmt.Errorf("readmodel: opening %s: %w", dir, err)
	}
	s := &Store{db: db, reg: reg}
	s.applied.Store(-1)
	v, err := db.Get(kApplied, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
	case err != nil:
		db.Close()
		return nil, fmt.Errorf("readmodel: reading applied height: %w", err)
	case len(v) != 8:
		db.Close()
		return nil, fmt.Errorf("%w: applied height has %d bytes", ErrCorrupt, len(v))
	default:
		s.applied.Store(int64(binary.BigEndian.Uint64(v)))
	}
	// The modules that build the index: an index built by others lacks
	// (or has) some modules' state, and must be rebuilt.
	want := []byte(strings.Join(reg.Modules(), "\n"))
	have, err := db.Get(kModules, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound) && s.applied.Load() < 0:
		if err := db.Put(kModules, want, &opt.WriteOptions{Sync: true}); err != nil {
			db.Close()
			return nil, fmt.Errorf("readmodel: %w", err)
		}
	case err != nil && !errors.Is(err, leveldb.ErrNotFound):
		db.Close()
		return nil, fmt.Errorf("readmodel: reading the module set: %w", err)
	case !bytes.Equal(have, want):
		db.Close()
		return nil, fmt.Errorf("%w: %s was built by modules [%s], this portal has [%s]; it is rebuilt from the node",
			ErrModules, dir, strings.ReplaceAll(string(have), "\n", " "), strings.Join(reg.Modules(), " "))
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Applied returns the height of the last applied block; ok is false while
// the index is empty.
func (s *Store) Applied() (height uint64, ok bool) {
	h := s.applied.Load()
	if h < 0 {
		return 0, false
	}
	return uint64(h), true
}

// ChainID returns the chain the index was built from ("" while empty).
func (s *Store) ChainID() string {
	v, err := s.db.Get(kChain, nil)
	if err != nil {
		return ""
	}
	return string(v)
}

// getJSON reads and decodes one record (ErrNotFound when there is none).
func getJSON[T any](s *Store, key string) (*T, error) {
	b, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("readmodel: read: %w", err)
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%w: record %q: %v", ErrCorrupt, key, err)
	}
	return v, nil
}

// Get reads a raw value of a module's key space (see Txn.Module).
func (s *Store) Get(module, key string) ([]byte, error) {
	b, err := s.db.Get(moduleKey(module, key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("readmodel: read: %w", err)
	}
	return b, nil
}

// Scan calls fn for the keys of a module's key space that start with
// prefix, in key order (reverse for descending), starting after the key
// after ("" for the first), until fn returns false. Keys are given without
// the module prefix.
func (s *Store) Scan(module, prefix, after string, reverse bool, fn func(key string, value []byte) bool) error {
	full := moduleKey(module, prefix)
	return s.scan(full, len(moduleKey(module, "")), []byte(after), reverse, func(k, v []byte) bool {
		return fn(string(k), v)
	})
}

// scan iterates the records under prefix; keys passed to fn lose their
// first strip bytes; after (already stripped) excludes itself and
// everything before it in the iteration order.
func (s *Store) scan(prefix []byte, strip int, after []byte, reverse bool, fn func(k, v []byte) bool) error {
	r := util.BytesPrefix(prefix)
	if len(after) > 0 {
		a := cat(prefix[:strip], after)
		if reverse {
			r.Limit = a
		} else {
			r.Start = append(a, 0)
		}
	}
	it := s.db.NewIterator(r, nil)
	defer it.Release()
	ok := it.First
	next := it.Next
	if reverse {
		ok, next = it.Last, it.Prev
	}
	for v := ok(); v; v = next() {
		if !fn(bytes.Clone(it.Key()[strip:]), bytes.Clone(it.Value())) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("readmodel: scan: %w", err)
	}
	return nil
}

func moduleKey(module, key string) []byte {
	return []byte("x/" + module + "/" + key)
}

// Txn is the write batch of one block, or of several consecutive blocks
// while the follower catches up: module handlers read (the batch's
// earlier writes included) and write through it; the follower commits it
// with the last block's height as the applied height in one fsynced write.
type Txn struct {
	s       *Store
	pending map[string][]byte // nil value: deleted
	module  string            // "" for the core module
	// last is the height of the last block applied into the batch (-1:
	// none yet) and chain its chain: a batch may hold several blocks
	// while the follower catches up.
	last  int64
	chain string
}

func (s *Store) newTxn() *Txn {
	return &Txn{s: s, pending: map[string][]byte{}, last: -1}
}

// Module returns a view of the same batch whose keys live under the named
// module's prefix "x/<name>/". Domain modules use only this view.
func (t *Txn) Module(name string) *Txn {
	return &Txn{s: t.s, pending: t.pending, module: name, last: -1}
}

func (t *Txn) full(key string) []byte {
	if t.module == "" {
		return []byte(key)
	}
	return moduleKey(t.module, key)
}

// Get reads key, seeing this block's earlier writes.
func (t *Txn) Get(key string) ([]byte, bool, error) {
	return t.getFull(t.full(key))
}

func (t *Txn) getFull(k []byte) ([]byte, bool, error) {
	if v, ok := t.pending[string(k)]; ok {
		return v, v != nil, nil
	}
	v, err := t.s.db.Get(k, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("readmodel: read: %w", err)
	}
	return v, true, nil
}

// CoreMember reads a member from the core module's directory as this batch
// sees it (whatever module t is scoped to): domain modules may read the
// directory, to record who someone was at the time, never write it.
func (t *Txn) CoreMember(id string) (*Member, bool, error) {
	b, ok, err := t.getFull([]byte(memberKey(id)))
	if err != nil || !ok {
		return nil, false, err
	}
	var m Member
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, false, fmt.Errorf("%w: member %q: %v", ErrCorrupt, id, err)
	}
	return &m, true, nil
}

// Put writes key.
func (t *Txn) Put(key string, value []byte) { t.putFull(t.full(key), value) }

// Delete removes key.
func (t *Txn) Delete(key string) { t.pending[string(t.full(key))] = nil }

func (t *Txn) putFull(k, v []byte) {
	if v == nil {
		v = []byte{}
	}
	t.pending[string(k)] = v
}

// PutJSON writes a JSON-encoded record.
func (t *Txn) PutJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("readmodel: encoding %q: %w", key, err)
	}
	t.Put(key, b)
	return nil
}

// GetJSON reads and decodes a record; ok is false if it is missing.
func (t *Txn) GetJSON(key string, v any) (bool, error) {
	b, ok, err := t.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%w: record %q: %v", ErrCorrupt, key, err)
	}
	return true, nil
}

// LoadJSON reads and decodes the record at key into a new T; ok is false
// if it is missing.
func LoadJSON[T any](t *Txn, key string) (v *T, ok bool, err error) {
	v = new(T)
	if ok, err = t.GetJSON(key, v); err != nil || !ok {
		return nil, ok, err
	}
	return v, true, nil
}

// MustLoadJSON is LoadJSON of a record a module's events say exists: a
// missing one is an error wrapping marker (the module's, which wraps
// ErrCorrupt): the chain's events and the index disagree. what names the
// record in the error ("unknown <what>").
func MustLoadJSON[T any](t *Txn, key string, marker error, what string) (*T, error) {
	v, ok, err := LoadJSON[T](t, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown %s", marker, what)
	}
	return v, nil
}

// Seq is the key suffix that orders index entries by where they happened:
// the height and the transaction's index in its block, fixed-width hex.
func Seq(height uint64, txIndex int) string { return fmt.Sprintf("%016x.%06x", height, txIndex) }

// commit writes the pending records and the applied height in one fsynced
// batch.
func (t *Txn) commit(height uint64, chainID string) error {
	// Sized up front: goleveldb grows a batch of more than 3,000 records
	// by ever smaller steps, copying it each time (a catch-up batch of
	// several blocks spent a fifth of the portal's CPU there).
	size := 64 + len(chainID)
	for k, v := range t.pending {
		size += len(k) + len(v) + 1 + 2*binary.MaxVarintLen32
	}
	b := new(leveldb.Batch)
	if err := b.Load(make([]byte, 0, size)); err != nil { // an empty buffer of that capacity
		return fmt.Errorf("readmodel: committing block %d: %w", height, err)
	}
	for k, v := range t.pending {
		if v == nil {
			b.Delete([]byte(k))
		} else {
			b.Put([]byte(k), v)
		}
	}
	b.Put(kApplied, be64(height))
	b.Put(kChain, []byte(chainID))
	if err := t.s.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("readmodel: committing block %d: %w", height, err)
	}
	t.s.applied.Store(int64(height))
	return nil
}

// validModuleName reports whether name can prefix a module key space.
func validModuleName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "/\x00") && len(name) <= 64
}
