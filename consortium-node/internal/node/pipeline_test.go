package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/tx"
)

// syncGate holds the database's next journal fsync (a block's commit:
// store.Staged.Write) until the test releases it, with nil (the fsync then
// happens) or an error (the write fails, as a failing disk's does).
type syncGate struct {
	mu      sync.Mutex
	armed   bool
	held    chan struct{}
	release chan error
	open    chan struct{} // closed by free
	once    sync.Once
}

func newSyncGate() *syncGate {
	return &syncGate{held: make(chan struct{}, 1), release: make(chan error), open: make(chan struct{})}
}

// free lets every fsync through from now on: register it as a cleanup
// after the node's, so that a failed test does not leave the node's
// commit waiting (cleanups run last first).
func (g *syncGate) free() { g.once.Do(func() { close(g.open) }) }

// arm makes the next journal fsync wait for release.
func (g *syncGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

func (g *syncGate) take() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := g.armed
	g.armed = false
	return was
}

// wrap is a Config.WrapStorage.
func (g *syncGate) wrap(s storage.Storage) storage.Storage { return gatedStorage{Storage: s, g: g} }

type gatedStorage struct {
	storage.Storage
	g *syncGate
}

func (s gatedStorage) Create(fd storage.FileDesc) (storage.Writer, error) {
	w, err := s.Storage.Create(fd)
	if err != nil || fd.Type != storage.TypeJournal {
		return w, err
	}
	return gatedWriter{Writer: w, g: s.g}, nil
}

type gatedWriter struct {
	storage.Writer
	g *syncGate
}

func (w gatedWriter) Sync() error {
	if w.g.take() {
		w.g.held <- struct{}{}
		select {
		case err := <-w.g.release:
			if err != nil {
				return err
			}
		case <-w.g.open:
		}
	}
	return w.Writer.Sync()
}

// watchExecutor executes with exec.Parallel and reports each block's
// outcomes.
type watchExecutor struct{ ran chan []exec.Outcome }

func (w watchExecutor) Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error) {
	res, err := exec.Parallel{}.Execute(base, txns)
	if err == nil {
		select {
		case w.ran <- res.Outcomes:
		default: // nobody is watching
		}
	}
	return res, err
}

// nextRun waits for the next block's execution and returns its outcomes.
func (w watchExecutor) nextRun(t *testing.T) []exec.Outcome {
	t.Helper()
	select {
	case o := <-w.ran:
		return o
	case <-time.After(20 * time.Second):
		t.Fatal("no block was executed")
		return nil
	}
}

// submitAsync submits raw through n and waits for its outcome on another
// goroutine.
func submitAsync(n *Node, raw []byte) <-chan TxResult {
	out := make(chan TxResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := n.Submit(ctx, [][]byte{raw}, true)
		if err != nil {
			out <- TxResult{ID: tx.HashID(raw), Err: err}
			return
		}
		out <- res[0]
	}()
	return out
}

func awaitHeld(t *testing.T, g *syncGate) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(20 * time.Second):
		t.Fatal("no block commit reached its fsync")
	}
}

// checkNothingAcknowledged checks that while block height's write is held,
// nothing of it is acknowledged: no waiter has its result, block followers
// were not woken, and the head, status, blocks and state the API serves
// are the durable head's.
func checkNothingAcknowledged(t *testing.T, n *Node, durable store.Head, changed <-chan struct{},
	waiting ...<-chan TxResult) {
	t.Helper()
	for _, w := range waiting {
		select {
		case r := <-w:
			t.Fatalf("a transaction's outcome was told before its block was durable: %+v", r)
		default:
		}
	}
	select {
	case <-changed:
		t.Fatal("block followers were woken before the block was durable")
	default:
	}
	if got := n.Head(); got != durable {
		t.Fatalf("head %+v before the block was durable; want %+v", got, durable)
	}
	if st := n.Status(); st.Height != durable.Height || st.Raft.Applied != durable.Applied {
		t.Fatalf("status height %d, applied %d before the block was durable; want %d, %d", st.Height,
			st.Raft.Applied, durable.Height, durable.Applied)
	}
	if _, err := n.Block(durable.Height + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("block %d served before it was durable: %v", durable.Height+1, err)
	}
}

