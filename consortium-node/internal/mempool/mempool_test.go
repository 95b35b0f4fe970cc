package mempool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

const (
	chainID = "test-chain"
	window  = 100
)

// fakeLedger is an in-memory mempool.Ledger.
type fakeLedger struct {
	mu        sync.Mutex
	next      uint64
	committed map[tx.ID]bool
	err       error
	// When arrived is set, Committed sends on it; when gate is set,
	// Committed then blocks until gate is closed.
	arrived chan struct{}
	gate    chan struct{}
}

var _ mempool.Ledger = (*fakeLedger)(nil)

func newLedger(next uint64) *fakeLedger {
	return &fakeLedger{next: next, committed: map[tx.ID]bool{}}
}

func (l *fakeLedger) NextHeight() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next
}

func (l *fakeLedger) Committed(id tx.ID, _ uint64) (bool, error) {
	l.mu.Lock()
	done, err, arrived, gate := l.committed[id], l.err, l.arrived, l.gate
	l.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if gate != nil {
		<-gate
	}
	return done, err
}

func (l *fakeLedger) commit(ids ...tx.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.committed[id] = true
	}
}

func newPool(t *testing.T, l mempool.Ledger, mod func(*mempool.Config)) *mempool.Pool {
	t.Helper()
	cfg := mempool.Config{ChainID: chainID, ReplayWindow: window, Workers: 4, Authenticate: newMembers(t).authenticate}
	if mod != nil {
		mod(&cfg)
	}
	p, err := mempool.New(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

var testKey = func() *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{7}, sign.Ed25519SeedSize))
	if err != nil {
		panic(err)
	}
	return k
}()

// mkTx signs a transaction of org/alice with testKey (signTx).
func mkTx(t testing.TB, nonce uint64, mod func(*tx.Body)) []byte {
	t.Helper()
	return signTx(t, "org/alice", testKey, nonce, mod)
}

