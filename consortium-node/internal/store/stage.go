package store

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/tx"
)

// A staged block: committed in two steps, so that the next block can be
// built while this one's batch is written and fsynced.
//
// Stage checks a block against the tip and makes its state writes and
// transaction ids visible through Tip, the view the next block is built
// on; Staged.Write then writes the block's one batch with fsync and moves
// the head, exactly as Commit (Stage, then Write) does. At most one block
// is staged: Stage refuses another until the first is written (or its
// write failed), so memory stays bounded and a crash loses at most that
// one block, which was never durable.
//
// Nothing but Tip sees a staged block: Head, Get, Block, Receipts,
// Committed and every other reader answer from what is durable, and the
// head's applied index (Head.Applied) moves only when the batch is. A
// failed write drops the staged block (Tip is the head again): the
// database holds nothing of it, and goleveldb takes no more writes until
// it is reopened (WriteFailure).

// ErrStaged refuses a change of the head while a block is staged.
var ErrStaged = errors.New("store: a block is staged and not yet written")

// staged is a block that Stage accepted and Write has not made durable.
type staged struct {
	c      *Commit
	head   Head
	writes map[string]int // state key → its last write's index in c.Writes
	ids    map[tx.ID]struct{}
}

// Staged is a block accepted by Stage, to be written once with Write.
type Staged struct {
	s  *Store
	st *staged
}

// Head is the head the block makes once it is written.
func (p *Staged) Head() Head { return p.st.head }

// Stage checks that c extends the head (nothing else being staged) and
// makes it the tip: Tip's reads see its writes and its transactions as
// committed. It writes nothing; Write does. c must not change afterwards.
func (s *Store) Stage(c *Commit) (*Staged, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.staged.Load() != nil {
		return nil, fmt.Errorf("%w: staging block %d", ErrStaged, c.Block.Header.Height)
	}
	hd := &c.Block.Header
	if cur, ok := s.Head(); ok {
		if hd.Height != cur.Height+1 || hd.PrevHash != cur.Hash {
			return nil, fmt.Errorf("%w: block %d on head %d", ErrHeight, hd.Height, cur.Height)
		}
	} else if hd.Height != 0 {
		return nil, fmt.Errorf("%w: first block must be genesis, got %d", ErrHeight, hd.Height)
	}
	if len(c.Receipts) != len(c.Block.Txs) {
		return nil, fmt.Errorf("store: %d receipts for %d txs", len(c.Receipts), len(c.Block.Txs))
	}
	st := &staged{c: c, writes: make(map[string]int, len(c.Writes)), ids: make(map[tx.ID]struct{}, len(c.Receipts)),
		head: Head{Height: hd.Height, Hash: hd.Hash(), StateHash: hd.StateHash, Time: hd.Time, Applied: c.Applied}}
	for i, w := range c.Writes {
		st.writes[w.Key] = i
	}
	for _, r := range c.Receipts {
		st.ids[r.TxID] = struct{}{}
	}
	s.staged.Store(st)
	return &Staged{s: s, st: st}, nil
}

// Write writes the staged block in one fsynced batch and moves the head;
// on failure nothing of it is in the database and it is no longer staged.
// Call it once, from any goroutine.
func (p *Staged) Write() error {
	s, st := p.s, p.st
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.staged.Load() != st {
		return fmt.Errorf("store: block %d is not staged (written already?)", st.head.Height)
	}
	err := s.db.Write(batchOf(st.c, &st.head), &opt.WriteOptions{Sync: true})
	if err != nil {
		s.staged.Store(nil)
		return fmt.Errorf("store: committing block %d: %w", st.head.Height, err)
	}
	s.recent.committed(st.head.Height, st.c.Receipts)
	head := st.head
	s.head.Store(&head)
	s.staged.Store(nil) // after the head: Tip never sees neither
	return nil
}

// batchOf is the one batch that commits c with head as the new head.
func batchOf(c *Commit, head *Head) *leveldb.Batch {
	b := new(leveldb.Batch)
	for _, w := range c.Writes {
		if w.Deleted {
			b.Delete(key(pState, []byte(w.Key)))
		} else {
			b.Put(key(pState, []byte(w.Key)), w.Value)
		}
	}
	enc := func(v any) []byte { return codec.MustMarshal("store", v) }
	h := be64(head.Height)
	b.Put(key(pBlock, h), enc(c.Block))
	b.Put(key(pHash, head.Hash[:]), h)
	b.Put(key(pReceipt, h), enc(c.Receipts))
	b.Put(key(pSigs, h), enc(c.Signatures))
	for i, r := range c.Receipts {
		b.Put(key(pTx, r.TxID[:]), enc(&txLoc{Height: head.Height, Index: uint32(i)}))
	}
	b.Put(kHead, enc(head))
	return b
}

// Tip is the chain as the next block is built on it: the staged block, if
// one is, on top of what is durable. Its reads are safe for concurrent
// use; each answers at Head or, for a key Head's block did not write, at
// a later head if blocks were committed since the Tip was taken (as Get
// does).
type Tip struct {
	// Head is the staged block's head, or the durable head.
	Head Head
	s    *Store
	st   *staged
}

// Tip returns the tip now.
func (s *Store) Tip() Tip {
	if st := s.staged.Load(); st != nil {
		return Tip{Head: st.head, s: s, st: st}
	}
	h, _ := s.Head() // Write moves the head before it unstages
	return Tip{Head: h, s: s}
}

var _ exec.Reader = Tip{}

// Get reads a state key at the tip: the staged block's write of it, or
// the database's value.
func (t Tip) Get(k string) ([]byte, bool, error) {
	if t.st != nil {
		if i, ok := t.st.writes[k]; ok {
			w := t.st.c.Writes[i]
			if w.Deleted {
				return nil, false, nil
			}
			return w.Value, true, nil
		}
	}
	return t.s.Get(k)
}

// Committed reports whether a transaction is in a block up to the tip:
// the staged block's, or a durable one (Store.Committed).
func (t Tip) Committed(id tx.ID, expiry uint64) (bool, error) {
	if t.st != nil {
		if _, ok := t.st.ids[id]; ok {
			return true, nil
		}
	}
	return t.s.Committed(id, expiry)
}
