package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/dbopt"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/integrity"
)

// Errors returned by the store. ErrCorrupt marks integrity failures; it is
// integrity.ErrFailed.
var (
	ErrNotFound = errors.New("store: not found")
	ErrCorrupt  = integrity.New("store: corrupt data")
	ErrHeight   = errors.New("store: block does not extend the head")
)

// Options are the strict goleveldb options of the node's database: the
// sizes and checks every large Almoner database uses (dbopt.Options:
// journal and manifest corruption is an error, never silently dropped; one
// fsynced batch per commit), and an iterator that meets a block failing its
// checksum stops with an error (StrictReader) instead of skipping the
// block.
func Options() *opt.Options {
	o := dbopt.Options()
	o.Strict |= opt.StrictReader
	return o
}

// OpenDB opens or creates the database in dir with strict options; see
// OpenDBReport.
func OpenDB(dir string) (*leveldb.DB, error) {
	db, _, err := OpenDBReport(dir)
	return db, err
}

// OpenDBReport opens the database with strict checks. If the only problem
// is a torn journal tail — a write cut off by a crash, which was never
// fsynced and so never acknowledged — it reopens once without the strict
// journal structure check (checksums, the manifest and table blocks stay
// strict) so that goleveldb drops that tail, and reports droppedTail. Any
// other corruption is an error that says what to do.
func OpenDBReport(dir string) (db *leveldb.DB, droppedTail bool, err error) {
	db, err = leveldb.OpenFile(dir, Options())
	if err != nil && lerrors.IsCorrupted(err) && strings.Contains(err.Error(), "leveldb/journal") {
		o := Options()
		o.Strict &^= opt.StrictJournal
		db, err = leveldb.OpenFile(dir, o)
		droppedTail = err == nil
	}
	if err != nil {
		if lerrors.IsCorrupted(err) {
			return nil, false, fmt.Errorf("%w: opening %s: %v (the database failed its journal or manifest checks; restore it from a backup or resync the node)", ErrCorrupt, dir, err)
		}
		return nil, false, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	return db, droppedTail, nil
}

var (
	pState   = []byte("s/")
	pBlock   = []byte("b/")
	pHash    = []byte("h/")
	pReceipt = []byte("r/")
	pSigs    = []byte("g/")
	pTx      = []byte("t/")
	kHead    = []byte("m/head")
)

func key(prefix []byte, parts ...[]byte) []byte {
	k := append([]byte(nil), prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be64(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

// Head is the last committed block.
type Head struct {
	_         struct{}    `cbor:",toarray"`
	Height    uint64      `json:"height"`
	Hash      ledger.Hash `json:"hash"`
	StateHash ledger.Hash `json:"state_hash"`
	Time      int64       `json:"time"`
	// Applied is the raft log index this head was applied from.
	Applied uint64 `json:"applied"`
}

type txLoc struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
	Index  uint32
}

// Store is the node's committed data. Commit (or Stage) is called by one
// goroutine, a staged block's Write by any; every reader is safe for
// concurrent use. With TrackRecent, it keeps the
// ids of the replay window's transactions in memory (recent.go).
type Store struct {
	db      *leveldb.DB
	head    atomic.Pointer[Head]
	staged  atomic.Pointer[staged] // the block Stage accepted and Write has not written (stage.go)
	writeMu sync.Mutex
	recent  recentTxs
}

// New wraps an open database and loads its head, if it holds a chain
// (Head reports whether it does).
func New(db *leveldb.DB) (*Store, error) {
	s := &Store{db: db}
	b, err := db.Get(kHead, nil)
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("store: reading head: %w", err)
	}
	var h Head
	if err := codec.Ledger.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%w: head record: %v", ErrCorrupt, err)
	}
	s.head.Store(&h)
	return s, nil
}

// DB returns the underlying database (for the raft log).
func (s *Store) DB() *leveldb.DB { return s.db }

// Head returns the last committed block, and false before genesis.
func (s *Store) Head() (Head, bool) {
	h := s.head.Load()
	if h == nil {
		return Head{}, false
	}
	return *h, true
}

// Get reads a state key; it implements exec.Reader.
func (s *Store) Get(k string) ([]byte, bool, error) {
	v, err := s.db.Get(key(pState, []byte(k)), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: reading state: %w", err)
	}
	return v, true, nil
}

var _ exec.Reader = (*Store)(nil)

// Commit is one block with everything derived from it.
type Commit struct {
	Block      *ledger.Block
	Receipts   []ledger.Receipt
	Writes     []ledger.StateWrite
	Signatures []ledger.HeaderSignature
	// Applied is the raft index the block came from.
	Applied uint64
}

// Commit writes a block in one fsynced batch and moves the head: Stage,
// then Write.
func (s *Store) Commit(c *Commit) error {
	p, err := s.Stage(c)
	if err != nil {
		return err
	}
	return p.Write()
}

// SetApplied records that raft entries up to idx were applied without
// producing a block. It is not fsynced: if lost, those entries are applied
// again after a restart and, being deterministic, again produce no block.
func (s *Store) SetApplied(idx uint64) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.staged.Load() != nil { // its Write moves the applied index
		return fmt.Errorf("%w: recording applied index %d", ErrStaged, idx)
	}
	cur, ok := s.Head()
	if !ok || idx <= cur.Applied {
		return nil
	}
	cur.Applied = idx
	b, err := codec.Marshal(&cur)
	if err != nil {
		return err
	}
	if err := s.db.Put(kHead, b, nil); err != nil {
		return fmt.Errorf("store: recording applied index: %w", err)
	}
	s.head.Store(&cur)
	return nil
}