// TestPipelineBuildsOnStagedBlock holds block N's fsync and checks that
// block N+1 is admitted, built and executed on N's state meanwhile (its
// only transaction is signed by a member N adds, so it is refused by
// admission and fails execution on any other state), that nothing of
// either block is acknowledged until N is durable, and that once the
// fsync is released both commit, in order.
func TestPipelineBuildsOnStagedBlock(t *testing.T) {
	gate := newSyncGate()
	exe := watchExecutor{ran: make(chan []exec.Outcome, 64)}
	h := newHarnessWith(t, exe, func(c *Config) { c.WrapStorage = gate.wrap })
	t.Cleanup(gate.free)
	if r := h.submit(h.addMember("stmarys/admin", "stmarys/p1"))[0]; !r.Committed || !r.Receipt.OK() {
		t.Fatalf("warm-up: %+v", r)
	}
	exe.nextRun(t)
	durable := h.n.Head()
	changed := h.n.HeadChanged()

	gate.arm()
	h.keys["stmarys/p9"] = h.keys["stmarys/dr-lee"] // addMember gives the new member dr-lee's key
	first := submitAsync(h.n, h.addMember("stmarys/admin", "stmarys/p9"))
	awaitHeld(t, gate) // block N is staged and its write waits for the fsync
	if o := exe.nextRun(t); len(o) != 1 || o[0].Err != nil {
		t.Fatalf("block N's execution: %+v", o)
	}
	checkNothingAcknowledged(t, h.n, durable, changed, first)
	if _, ok, _ := h.n.store.Get(identity.MemberStateKey("stmarys/p9")); ok {
		t.Fatal("the store serves block N's state before it is durable")
	}

	second := h.sign("stmarys/p9", 0, "rotate_keys", tx.String("id", "stmarys/p9"), tx.String("enc_key", h.enc))
	then := submitAsync(h.n, second) // admitted at the tip, or refused at once
	if o := exe.nextRun(t); len(o) != 1 || o[0].Err != nil {
		t.Fatalf("block N+1, executed while N is written: %+v; want its transaction to see N's member", o)
	}
	time.Sleep(50 * time.Millisecond) // N+1 now waits for N's write
	checkNothingAcknowledged(t, h.n, durable, changed, first, then)

	gate.release <- nil
	a, b := <-first, <-then
	if !a.Committed || !a.Receipt.OK() || a.Height != durable.Height+1 {
		t.Fatalf("block N's transaction: %+v; want committed at %d", a, durable.Height+1)
	}
	if !b.Committed || !b.Receipt.OK() || b.Height != durable.Height+2 {
		t.Fatalf("block N+1's transaction: %+v (receipt %+v); want committed at %d", b, b.Receipt, durable.Height+2)
	}
	if _, err := store.VerifyChain(h.n.store, 0); err != nil {
		t.Fatal(err)
	}
}

// TestPipelineFailedWrite fails block N's fsync while block N+1, built on
// it, waits: neither block is acknowledged (their waiters are told the
// node stopped, nothing is served above the durable head), the node stalls
// as on any failed write and resumes by itself, and both blocks are then
// committed from the raft log, in order: nothing committed is lost.
func TestPipelineFailedWrite(t *testing.T) {
	dir, g, key := devtest.OneNode(t)
	gate := newSyncGate()
	exe := watchExecutor{ran: make(chan []exec.Outcome, 64)}
	r := startResuming(t, Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key,
		Executor: exe, TickInterval: 10 * time.Millisecond, Logger: testLogger(t), WrapStorage: gate.wrap,
		DiskRetryMax: 300 * time.Millisecond, ProbeBytes: 1 << 20})
	t.Cleanup(gate.free)
	s := newSigner(t, dir, g)
	if res, err := submit(t, r.n(), s.addMember(t, r.n().NextHeight(), "stmarys/p1"), 10*time.Second); err != nil ||
		!res.Committed {
		t.Fatalf("warm-up: %+v, %v", res, err)
	}
	exe.nextRun(t)
	n := r.n()
	durable := n.Head()
	changed := n.HeadChanged()

	gate.arm()
	rawN := s.addMember(t, n.NextHeight(), "stmarys/n")
	first := submitAsync(n, rawN)
	awaitHeld(t, gate)
	exe.nextRun(t)
	rawNext := s.addMember(t, n.NextHeight(), "stmarys/n-plus-1")
	then := submitAsync(n, rawNext)
	if o := exe.nextRun(t); len(o) != 1 || o[0].Err != nil {
		t.Fatalf("block N+1, executed while N is written: %+v", o)
	}
	checkNothingAcknowledged(t, n, durable, changed, first, then)

	gate.release <- &os.PathError{Op: "sync", Path: "journal", Err: syscall.EIO}
	for _, w := range []<-chan TxResult{first, then} {
		if res := <-w; res.Committed || res.Err == nil {
			t.Fatalf("a transaction of a block whose write failed was told %+v", res)
		}
	}
	if got := n.Head(); got != durable {
		t.Fatalf("head after the failed write: %+v, want %+v", got, durable)
	}
	waitFor(t, 20*time.Second, "the node to resume", func() bool {
		m := r.cur.Load()
		return r.opens.Load() == 2 && m != nil && m.Status().Error == ""
	})
	n = r.n()
	for i, raw := range [][]byte{rawN, rawNext} {
		var (
			height uint64
			ok     bool
		)
		waitFor(t, 20*time.Second, "the staged blocks' transactions to commit from the raft log", func() bool {
			height, _, ok, _ = n.store.TxLocation(tx.HashID(raw))
			return ok
		})
		if want := durable.Height + 1 + uint64(i); height != want {
			t.Fatalf("transaction %d committed at %d after the resume; want %d", i, height, want)
		}
	}
	if _, err := store.VerifyChain(n.store, 0); err != nil {
		t.Fatalf("the chain after resuming: %v", err)
	}
}
