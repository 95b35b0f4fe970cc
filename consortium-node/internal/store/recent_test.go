package store_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
)

var recentSeed = flag.Uint64("store.seed", 0, "seed for the randomised replay-window tests (0: time-based)")

func seeded(t *testing.T) *rand.Rand {
	t.Helper()
	return testseed.Rand(t, *recentSeed, "-store.seed")
}

// windowTx is a committed transaction of the test chain: its id, the height
// of its block and its expiry, which a builder accepts only within the
// replay window of that height (mempool.Check: c <= expiry <= c+window).
type windowTx struct {
	id             tx.ID
	height, expiry uint64
}

// windowChain commits blocks of random sizes (some empty) and gives each
// transaction a random expiry the builder would accept at its height.
type windowChain struct {
	c      *chain
	r      *rand.Rand
	window uint64
	txs    []windowTx
}

func (w *windowChain) next(t *testing.T, s *store.Store) {
	t.Helper()
	cm := w.c.next(w.r.IntN(6))
	h := cm.Block.Header.Height
	for _, rc := range cm.Receipts {
		w.txs = append(w.txs, windowTx{id: rc.TxID, height: h, expiry: h + w.r.Uint64N(w.window+1)})
	}
	mustCommit(t, s, cm)
}

// check asks about every committed transaction with every expiry that
// could be its own, and about transactions never committed, at the
// store's head. The answer must be the tx index's; and for a transaction
// the replay window still lets enter the next block (mempool.Check passes)
// it must come from memory: no database read unless it is committed.
func (w *windowChain) check(t *testing.T, s *store.Store, fromMemory bool) {
	t.Helper()
	head, _ := s.Head()
	next := head.Height + 1
	admissible := func(expiry uint64) bool {
		probe := &tx.Signed{Body: tx.Body{ChainID: "test", Expiry: expiry}}
		return mempool.Check(probe, "test", next, w.window) == nil
	}
	ask := func(what string, id tx.ID, expiry uint64, want bool) {
		t.Helper()
		got, err := s.Committed(id, expiry)
		if err != nil || got != want {
			t.Fatalf("head %d, %s expiry %d: Committed = %v, %v; want %v", head.Height, what, expiry, got, err, want)
		}
		maybe, known := s.RecentLookup(id, expiry)
		if fromMemory && admissible(expiry) && (!known || maybe != want) {
			t.Fatalf("head %d, %s expiry %d (admissible at %d, window %d): from memory known=%v maybe=%v, want known, %v",
				head.Height, what, expiry, next, w.window, known, maybe, want)
		}
	}
	for _, x := range w.txs {
		// A repeat of it is the same bytes (the id is their hash), so the
		// same expiry.
		ask(fmt.Sprintf("tx of block %d with", x.height), x.id, x.expiry, true)
	}
	for i := range 20 {
		id := tx.HashID([]byte(fmt.Sprintf("never committed %d at %d", i, head.Height)))
		ask("a new tx with", id, next+w.r.Uint64N(w.window+1), false)
		if next > 1 {
			ask("an expired new tx with", id, w.r.Uint64N(next), false)
		}
	}
}

