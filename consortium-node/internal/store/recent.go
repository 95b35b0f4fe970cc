package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// MaxRecentTxs bounds the transaction ids the store keeps in memory for
// Committed (about 40 bytes each: 40 MiB). Beyond it the oldest blocks are
// let go before they leave the replay window, and a question about a
// transaction those blocks could hold reads the tx index instead.
const MaxRecentTxs = 1 << 20

// recentTxs holds the ids of the transactions in the blocks from height low
// to the head, every one of them, so that "is this transaction committed?"
// is answered without a database read for any transaction whose expiry
// lets it be only in those blocks.
//
// Why the replay window is enough: a block at height c includes a
// transaction only if c <= expiry <= c+window (mempool.Check, by the block
// builder and so by every block of the chain), so a transaction with a
// given expiry can be in no block below expiry-window. A transaction that
// may still enter a block (the next block is head+1, so expiry >= head+1)
// can therefore be in no block below head+1-window, and blocks older than
// that are let go as blocks pass. One that could be in an older block than
// low (an expired one, or asked about while a block is being let go) is
// looked up in the tx index: the answer is the same either way.
//
// Ids are kept by their first 8 bytes (SHA-256 output: uniform); a match
// is confirmed in the tx index, so a collision costs a read, never a wrong
// answer, and a match only happens for a real duplicate.
type recentTxs struct {
	mu     sync.RWMutex
	on     bool
	window uint64
	max    int
	low    uint64            // the lowest height held; every block from it to the head is
	from   uint64            // the first block held by TrackRecent (FillRecent loads those below)
	byID   map[uint64]uint64 // id prefix → the highest held height with an id of that prefix
	blocks []recentBlock     // held blocks in height order, the first at low
	n      int               // ids in blocks
}

type recentBlock struct {
	height uint64
	ids    []uint64
}

func idPrefix(id tx.ID) uint64 { return binary.BigEndian.Uint64(id[:8]) }

// TrackRecent makes Committed answer from memory for every transaction the
// replay window (genesis.Params.ReplayWindow) still lets enter a block:
// from now on Commit adds each block's transaction ids and lets go of the
// blocks no longer needed. The blocks already committed are loaded by
// FillRecent; until then a transaction they could hold is looked up in the
// tx index (as is any that only blocks let go of early could hold). Call it
// once, before blocks are committed concurrently.
func (s *Store) TrackRecent(window uint64) error {
	if window == 0 {
		return fmt.Errorf("store: a replay window of 0 blocks")
	}
	r := &s.recent
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.window, r.byID, r.blocks, r.n = true, window, make(map[uint64]uint64), nil, 0
	if r.max == 0 {
		r.max = MaxRecentTxs
	}
	r.low = 0 // no block yet: every block will be held
	if head, ok := s.Head(); ok {
		r.low = head.Height + 1
	}
	r.from = r.low
	return nil
}

// FillRecent loads the ids of the transactions of the replay window's blocks
// committed before TrackRecent (their receipts, newest first, up to the
// bound), so that Committed answers them from memory too. It is safe to run
// while blocks commit and Committed is asked (the node runs it in the
// background after starting: a window of full blocks is up to a million
// receipts to read), and stops early, with ctx's error, when ctx ends.
func (s *Store) FillRecent(ctx context.Context) error {
	r := &s.recent
	r.mu.RLock()
	on, window, from, maxIDs := r.on, r.window, r.from, r.max
	r.mu.RUnlock()
	if !on || from == 0 {
		return nil // nothing was committed before tracking began
	}
	oldest := lowFor(from-1, window) // the oldest block a transaction admissible then can be in
	var (
		loaded []recentBlock // newest first
		n      int
	)
	for h := from - 1; n < maxIDs; h-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		rs, err := s.Receipts(h)
		if err != nil {
			return fmt.Errorf("store: loading the replay window's transactions: %w", err)
		}
		b := recentBlock{height: h, ids: make([]uint64, len(rs))}
		for i := range rs {
			b.ids[i] = idPrefix(rs[i].TxID)
		}
		loaded, n = append(loaded, b), n+len(b.ids)
		if h == oldest {
			break
		}
	}
	slices.Reverse(loaded)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Only blocks right below the oldest held one keep every block from low
	// on held; if the window passed that one meanwhile, they are not needed.
	if len(loaded) == 0 || r.from != from || r.low != from {
		return nil
	}
	for _, b := range loaded {
		for _, p := range b.ids {
			if _, newer := r.byID[p]; !newer { // a held block is newer: it stays
				r.byID[p] = b.height
			}
		}
	}
	r.blocks = append(loaded, r.blocks...)
	r.n += n
	head := from - 1
	if len(r.blocks) > 0 {
		head = r.blocks[len(r.blocks)-1].height
	}
	r.trim(lowFor(head, window))
	return nil
}