func (s *Store) get(k []byte, v any, what string) error {
	b, err := s.db.Get(k, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	if err != nil {
		return fmt.Errorf("store: reading %s: %w", what, err)
	}
	if err := codec.Ledger.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
	}
	return nil
}

// Block returns the block at height.
func (s *Store) Block(height uint64) (*ledger.Block, error) {
	var b ledger.Block
	if err := s.get(key(pBlock, be64(height)), &b, fmt.Sprintf("block %d", height)); err != nil {
		return nil, err
	}
	if b.Header.Height != height {
		return nil, fmt.Errorf("%w: block stored at height %d says height %d", ErrCorrupt, height, b.Header.Height)
	}
	return &b, nil
}

// HeightOf returns the height of the block with the given header hash.
func (s *Store) HeightOf(hash ledger.Hash) (uint64, error) {
	b, err := s.db.Get(key(pHash, hash[:]), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, fmt.Errorf("%w: block %s", ErrNotFound, hash)
	}
	if err != nil {
		return 0, fmt.Errorf("store: reading block index: %w", err)
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: block index entry for %s", ErrCorrupt, hash)
	}
	return binary.BigEndian.Uint64(b), nil
}

// Receipts returns the receipts of the block at height.
func (s *Store) Receipts(height uint64) ([]ledger.Receipt, error) {
	var rs []ledger.Receipt
	if err := s.get(key(pReceipt, be64(height)), &rs, fmt.Sprintf("receipts of block %d", height)); err != nil {
		return nil, err
	}
	return rs, nil
}

// Signatures returns the node signatures over the header at height.
func (s *Store) Signatures(height uint64) ([]ledger.HeaderSignature, error) {
	var sigs []ledger.HeaderSignature
	if err := s.get(key(pSigs, be64(height)), &sigs, fmt.Sprintf("signatures of block %d", height)); err != nil {
		return nil, err
	}
	return sigs, nil
}

// TxLocation returns where a committed transaction is; ok is false when
// the id was never committed.
func (s *Store) TxLocation(id tx.ID) (height uint64, index int, ok bool, err error) {
	var loc txLoc
	err = s.get(key(pTx, id[:]), &loc, "tx "+id.String())
	if errors.Is(err, ErrNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	return loc.Height, int(loc.Index), true, nil
}

// AddSignature records another node's signature over the header at height
// (if that node has not signed it yet). It is not fsynced: a lost
// signature is sent again by its node or fetched from peers.
func (s *Store) AddSignature(height uint64, sig ledger.HeaderSignature) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sigs, err := s.Signatures(height)
	if err != nil {
		return err
	}
	for _, have := range sigs {
		if have.Node == sig.Node {
			return nil
		}
	}
	b, err := codec.Marshal(append(sigs, sig))
	if err != nil {
		return err
	}
	if err := s.db.Put(key(pSigs, be64(height)), b, nil); err != nil {
		return fmt.Errorf("store: adding signature to block %d: %w", height, err)
	}
	return nil
}

// ScanState calls fn for every committed state key with the given prefix,
// in key order, until fn returns false. It is for reads outside execution
// (status, operations); contracts do point reads only.
func (s *Store) ScanState(prefix string, fn func(key string, value []byte) bool) error {
	it := s.db.NewIterator(util.BytesPrefix(key(pState, []byte(prefix))), nil)
	defer it.Release()
	for it.Next() {
		if !fn(string(it.Key()[len(pState):]), it.Value()) {
			break
		}
	}
	return it.Error()
}

var kHalt = []byte("m/halt")

// SetHalted records durably why the node halted, so that a restart does
// not resume serving a state the consortium disagrees with.
func (s *Store) SetHalted(reason string) error {
	return s.db.Put(kHalt, []byte(reason), &opt.WriteOptions{Sync: true})
}

// Halted returns the recorded halt reason, if any.
func (s *Store) Halted() (string, bool, error) {
	b, err := s.db.Get(kHalt, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}