// signTx signs a transaction of sender with key: an identity.noop with
// nonce, expiring 10 blocks after height 1, unless mod changes the body.
func signTx(t testing.TB, sender string, key *sign.PrivateKey, nonce uint64, mod func(*tx.Body)) []byte {
	t.Helper()
	b := tx.Body{ChainID: chainID, Sender: sender, Nonce: nonce, Expiry: 10,
		Call: tx.Call{Contract: "identity", Method: "noop", Args: tx.Args{tx.Uint("n", nonce)}}}
	if mod != nil {
		mod(&b)
	}
	raw, err := tx.SignEncoded(b, key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func badSig(t testing.TB, nonce uint64) []byte {
	t.Helper()
	return flipSig(t, mkTx(t, nonce, nil), 3, 0x10)
}

// flipSig returns raw with the bits mask of its signature's byte i flipped.
func flipSig(t testing.TB, raw []byte, i int, mask byte) []byte {
	t.Helper()
	s, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.Signature.Sig[i] ^= mask
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(raws ...[]byte) []tx.ID {
	out := make([]tx.ID, len(raws))
	for i, r := range raws {
		out[i] = tx.HashID(r)
	}
	return out
}

func entryIDs(es []*mempool.Entry) []tx.ID {
	out := make([]tx.ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func add(t *testing.T, p *mempool.Pool, raws ...[]byte) []mempool.Result {
	t.Helper()
	res, err := p.Add(context.Background(), raws)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(raws) {
		t.Fatalf("%d results for %d txs", len(res), len(raws))
	}
	for i, r := range res {
		if r.ID != tx.HashID(raws[i]) {
			t.Fatalf("result %d is for %s, want %s", i, r.ID, tx.HashID(raws[i]))
		}
	}
	return res
}

func mustAdd(t *testing.T, p *mempool.Pool, raws ...[]byte) {
	t.Helper()
	for i, r := range add(t, p, raws...) {
		if r.Err != nil {
			t.Fatalf("tx %d rejected: %v", i, r.Err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  mempool.Config
		want string
	}{
		{"no chain", mempool.Config{ReplayWindow: 1, Authenticate: allowAll}, "chain id is required"},
		{"no window", mempool.Config{ChainID: "c", Authenticate: allowAll}, "replay window is required"},
		{"no member check", mempool.Config{ChainID: "c", ReplayWindow: 1}, "Authenticate is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			if _, err := mempool.New(tc.cfg, newLedger(1)); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
	c := mempool.Config{ChainID: "c", ReplayWindow: 1, Authenticate: allowAll}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.MaxPending != 200_000 || c.Workers < 1 {
		t.Errorf("defaults: MaxPending %d Workers %d", c.MaxPending, c.Workers)
	}
}

func TestCheckBoundaries(t *testing.T) {
	const h, w = 50, 20
	for _, tc := range []struct {
		name   string
		chain  string
		expiry uint64
		want   error
		msg    string
	}{
		{"expiry one below height", chainID, h - 1, mempool.ErrExpired, "expired at height 49, next block is 50"},
		{"expiry long gone", chainID, 1, mempool.ErrExpired, "expired at height 1, next block is 50"},
		{"expiry == height", chainID, h, nil, ""},
		{"expiry inside window", chainID, h + w/2, nil, ""},
		{"expiry == height+window", chainID, h + w, nil, ""},
		{"expiry == height+window+1", chainID, h + w + 1, mempool.ErrExpired, "expiry 71 is more than 20 blocks after the next block 50"},
		{"expiry far beyond", chainID, 1 << 62, mempool.ErrExpired, "more than 20 blocks after"},
		{"other chain", "other", h, mempool.ErrWrongChain, `"other", this node runs "test-chain"`},
		{"chain differs in case", "Test-Chain", h, mempool.ErrWrongChain, `"Test-Chain"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &tx.Signed{Body: tx.Body{ChainID: tc.chain, Expiry: tc.expiry}}
			err := mempool.Check(s, chainID, h, w)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestAddRejects(t *testing.T) {
	l := newLedger(5)
	p := newPool(t, l, nil)
	committed := mkTx(t, 99, nil)
	l.commit(tx.HashID(committed))
	pending := mkTx(t, 98, nil)
	mustAdd(t, p, pending)

	nonCanon := mkTx(t, 97, nil)
	nonCanon = append([]byte{0x98, 0x02}, nonCanon[1:]...)

	cases := []struct {
		name string
		raw  []byte
		want error
		msg  string
	}{
		{"malformed", []byte{0x01}, tx.ErrMalformed, "malformed"},
		{"empty", []byte{}, tx.ErrMalformed, "malformed"},
		{"too large", make([]byte, tx.MaxTxBytes+1), tx.ErrLimit, "max 65536"},
		{"non-canonical", nonCanon, tx.ErrNonCanonical, "not canonical"},
		{"wrong chain", mkTx(t, 1, func(b *tx.Body) { b.ChainID = "other" }), mempool.ErrWrongChain, `"other", this node runs "test-chain"`},
		{"expired", mkTx(t, 2, func(b *tx.Body) { b.Expiry = 4 }), mempool.ErrExpired, "expired at height 4, next block is 5"},
		{"beyond window", mkTx(t, 3, func(b *tx.Body) { b.Expiry = 5 + window + 1 }), mempool.ErrExpired, "more than 100 blocks after the next block 5"},
		{"committed", committed, mempool.ErrCommitted, tx.HashID(committed).String()},
		{"bad signature", badSig(t, 4), tx.ErrSignature, "bad signature"},
		{"duplicate pending", pending, mempool.ErrDuplicate, tx.HashID(pending).String() + " is already pending"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := p.Len()
			res := add(t, p, tc.raw)
			if !errors.Is(res[0].Err, tc.want) {
				t.Fatalf("Add error %v, want %v", res[0].Err, tc.want)
			}
			if !strings.Contains(res[0].Err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", res[0].Err, tc.msg)
			}
			if p.Len() != before || p.Pending() != 1 {
				t.Errorf("rejected tx changed the pool: len %d pending %d", p.Len(), p.Pending())
			}
			if _, ok := p.Lookup(tx.HashID(tc.raw)); ok && tc.want != mempool.ErrDuplicate {
				t.Error("rejected tx is known")
			}
		})
	}
	t.Run("ledger error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		l.mu.Lock()
		l.err = boom
		l.mu.Unlock()
		defer func() { l.mu.Lock(); l.err = nil; l.mu.Unlock() }()
		res := add(t, p, mkTx(t, 5, nil))
		if !errors.Is(res[0].Err, boom) {
			t.Fatalf("Add error %v, want the ledger's", res[0].Err)
		}
		if p.Pending() != 1 {
			t.Errorf("pending %d, want 1", p.Pending())
		}
	})
}

// TestAddParallelInOrder: a mixed batch is checked on several workers at
// once and the results come back in input order.
func TestAddParallelInOrder(t *testing.T) {
	const workers = 4
	l := newLedger(1)
	l.arrived, l.gate = make(chan struct{}, 1024), make(chan struct{})
	p := newPool(t, l, func(c *mempool.Config) { c.Workers = workers })

	const n = 200
	raws := make([][]byte, n)
	want := make([]error, n)
	for i := range raws {
		switch i % 4 {
		case 0, 1:
			raws[i] = mkTx(t, uint64(i), nil)
		case 2:
			raws[i] = badSig(t, uint64(i))
			want[i] = tx.ErrSignature
		case 3:
			raws[i] = mkTx(t, uint64(i), func(b *tx.Body) { b.ChainID = "other" })
			want[i] = mempool.ErrWrongChain
		}
	}
	type out struct {
		res []mempool.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := p.Add(context.Background(), raws)
		done <- out{res, err}
	}()
	// All workers are inside the ledger at the same time.
	for i := 0; i < workers; i++ {
		select {
		case <-l.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d workers ran concurrently", i, workers)
		}
	}
	close(l.gate)
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if len(o.res) != n {
		t.Fatalf("%d results for %d txs", len(o.res), n)
	}
	var admitted []tx.ID
	for i, r := range o.res {
		if r.ID != tx.HashID(raws[i]) {
			t.Fatalf("result %d is for %s, want %s", i, r.ID, tx.HashID(raws[i]))
		}
		if !errors.Is(r.Err, want[i]) || (want[i] == nil) != (r.Err == nil) {
			t.Errorf("result %d: %v, want %v", i, r.Err, want[i])
		}
		if r.Err == nil {
			admitted = append(admitted, r.ID)
		}
	}
	got := p.Take(n, 1<<30)
	if !slices.Equal(entryIDs(got), admitted) {
		t.Errorf("queue order differs from input order")
	}
	for _, e := range got {
		if e.Tx == nil || tx.HashID(e.Raw) != e.ID || e.Tx.Verify() != nil {
			t.Fatalf("entry %s is not a verified decoded tx", e.ID)
		}
	}
}

func TestAddDuplicateInBatch(t *testing.T) {
	p := newPool(t, newLedger(1), nil)
	a, b := mkTx(t, 1, nil), mkTx(t, 2, nil)
	res := add(t, p, a, b, a)
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("first copies rejected: %v %v", res[0].Err, res[1].Err)
	}
	if !errors.Is(res[2].Err, mempool.ErrDuplicate) {
		t.Fatalf("second copy: %v, want ErrDuplicate", res[2].Err)
	}
	if p.Len() != 2 || p.Pending() != 2 {
		t.Errorf("len %d pending %d, want 2 and 2", p.Len(), p.Pending())
	}
}

func TestAddCancelled(t *testing.T) {
	const workers = 2
	l := newLedger(1)
	l.arrived, l.gate = make(chan struct{}, 1024), make(chan struct{})
	p := newPool(t, l, func(c *mempool.Config) { c.Workers = workers })
	raws := make([][]byte, 40) // more chunks than workers
	for i := range raws {
		raws[i] = mkTx(t, uint64(i), nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Add(ctx, raws)
		errc <- err
	}()
	for i := 0; i < workers; i++ {
		<-l.arrived // every worker is busy; Add is blocked handing out work
	}
	cancel()
	time.Sleep(20 * time.Millisecond) // let Add see the cancellation while every worker is still busy
	close(l.gate)
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Add = %v, want context.Canceled", err)
	}
	if p.Len() != 0 || p.Pending() != 0 {
		t.Errorf("cancelled Add queued txs: len %d pending %d", p.Len(), p.Pending())
	}
}

// TestMaxPendingBytes: the pool is bounded in bytes too: large
// transactions are refused as full once their sum would pass the bound,
// small ones still fit, and the bytes are given back on Done.
func TestMaxPendingBytes(t *testing.T) {
	big := func(n uint64) []byte {
		return mkTx(t, n, func(b *tx.Body) { b.Call.Args = append(b.Call.Args, tx.Bytes("pad", make([]byte, 3000))) })
	}
	one := len(big(1))
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.MaxPendingBytes = 3*one + 10 })
	res := add(t, p, big(1), big(2), big(3), big(4))
	for i, r := range res {
		if i < 3 && r.Err != nil {
			t.Fatalf("tx %d: %v", i, r.Err)
		}
		if i == 3 && (!errors.Is(r.Err, mempool.ErrFull) || r.Reason != mempool.ReasonFull) {
			t.Fatalf("a transaction past the byte bound: %v", r.Err)
		}
	}
	if p.PendingBytes() != 3*one {
		t.Fatalf("pending bytes %d, want %d", p.PendingBytes(), 3*one)
	}
	taken := p.Take(10, 1<<20)
	p.Done([]tx.ID{taken[0].ID})
	if r := add(t, p, big(5)); r[0].Err != nil {
		t.Fatalf("after one left: %v", r[0].Err)
	}
}

// TestMaxPerSender: one sender's pending transactions are bounded, so
// that one member cannot fill the pool for everyone.
func TestMaxPerSender(t *testing.T) {
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.MaxPerSender = 2 })
	res := add(t, p, mkTx(t, 1, nil), mkTx(t, 2, nil), mkTx(t, 3, nil))
	if res[0].Err != nil || res[1].Err != nil || !errors.Is(res[2].Err, mempool.ErrFull) ||
		!strings.Contains(res[2].Err.Error(), "of this sender") {
		t.Fatalf("results: %v %v %v", res[0].Err, res[1].Err, res[2].Err)
	}
	taken := p.Take(10, 1<<20)
	p.Done([]tx.ID{taken[0].ID, taken[1].ID})
	if r := add(t, p, mkTx(t, 4, nil)); r[0].Err != nil {
		t.Fatalf("after the sender's transactions committed: %v", r[0].Err)
	}
}

func TestMaxPending(t *testing.T) {
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.MaxPending = 3 })
	raws := [][]byte{mkTx(t, 1, nil), mkTx(t, 2, nil), mkTx(t, 3, nil), mkTx(t, 4, nil), mkTx(t, 5, nil)}
	res := add(t, p, raws...)
	for i, r := range res {
		if i < 3 && r.Err != nil {
			t.Errorf("tx %d: %v, want admitted", i, r.Err)
		}
		if i >= 3 && (!errors.Is(r.Err, mempool.ErrFull) || !strings.Contains(r.Err.Error(), "(3 pending")) {
			t.Errorf("tx %d: %v, want ErrFull (3 pending)", i, r.Err)
		}
	}
	// Taken (proposed) transactions still count until Done.
	taken := p.Take(10, 1<<20)
	if len(taken) != 3 {
		t.Fatalf("took %d, want 3", len(taken))
	}
	if r := add(t, p, raws[3]); !errors.Is(r[0].Err, mempool.ErrFull) {
		t.Fatalf("after Take: %v, want ErrFull", r[0].Err)
	}
	p.Done([]tx.ID{taken[0].ID})
	if r := add(t, p, raws[3]); r[0].Err != nil {
		t.Fatalf("after Done: %v, want admitted", r[0].Err)
	}
	if r := add(t, p, raws[4]); !errors.Is(r[0].Err, mempool.ErrFull) {
		t.Fatalf("full again: %v, want ErrFull", r[0].Err)
	}
}

func TestTake(t *testing.T) {
	p := newPool(t, newLedger(1), nil)
	var raws [][]byte
	for i := 1; i <= 6; i++ {
		raw := mkTx(t, uint64(i), nil)
		raws = append(raws, raw)
		mustAdd(t, p, raw) // one by one: arrival order
	}
	size := len(raws[0])
	for _, r := range raws {
		if len(r) != size {
			t.Fatalf("test txs differ in size: %d and %d", len(r), size)
		}
	}
	if got := p.Take(0, 1<<20); len(got) != 0 {
		t.Fatalf("Take(0) = %d entries", len(got))
	}
	if got := p.Take(10, size-1); len(got) != 0 {
		t.Fatalf("Take with maxBytes below one tx = %d entries", len(got))
	}
	if got := p.Take(2, 1<<20); !slices.Equal(entryIDs(got), ids(raws[0], raws[1])) {
		t.Fatalf("Take(2) = wrong entries or order")
	}
	// maxBytes exactly two txs, then just under three.
	if got := p.Take(10, 2*size); !slices.Equal(entryIDs(got), ids(raws[2], raws[3])) {
		t.Fatalf("Take(maxBytes=2 txs) = %d entries", len(got))
	}
	if got := p.Take(10, 2*size-1); !slices.Equal(entryIDs(got), ids(raws[4])) {
		t.Fatalf("Take(maxBytes just under 2 txs) = %d entries", len(got))
	}
	if p.Len() != 1 || p.Pending() != 6 {
		t.Errorf("len %d pending %d, want 1 and 6 (taken stay known)", p.Len(), p.Pending())
	}
	for _, r := range raws {
		if _, ok := p.Lookup(tx.HashID(r)); !ok {
			t.Errorf("taken tx %s not known", tx.HashID(r))
		}
	}
	// A taken tx is still a duplicate.
	if r := add(t, p, raws[0]); !errors.Is(r[0].Err, mempool.ErrDuplicate) {
		t.Errorf("re-adding a taken tx: %v, want ErrDuplicate", r[0].Err)
	}
	if got := p.Take(10, 1<<20); !slices.Equal(entryIDs(got), ids(raws[5])) {
		t.Fatalf("last Take wrong")
	}
	if got := p.Take(10, 1<<20); len(got) != 0 {
		t.Fatalf("Take on empty queue = %d", len(got))
	}
}

func TestRequeue(t *testing.T) {
	p := newPool(t, newLedger(1), nil)
	var raws [][]byte
	for i := 1; i <= 5; i++ {
		raws = append(raws, mkTx(t, uint64(i), nil))
	}
	mustAdd(t, p, raws...)
	first := p.Take(2, 1<<20)
	second := p.Take(1, 1<<20)
	p.Done([]tx.ID{second[0].ID}) // committed meanwhile: must not come back
	w := p.Wait()                 // queue not empty: already closed
	select {
	case <-w:
	default:
		t.Fatal("Wait on a non-empty queue is not closed")
	}
	p.Requeue(append(first, second...))
	got := p.Take(10, 1<<20)
	if !slices.Equal(entryIDs(got), ids(raws[0], raws[1], raws[3], raws[4])) {
		t.Fatalf("after Requeue: wrong order or entries (%d entries)", len(got))
	}
	// Requeue onto an empty queue wakes a waiter.
	w = p.Wait()
	select {
	case <-w:
		t.Fatal("Wait closed on an empty queue")
	default:
	}
	p.Requeue(got[:1])
	select {
	case <-w:
	case <-time.After(5 * time.Second):
		t.Fatal("Requeue did not wake the waiter")
	}
	p.Requeue(nil) // nothing to do
	if p.Len() != 1 || p.Pending() != 4 {
		t.Errorf("len %d pending %d, want 1 and 4", p.Len(), p.Pending())
	}
}

func TestDone(t *testing.T) {
	l := newLedger(1)
	p := newPool(t, l, nil)
	a, b, c := mkTx(t, 1, nil), mkTx(t, 2, nil), mkTx(t, 3, nil)
	mustAdd(t, p, a, b, c)
	p.Done(ids(b))
	if p.Len() != 2 || p.Pending() != 2 {
		t.Fatalf("len %d pending %d, want 2 and 2", p.Len(), p.Pending())
	}
	if _, ok := p.Lookup(tx.HashID(b)); ok {
		t.Error("done tx still known")
	}
	if got := p.Take(10, 1<<20); !slices.Equal(entryIDs(got), ids(a, c)) {
		t.Fatal("done tx still queued, or order changed")
	}
	p.Done(ids(a, mkTx(t, 42, nil))) // taken and unknown ids
	if p.Pending() != 1 || p.Len() != 0 {
		t.Fatalf("len %d pending %d, want 0 and 1", p.Len(), p.Pending())
	}
	p.Done(nil)
	// A forgotten tx that the ledger did not commit (left out of a block)
	// may be submitted again; one it committed may not.
	if r := add(t, p, b); r[0].Err != nil {
		t.Fatalf("re-adding a rejected tx: %v", r[0].Err)
	}
	l.commit(tx.HashID(a))
	if r := add(t, p, a); !errors.Is(r[0].Err, mempool.ErrCommitted) {
		t.Fatalf("re-adding a committed tx: %v, want ErrCommitted", r[0].Err)
	}
}

func TestWait(t *testing.T) {
	p := newPool(t, newLedger(1), nil)
	w := p.Wait()
	select {
	case <-w:
		t.Fatal("Wait closed on an empty pool")
	default:
	}
	// A rejected-only Add does not wake it.
	add(t, p, []byte{0x00})
	select {
	case <-w:
		t.Fatal("Wait closed though nothing was queued")
	default:
	}
	woke := make(chan struct{})
	go func() {
		<-w
		close(woke)
	}()
	mustAdd(t, p, mkTx(t, 1, nil))
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait not closed after the queue grew")
	}
	p.Take(1, 1<<20)
	w2 := p.Wait()
	select {
	case <-w2:
		t.Fatal("Wait closed on a drained queue")
	default:
	}
	mustAdd(t, p, mkTx(t, 2, nil))
	select {
	case <-w2:
	case <-time.After(5 * time.Second):
		t.Fatal("second Wait not closed")
	}
}

func TestParallel(t *testing.T) {
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.Workers = 3 })
	for _, n := range []int{0, 1, 2, 11, 12, 13, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := make([]int, n)
			if err := p.Parallel(context.Background(), n, func(i int) { seen[i]++ }); err != nil {
				t.Fatal(err)
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("index %d ran %d times", i, c)
				}
			}
		})
	}
}

// TestConcurrentUse hammers the pool from several goroutines; run it with
// -race.
func TestConcurrentUse(t *testing.T) {
	l := newLedger(1)
	p := newPool(t, l, nil)
	const adders, per = 4, 50
	all := make([][]byte, adders*per)
	for i := range all {
		all[i] = mkTx(t, uint64(i+1), nil)
	}
	var wg sync.WaitGroup
	for a := 0; a < adders; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i += 5 {
				raws := all[a*per+i : a*per+i+5]
				res, err := p.Add(context.Background(), raws)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range res {
					if r.Err != nil {
						t.Error(r.Err)
					}
				}
			}
		}()
	}
	doneAdding := make(chan struct{})
	go func() { wg.Wait(); close(doneAdding) }()
	committed := map[tx.ID]bool{}
	for {
		es := p.Take(7, 1<<20)
		if len(es) > 1 && len(committed)%2 == 0 {
			p.Requeue(es[len(es)-1:]) // drop the last one of every other proposal
			es = es[:len(es)-1]
		}
		for _, e := range es {
			if committed[e.ID] {
				t.Fatalf("tx %s taken twice", e.ID)
			}
			committed[e.ID] = true
		}
		p.Done(entryIDs(es))
		_ = p.Len()
		_ = p.Pending()
		select {
		case <-doneAdding:
			if p.Len() == 0 {
				if len(committed) != adders*per || p.Pending() != 0 || p.PendingBytes() != 0 {
					t.Fatalf("committed %d of %d, pending %d (%d bytes)", len(committed), adders*per, p.Pending(),
						p.PendingBytes())
				}
				return
			}
		case <-p.Wait():
		case <-time.After(time.Millisecond):
		}
	}
}

// TestRefusalReasons: every refusal carries the reason of the check that
// refused it, and the Refused hook hears each refusal once.
func TestRefusalReasons(t *testing.T) {
	l := newLedger(5)
	heard := map[mempool.Reason]int{}
	var mu sync.Mutex
	errShape := errors.New("bad shape")
	p := newPool(t, l, func(c *mempool.Config) {
		c.MaxPending = 2
		c.Precheck = func(call tx.Call) error {
			if call.Method == "misshapen" {
				return errShape
			}
			return nil
		}
		c.Refused = func(r mempool.Reason) {
			mu.Lock()
			defer mu.Unlock()
			heard[r]++
		}
	})
	committed := mkTx(t, 99, nil)
	l.commit(tx.HashID(committed))
	pending := mkTx(t, 98, nil)
	mustAdd(t, p, pending)
	mu.Lock()
	if len(heard) != 0 {
		t.Fatalf("an admission was heard as a refusal: %v", heard)
	}
	mu.Unlock()

	nonCanon := mkTx(t, 97, nil)
	nonCanon = append([]byte{0x98, 0x02}, nonCanon[1:]...)
	dupInBatch := mkTx(t, 6, nil)
	for _, tc := range []struct {
		name string
		raws [][]byte
		want []mempool.Reason // per raw; "" = admitted
	}{
		{"malformed", [][]byte{{0x01}}, []mempool.Reason{mempool.ReasonMalformed}},
		{"too large", [][]byte{make([]byte, tx.MaxTxBytes+1)}, []mempool.Reason{mempool.ReasonMalformed}},
		{"non-canonical", [][]byte{nonCanon}, []mempool.Reason{mempool.ReasonMalformed}},
		{"wrong chain", [][]byte{mkTx(t, 1, func(b *tx.Body) { b.ChainID = "other" })},
			[]mempool.Reason{mempool.ReasonWrongChain}},
		{"expired", [][]byte{mkTx(t, 2, func(b *tx.Body) { b.Expiry = 4 })}, []mempool.Reason{mempool.ReasonExpired}},
		{"precheck", [][]byte{mkTx(t, 3, func(b *tx.Body) { b.Call.Method = "misshapen" })},
			[]mempool.Reason{mempool.ReasonPrecheck}},
		{"committed", [][]byte{committed}, []mempool.Reason{mempool.ReasonCommitted}},
		{"bad signature", [][]byte{badSig(t, 4)}, []mempool.Reason{mempool.ReasonBadSignature}},
		{"not a member", [][]byte{mkTx(t, 5, func(b *tx.Body) { b.Sender = "org/nobody" })},
			[]mempool.Reason{mempool.ReasonNotMember}},
		{"duplicate pending", [][]byte{pending}, []mempool.Reason{mempool.ReasonDuplicate}},
		{"duplicate in batch", [][]byte{dupInBatch, dupInBatch}, []mempool.Reason{"", mempool.ReasonDuplicate}},
		{"full", [][]byte{mkTx(t, 7, nil)}, []mempool.Reason{mempool.ReasonFull}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(heard)
			mu.Unlock()
			want := map[mempool.Reason]int{}
			for i, r := range add(t, p, tc.raws...) {
				if r.Reason != tc.want[i] || (r.Err == nil) != (tc.want[i] == "") {
					t.Errorf("tx %d: reason %q (err %v), want %q", i, r.Reason, r.Err, tc.want[i])
				}
				if tc.want[i] != "" {
					want[tc.want[i]]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(heard) != fmt.Sprint(want) {
				t.Errorf("Refused heard %v, want %v", heard, want)
			}
		})
	}
	t.Run("ledger error", func(t *testing.T) {
		l.mu.Lock()
		l.err = errors.New("disk on fire")
		l.mu.Unlock()
		defer func() { l.mu.Lock(); l.err = nil; l.mu.Unlock() }()
		if r := add(t, p, mkTx(t, 8, nil)); r[0].Reason != mempool.ReasonOther {
			t.Fatalf("reason %q, want %q", r[0].Reason, mempool.ReasonOther)
		}
	})
	seen := map[mempool.Reason]bool{}
	for _, r := range mempool.Reasons() {
		if r == "" || seen[r] {
			t.Errorf("Reasons() has %q twice or empty", r)
		}
		seen[r] = true
	}
	if len(seen) != 10 {
		t.Errorf("Reasons() has %d reasons, want 10", len(seen))
	}
}

// TestPendingBytes: the byte count is exactly the size of the admitted,
// uncommitted transactions through admission, refusals, Take, Requeue and
// Done.
func TestPendingBytes(t *testing.T) {
	p := newPool(t, newLedger(1), func(c *mempool.Config) { c.MaxPending = 4 })
	raws := make([][]byte, 5)
	for i := range raws {
		// Different sizes, so that a miscount by entry shows.
		raws[i] = mkTx(t, uint64(i+1), func(b *tx.Body) {
			b.Call.Args = append(b.Call.Args, tx.String("pad", strings.Repeat("x", 10*i)))
		})
	}
	known := map[tx.ID]int{}
	check := func(step string) {
		t.Helper()
		want := 0
		for _, n := range known {
			want += n
		}
		if got := p.PendingBytes(); got != want || p.Pending() != len(known) {
			t.Fatalf("%s: %d bytes in %d txs, want %d in %d", step, got, p.Pending(), want, len(known))
		}
	}
	check("empty")
	res := add(t, p, raws[0], raws[1], raws[0], raws[2], raws[3], raws[4]) // a duplicate, then one too many
	for i, r := range res {
		if r.Err == nil {
			known[r.ID] = len([][]byte{raws[0], raws[1], raws[0], raws[2], raws[3], raws[4]}[i])
		}
	}
	if len(known) != 4 {
		t.Fatalf("%d admitted, want 4", len(known))
	}
	check("after Add")
	taken := p.Take(2, 1<<20)
	check("after Take")
	p.Requeue(taken[1:])
	check("after Requeue")
	p.Done([]tx.ID{taken[0].ID, tx.HashID(raws[4])}) // one known, one never admitted
	delete(known, taken[0].ID)
	check("after Done")
	p.Done([]tx.ID{taken[0].ID}) // again
	check("after a second Done")
	mustAdd(t, p, raws[4])
	known[tx.HashID(raws[4])] = len(raws[4])
	check("after re-Add")
	p.Done(ids(raws...))
	clear(known)
	check("all done")
}

// TestAddVerifyBatch: one bad signature among many good ones, in batches
// of any size (1 is one by one), is the only one refused, for a bad
// signature, and every batch size gives the same results.
func TestAddVerifyBatch(t *testing.T) {
	const n = 150
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = mkTx(t, uint64(i), nil)
	}
	bad := []int{0, 77, n - 1}
	for _, i := range bad {
		raws[i] = badSig(t, uint64(i))
	}
	var first []mempool.Result
	for _, size := range []int{1, 3, 4, 64, 1000} {
		p := newPool(t, newLedger(1), func(c *mempool.Config) { c.VerifyBatch = size })
		res := add(t, p, raws...)
		for i, r := range res {
			isBad := i == bad[0] || i == bad[1] || i == bad[2]
			if isBad != (r.Err != nil) || isBad && (r.Reason != mempool.ReasonBadSignature || !errors.Is(r.Err, tx.ErrSignature)) {
				t.Errorf("batches of %d: tx %d: %v (%s)", size, i, r.Err, r.Reason)
			}
			if first != nil && (r.ID != first[i].ID || r.Reason != first[i].Reason) {
				t.Errorf("batches of %d: tx %d: %s, batches of 1: %s", size, i, r.Reason, first[i].Reason)
			}
		}
		if p.Pending() != n-len(bad) {
			t.Errorf("batches of %d: %d pending, want %d", size, p.Pending(), n-len(bad))
		}
		if first == nil {
			first = res
		}
	}
}