// lowFor is the lowest height a transaction that may enter the block after
// head can be in: head+1-window, or 0.
func lowFor(head, window uint64) uint64 {
	if head+1 > window {
		return head + 1 - window
	}
	return 0
}

// committed adds a block just written and lets go of the blocks that no
// transaction still allowed in a block can be in.
func (r *recentTxs) committed(height uint64, rs []ledger.Receipt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return
	}
	r.add(height, rs)
	r.trim(lowFor(height, r.window))
}

// trim lets go of the blocks below low, and of the oldest blocks while more
// than max ids are held (always keeping the newest block); r.mu must be
// held.
func (r *recentTxs) trim(low uint64) {
	for len(r.blocks) > 1 && (r.blocks[0].height < low || r.n > r.max) {
		r.drop()
	}
	if len(r.blocks) > 0 {
		r.low = r.blocks[0].height
	}
}

// add appends the block at height; r.mu must be held.
func (r *recentTxs) add(height uint64, rs []ledger.Receipt) {
	b := recentBlock{height: height, ids: make([]uint64, len(rs))}
	for i := range rs {
		p := idPrefix(rs[i].TxID)
		b.ids[i] = p
		r.byID[p] = height
	}
	r.blocks = append(r.blocks, b)
	r.n += len(b.ids)
}

// drop lets go of the oldest held block; r.mu must be held.
func (r *recentTxs) drop() {
	b := r.blocks[0]
	for _, p := range b.ids {
		if r.byID[p] == b.height { // no later block holds an id of this prefix
			delete(r.byID, p)
		}
	}
	r.blocks[0] = recentBlock{}
	r.blocks = r.blocks[1:]
	r.n -= len(b.ids)
}

// lookup answers from memory: known is false when the blocks a transaction
// with this expiry may be in are not all held (or nothing is tracked);
// otherwise maybe says whether an id of its prefix is held (to be
// confirmed).
func (r *recentTxs) lookup(id tx.ID, expiry uint64) (maybe, known bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	// Blocks from expiry-window on may hold it; all of them are held when
	// that is at or above low (or low is 0: every block is held).
	if !r.on || (r.low > 0 && (expiry < r.window || expiry-r.window < r.low)) {
		return false, false
	}
	_, maybe = r.byID[idPrefix(id)]
	return maybe, true
}

// Committed reports whether the transaction id, whose expiry height is
// expiry, is in a committed block. With TrackRecent on, a transaction that
// the replay window still lets enter a block is answered from memory, with
// no database read unless it is committed (confirmed in the tx index);
// anything else reads the tx index. The answer is exact at the head when it
// returns; one asked while a block commits may not see that block yet, as
// if asked just before.
func (s *Store) Committed(id tx.ID, expiry uint64) (bool, error) {
	if maybe, known := s.recent.lookup(id, expiry); known && !maybe {
		return false, nil
	}
	_, _, ok, err := s.TxLocation(id)
	return ok, err
}