// TestCommittedReplayWindow: with TrackRecent, Committed answers exactly as
// the tx index does, for any transaction and expiry, on a chain whose
// blocks include each transaction only within the replay window; and every
// transaction that the window still admits is answered from memory, so
// keeping only the window's blocks is enough (a transaction outside it is
// refused by its expiry before anyone asks). After a restart, the blocks
// committed before tracking began are loaded (FillRecent), also after more
// blocks committed, and the same holds; before, the answers are exact too.
func TestCommittedReplayWindow(t *testing.T) {
	r := seeded(t)
	for round := range 4 {
		window := 1 + r.Uint64N(12)
		t.Run(fmt.Sprintf("round %d window %d", round, window), func(t *testing.T) {
			dir := t.TempDir()
			s, db := openStore(t, dir)
			w := &windowChain{c: newChain(t), r: r, window: window}
			if err := s.TrackRecent(window); err != nil {
				t.Fatal(err)
			}
			mustCommit(t, s, w.c.genesis())
			blocks := 3*int(window) + r.IntN(20)
			for range blocks / 2 {
				w.next(t, s)
				w.check(t, s, true)
			}
			db.Close()
			s, db = openStore(t, dir) // a restart: the window is read back
			defer db.Close()
			w.check(t, s, false) // not tracked: every answer from the tx index
			if err := s.TrackRecent(window); err != nil {
				t.Fatal(err)
			}
			// Blocks commit before the earlier ones are loaded (the node
			// loads them in the background), sometimes more than a window.
			for range r.IntN(int(window) + 3) {
				w.next(t, s)
				w.check(t, s, false)
			}
			if err := s.FillRecent(context.Background()); err != nil {
				t.Fatal(err)
			}
			w.check(t, s, true)
			for range blocks - blocks/2 {
				w.next(t, s)
				w.check(t, s, true)
			}
		})
	}
}

// TestCommittedRecentBound: when the window's transactions exceed the
// bound, the oldest blocks are let go early and what they could hold is
// read from the tx index: answers stay exact.
func TestCommittedRecentBound(t *testing.T) {
	r := seeded(t)
	s, _ := newStore(t)
	s.SetMaxRecent(8)
	w := &windowChain{c: newChain(t), r: r, window: 10}
	if err := s.TrackRecent(w.window); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, w.c.genesis())
	for range 40 {
		w.next(t, s)
		w.check(t, s, false)
	}
	// The newest block is always held: a new transaction that only it
	// could hold is answered from memory.
	head, _ := s.Head()
	if _, known := s.RecentLookup(tx.HashID([]byte("new")), head.Height+w.window); !known {
		t.Fatal("a transaction only the newest blocks could hold is not answered from memory")
	}
}

// TestCommittedWhileCommitting: a transaction in a block at or below the
// head read before asking is committed, whatever blocks commit meanwhile,
// whatever the window let go and while the earlier blocks are loaded
// (run with -race).
func TestCommittedWhileCommitting(t *testing.T) {
	r := seeded(t)
	s, _ := newStore(t)
	w := &windowChain{c: newChain(t), r: r, window: 8}
	if err := s.TrackRecent(w.window); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, w.c.genesis())
	const blocks = 60
	var commits []windowTx
	var cms []*store.Commit
	for range blocks {
		cm := w.c.next(1 + r.IntN(4))
		h := cm.Block.Header.Height
		for _, rc := range cm.Receipts {
			commits = append(commits, windowTx{id: rc.TxID, height: h, expiry: h + r.Uint64N(w.window+1)})
		}
		cms = append(cms, cm)
	}
	// Half the chain is committed before a restart, the rest while the
	// window is loaded in the background and an admission asks all along.
	for _, cm := range cms[:blocks/2] {
		mustCommit(t, s, cm)
	}
	if err := s.TrackRecent(w.window); err != nil { // as after a restart
		t.Fatal(err)
	}
	filled := make(chan error, 1)
	go func() { filled <- s.FillRecent(context.Background()) }()
	stop := make(chan struct{})
	wrong := make(chan string, 1)
	go func() { // an admission asking all along
		defer close(wrong)
		for {
			select {
			case <-stop:
				return
			default:
			}
			h, _ := s.Head()
			for _, x := range commits {
				if x.height > h.Height {
					break
				}
				if done, err := s.Committed(x.id, x.expiry); err != nil || !done {
					wrong <- fmt.Sprintf("tx of block %d at head %d: Committed = %v, %v", x.height, h.Height, done, err)
					return
				}
			}
		}
	}()
	for _, cm := range cms[blocks/2:] {
		mustCommit(t, s, cm)
	}
	if err := <-filled; err != nil {
		t.Fatal(err)
	}
	close(stop)
	if msg, ok := <-wrong; ok {
		t.Fatal(msg)
	}
}
