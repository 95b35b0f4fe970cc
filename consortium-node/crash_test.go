package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/authz"
	cexec "github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

var crashSeed = flag.Uint64("crash.seed", 0, "seed of TestCrashRecovery's kill schedule (0: random)")

// TestCrashRecovery is the ledger's crash-recovery test: it runs the real
// daemon, SIGKILLs it at random moments while clients submit transactions,
// restarts it, and checks that every transaction a client was told is
// committed survived with a valid receipt proof, that the chain is whole
// and linked, and finally that re-executing the whole chain serially from
// genesis reproduces every header's state hash and receipt root (so no
// partial block, lost write or torn state is visible after any crash).
func TestCrashRecovery(t *testing.T) {
	seed := killSeed(t, *crashSeed, "crash.seed")
	rng := testseed.NewRand(seed)
	rounds := 6
	if testing.Short() {
		rounds = 3
	}

	start := time.Now()
	bin, home, port := initHome(t)
	t.Logf("built the daemon (race detector: %v) and initialised in %v", raceEnabled(),
		time.Since(start).Round(time.Millisecond))

	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sub := newSubmitter(t, home, g)

	for round := range rounds {
		t0 := time.Now()
		p := startNode(t, bin, home)
		cl := waitReady(t, p, home, addr)
		t1 := time.Now()
		verifyAcked(t, cl, g, sub, false)
		t.Logf("round %d: ready in %v, verified in %v", round, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		sub.height.see(mustStatus(t, cl).Height)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sub.run(ctx, cl, round, w)
			}()
		}
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(delay)
		inflight := sub.inflight.Load()
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatalf("kill: %v", err)
		}
		p.wait(t, 10*time.Second)
		p.checkLog(t)
		cancel()
		wg.Wait()
		cl.Close()
		t.Logf("round %d: killed after %v with %d submissions in flight; %d txs acknowledged as committed so far (max height %d)",
			round, delay, inflight, sub.ackedCount(), sub.maxHeight())
	}

	// Restart after the last kill and check everything, including a serial
	// re-execution of the whole chain.
	p := startNode(t, bin, home)
	cl := waitReady(t, p, home, addr)
	blocks := verifyAcked(t, cl, g, sub, true)
	replay(t, g, blocks)
	final := mustStatus(t, cl)
	if final.Height != uint64(len(blocks)-1) || final.HeadHash != blocks[len(blocks)-1].Hash {
		t.Fatalf("head moved during the final check: %d %s, checked up to %d", final.Height, final.HeadHash, len(blocks)-1)
	}
	stop(t, p, syscall.SIGTERM)
	cl.Close()

	// A clean stop keeps the head; SIGINT (Ctrl-C) also stops cleanly.
	p = startNode(t, bin, home)
	cl = waitReady(t, p, home, addr)
	again := mustStatus(t, cl)
	if again.Height != final.Height || again.HeadHash != final.HeadHash || again.StateHash != final.StateHash {
		t.Errorf("head after a clean restart = %d %s, want %d %s", again.Height, again.HeadHash, final.Height, final.HeadHash)
	}
	stop(t, p, os.Interrupt)
	cl.Close()
	t.Logf("%d rounds, %d blocks, %d acknowledged txs, %v", rounds, final.Height, sub.ackedCount(), time.Since(start).Round(time.Millisecond))
}

type nodeClient struct {
	*client.Client
	tr *http.Transport
}

func (c nodeClient) Close() { c.tr.CloseIdleConnections() }

// devClient is a node API client that reads as the dev consortium's
// consortium admin (stmarys/admin), whom the policy lets follow the chain.
func devClient(t testing.TB, home, addr string, hc *http.Client) *client.Client {
	t.Helper()
	_, key := signKeyFile(t, home, "stmarys/admin")
	cl := client.New(addr, hc)
	cl.Authenticate("stmarys/admin", key)
	return cl
}

// waitReady waits until the node answers and leads its raft cluster.
func waitReady(t *testing.T, p *proc, home, addr string) nodeClient {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	cl := nodeClient{devClient(t, home, addr, &http.Client{Transport: tr, Timeout: 30 * time.Second}), tr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.exited() {
			t.Fatalf("node exited while starting: %v\n%s", p.err, p.stderr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := cl.Status(ctx)
		cancel()
		if err == nil && st.Error != "" {
			t.Fatalf("node reports an error after restart: %s\n%s", st.Error, p.stderr)
		}
		if err == nil && st.Raft.State == "StateLeader" && st.Raft.Applied >= st.Raft.Commit {
			// A new leader commits what its log held from before the
			// crash with its first entry, a moment after it leads (and
			// the node applies committed entries while raft goes on):
			// ready once a second look, a little later, sees the same.
			time.Sleep(150 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			again, err := cl.Status(ctx)
			cancel()
			if err == nil && again.Height == st.Height && again.Raft.Commit == st.Raft.Commit &&
				again.Raft.Applied >= again.Raft.Commit {
				return cl
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not ready after 30s (last status %+v, error %v)\n%s", st, err, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustStatus(t *testing.T, cl nodeClient) *api.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Error != "" {
		t.Fatalf("node reports an error: %s", st.Error)
	}
	return st
}

type ack struct {
	height  uint64
	index   int
	receipt []byte // the receipt's encoding as acknowledged
	proved  bool   // a restarted node served a valid receipt proof
}

// submitter sends batches of identity.add_member transactions signed by
// stmarys/admin and records what the node acknowledged.
type submitter struct {
	t       *testing.T
	chainID string
	admin   *sign.PrivateKey
	signKey string
	encKey  string

	nonce    atomic.Uint64
	height   highest // for expiries
	inflight atomic.Int64

	mu      sync.Mutex
	acked   map[tx.ID]ack
	unacked map[tx.ID]bool // sent, but no "committed" answer seen
	// durable holds unanswered txs a restarted node showed as committed at
	// the given height: they must stay there.
	durable map[tx.ID]uint64
	maxH    uint64
}

func newSubmitter(t *testing.T, home string, g *genesis.File) *submitter {
	t.Helper()
	kf, admin := signKeyFile(t, home, "stmarys/admin")
	ek, err := kf.EncryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{42}, sign.Ed25519SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return &submitter{t: t, chainID: g.ChainID, admin: admin, signKey: mk.Public().String(), encKey: ek.String(),
		acked: map[tx.ID]ack{}, unacked: map[tx.ID]bool{}, durable: map[tx.ID]uint64{}}
}

func (s *submitter) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked)
}

func (s *submitter) maxHeight() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxH
}

// addMember signs and encodes stmarys/admin's identity.add_member of member (a patient, with the submitter's
// keys) with nonce and expiry.
func (s *submitter) addMember(member string, nonce, expiry uint64) ([]byte, error) {
	body := tx.Body{ChainID: s.chainID, Sender: "stmarys/admin", Nonce: nonce, Expiry: expiry,
		Call: tx.Call{Contract: identity.Name, Method: "add_member", Args: tx.Args{
			tx.String("id", member),
			tx.Strings("roles", []string{identityvocab.RolePatient}),
			tx.String("sign_key", s.signKey),
			tx.String("enc_key", s.encKey),
		}}}
	raw, err := tx.SignEncoded(body, s.admin)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return raw, nil
}

const batchSize = 8

// run submits batches until ctx ends or the node goes away.
func (s *submitter) run(ctx context.Context, cl nodeClient, round, worker int) {
	for ctx.Err() == nil {
		raws := make([][]byte, batchSize)
		ids := make([]tx.ID, batchSize)
		for i := range raws {
			n := s.nonce.Add(1)
			var err error
			raws[i], err = s.addMember(fmt.Sprintf("stmarys/m-%d-%d", round, n), n, s.height.Load()+500)
			if err != nil {
				s.t.Error(err)
				return
			}
			ids[i] = tx.HashID(raws[i])
		}
		s.mu.Lock()
		for _, id := range ids {
			s.unacked[id] = true
		}
		s.mu.Unlock()
		s.inflight.Add(1)
		res, err := cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: 20 * time.Second})
		s.inflight.Add(-1)
		if err != nil {
			return // killed (connection refused or reset) or cancelled
		}
		s.mu.Lock()
		for i, r := range res {
			if r.ID != ids[i] {
				s.t.Errorf("result %d is for tx %s, sent %s", i, r.ID, ids[i])
				continue
			}
			switch r.Status {
			case api.StatusCommitted:
				if r.Receipt == nil || !r.Receipt.OK() {
					s.t.Errorf("tx %s committed with receipt %+v; want success (member ids are unique)", r.ID, r.Receipt)
					continue
				}
				if _, dup := s.acked[r.ID]; dup {
					s.t.Errorf("tx %s acknowledged twice", r.ID)
				}
				s.acked[r.ID] = ack{height: r.Height, index: r.Index, receipt: r.Receipt.Encode()}
				delete(s.unacked, r.ID)
				s.maxH = max(s.maxH, r.Height)
				s.height.see(r.Height)
			case api.StatusRejected:
				s.t.Errorf("tx %s rejected by a healthy node: %s", r.ID, r.Error)
			}
		}
		s.mu.Unlock()
	}
}

// verifyAcked checks, through the API of a freshly restarted node, that
// every acknowledged transaction has a valid receipt proof at the height it
// was acknowledged at, that every transaction whose answer was lost is
// either committed with a valid proof or cleanly unknown, and that blocks
// 0..head are all present, consistent and hash-linked. It returns the
// blocks.
func verifyAcked(t *testing.T, cl nodeClient, g *genesis.File, s *submitter, final bool) []*api.Block {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := mustStatus(t, cl)
	s.mu.Lock()
	acked := make(map[tx.ID]ack, len(s.acked))
	for id, a := range s.acked {
		acked[id] = a
	}
	var unacked []tx.ID
	for id := range s.unacked {
		unacked = append(unacked, id)
	}
	durable := make(map[tx.ID]uint64, len(s.durable))
	for id, h := range s.durable {
		durable[id] = h
	}
	maxH := s.maxH
	s.mu.Unlock()
	if st.Height < maxH {
		t.Fatalf("restarted node is at height %d, but a transaction was acknowledged at height %d", st.Height, maxH)
	}

	// Blocks: all present, linked, internally consistent (client.Block
	// runs api.Block.Check) and signed by a quorum.
	blocks := make([]*api.Block, st.Height+1)
	parallel(t, int(st.Height+1), func(h int) error {
		b, err := cl.Block(ctx, uint64(h))
		if err != nil {
			return fmt.Errorf("block %d of %d: %w", h, st.Height, err)
		}
		if b.Header.Height != uint64(h) || b.Header.ChainID != g.ChainID {
			return fmt.Errorf("block %d: header says height %d chain %q", h, b.Header.Height, b.Header.ChainID)
		}
		if h > 0 {
			if err := ledger.VerifyQuorum(&b.Header, b.Signatures, g.NodeKeys(), g.Quorum()); err != nil {
				return fmt.Errorf("block %d: %w", h, err)
			}
			if len(b.Txs) == 0 {
				return fmt.Errorf("block %d has no transactions", h)
			}
		}
		blocks[h] = b
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	gb, _, err := genesisstate.Block(g)
	if err != nil {
		t.Fatal(err)
	}
	if blocks[0].Hash != gb.Header.Hash() {
		t.Fatalf("block 0 is not the genesis block")
	}
	for h := 1; h < len(blocks); h++ {
		if blocks[h].Header.PrevHash != blocks[h-1].Hash {
			t.Fatalf("block %d: prev hash %s, but block %d has hash %s", h, blocks[h].Header.PrevHash, h-1, blocks[h-1].Hash)
		}
		if blocks[h].Header.Time <= blocks[h-1].Header.Time {
			t.Fatalf("block %d: time %d is not after block %d's %d", h, blocks[h].Header.Time, h-1, blocks[h-1].Header.Time)
		}
	}
	head := blocks[len(blocks)-1]
	if head.Hash != st.HeadHash || head.Header.StateHash != st.StateHash {
		t.Fatalf("status head %s (state %s) does not match block %d (%s, state %s)",
			st.HeadHash, st.StateHash, st.Height, head.Hash, head.Header.StateHash)
	}

	// Every acknowledged transaction is in the blocks where and as it was
	// acknowledged...
	var proveIDs []tx.ID
	older := 0
	for id, a := range acked {
		b := blocks[a.height]
		if a.index >= len(b.Txs) || b.Txs[a.index].ID != id || !bytes.Equal(b.Receipts[a.index].Encode(), a.receipt) {
			t.Fatalf("acknowledged tx %s (block %d, index %d, receipt %x) is not in block %d as acknowledged", id, a.height, a.index, a.receipt, a.height)
		}
		// ...and has a receipt proof that verifies: checked through the
		// API for every transaction acknowledged since the last restart,
		// a sample of older ones (map order), and all on the final check.
		switch {
		case final || !a.proved:
			proveIDs = append(proveIDs, id)
		case older < 100:
			proveIDs = append(proveIDs, id)
			older++
		}
	}
	parallel(t, len(proveIDs), func(i int) error {
		id, a := proveIDs[i], acked[proveIDs[i]]
		p, err := cl.Proof(ctx, id)
		if err != nil {
			return fmt.Errorf("acknowledged tx %s (height %d): %w", id, a.height, err)
		}
		if err := p.Verify(g.ChainID, g.NodeKeys(), g.Quorum()); err != nil {
			return fmt.Errorf("acknowledged tx %s: proof: %w", id, err)
		}
		if p.Header.Height != a.height || p.Index != uint64(a.index) || !bytes.Equal(p.Receipt.Encode(), a.receipt) {
			return fmt.Errorf("acknowledged tx %s at %d/%d, proof says %d/%d with receipt %+v",
				id, a.height, a.index, p.Header.Height, p.Index, p.Receipt)
		}
		if blocks[a.height].Hash != p.Header.Hash() {
			return fmt.Errorf("acknowledged tx %s: proof header is not block %d", id, a.height)
		}
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	s.mu.Lock()
	for _, id := range proveIDs {
		a := s.acked[id]
		a.proved = true
		s.acked[id] = a
	}
	s.mu.Unlock()

	// Transactions whose answer was lost in a crash: committed with a
	// valid proof, or not found; never anything in between. Once seen
	// committed, they must stay committed at the same height.
	for id := range durable {
		unacked = append(unacked, id)
	}
	var (
		committed atomic.Int64
		foundMu   sync.Mutex
		found     = map[tx.ID]uint64{}
	)
	parallel(t, len(unacked), func(i int) error {
		p, err := cl.Proof(ctx, unacked[i])
		if errors.Is(err, client.ErrNotFound) {
			if h, ok := durable[unacked[i]]; ok {
				return fmt.Errorf("tx %s was committed at height %d after an earlier crash, but is gone now", unacked[i], h)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("unacknowledged tx %s: %w", unacked[i], err)
		}
		if err := p.Verify(g.ChainID, g.NodeKeys(), g.Quorum()); err != nil {
			return fmt.Errorf("unacknowledged tx %s: proof: %w", unacked[i], err)
		}
		if int(p.Header.Height) >= len(blocks) || blocks[p.Header.Height].Hash != p.Header.Hash() {
			return fmt.Errorf("unacknowledged tx %s: proof header is not block %d", unacked[i], p.Header.Height)
		}
		if h, ok := durable[unacked[i]]; ok && h != p.Header.Height {
			return fmt.Errorf("tx %s was committed at height %d after an earlier crash, now at %d", unacked[i], h, p.Header.Height)
		}
		foundMu.Lock()
		found[unacked[i]] = p.Header.Height
		foundMu.Unlock()
		committed.Add(1)
		return nil
	})
	s.mu.Lock()
	for id, h := range found {
		delete(s.unacked, id)
		s.durable[id] = h
	}
	s.mu.Unlock()

	// The tx index agrees with the blocks: spot-check the first and last
	// transaction of every block.
	parallel(t, len(blocks), func(h int) error {
		b := blocks[h]
		for i := range b.Txs {
			if i != 0 && i != len(b.Txs)-1 {
				continue
			}
			p, err := cl.Proof(ctx, b.Txs[i].ID)
			if err != nil {
				return fmt.Errorf("tx %d of block %d: %w", i, h, err)
			}
			if p.Header.Height != uint64(h) || p.Index != uint64(i) {
				return fmt.Errorf("tx %d of block %d: index says %d/%d", i, h, p.Header.Height, p.Index)
			}
		}
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("restarted at height %d: %d acknowledged txs found in their blocks, %d proofs verified; of %d unanswered (or committed after a crash), %d committed",
		st.Height, len(acked), len(proveIDs), len(unacked), committed.Load())
	return blocks
}

// parallel runs fn(0..n-1) on a few goroutines, reporting errors.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed atomic.Bool
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if len(errs) < 10 {
						errs = append(errs, err)
					}
					mu.Unlock()
					if len(errs) >= 10 {
						failed.Store(true)
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
}

// mapState is committed state for the replay.
type mapState map[string][]byte

func (m mapState) Get(k string) ([]byte, bool, error) {
	v, ok := m[k]
	return v, ok, nil
}

func (m mapState) scan(prefix string, fn func(k string, v []byte) bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn(k, m[k]) {
			break
		}
	}
	return nil
}

// replay re-executes every block from genesis with the serial executor and
// checks each header's state hash and receipt root: the crashed and
// restarted node's chain equals serial execution of its transactions.
func replay(t *testing.T, g *genesis.File, blocks []*api.Block) {
	t.Helper()
	start := time.Now()
	gb, gstate, err := genesisstate.Block(g)
	if err != nil {
		t.Fatal(err)
	}
	if blocks[0].Header.StateHash != gb.Header.StateHash {
		t.Fatal("genesis state hash differs")
	}
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	state := mapState{}
	for _, w := range gstate {
		state[w.Key] = w.Value
	}
	policy, err := authz.Load(state.scan)
	if err != nil {
		t.Fatal(err)
	}
	prev := gb.Header.StateHash
	ntx := 0
	for h := 1; h < len(blocks); h++ {
		b := blocks[h]
		blk := contracts.Block{ChainID: g.ChainID, Height: uint64(h), Time: time.Unix(0, b.Header.Time).UTC(), Policy: policy}
		txns := make([]cexec.Txn, len(b.Txs))
		for i, bt := range b.Txs {
			stx, err := tx.Decode(bt.Raw)
			if err != nil {
				t.Fatalf("block %d tx %d does not decode: %v", h, i, err)
			}
			txns[i] = reg.Txn(blk, stx, tx.HashID(bt.Raw), false)
		}
		res, err := cexec.Serial(state, txns)
		if err != nil {
			t.Fatalf("block %d: serial execution: %v", h, err)
		}
		receipts := make([]ledger.Receipt, len(b.Txs))
		for i, o := range res.Outcomes {
			r := ledger.Receipt{TxID: b.Txs[i].ID, Status: ledger.StatusOK, Events: o.Events}
			if o.Err != nil {
				r = ledger.Receipt{TxID: b.Txs[i].ID, Status: ledger.StatusFailed, Error: o.Err.Error(), Events: []ledger.Event{}}
			}
			if r.Events == nil {
				r.Events = []ledger.Event{}
			}
			receipts[i] = r
			if !bytes.Equal(r.Encode(), b.Receipts[i].Encode()) {
				t.Fatalf("block %d tx %d: serial receipt %+v, node's %+v", h, i, r, b.Receipts[i])
			}
		}
		if root := ledger.ReceiptRoot(receipts); root != b.Header.ReceiptRoot {
			t.Fatalf("block %d: serial receipt root %s, header %s", h, root, b.Header.ReceiptRoot)
		}
		writes := make([]ledger.StateWrite, len(res.Writes))
		for i, w := range res.Writes {
			writes[i] = ledger.StateWrite{Key: w.Key, Value: w.Value, Deleted: w.Deleted}
		}
		next := ledger.NextStateHash(prev, writes)
		if next != b.Header.StateHash {
			t.Fatalf("block %d: serial state hash %s, header %s (%d writes)", h, next, b.Header.StateHash, len(writes))
		}
		for _, w := range res.Writes {
			if w.Deleted {
				delete(state, w.Key)
			} else {
				state[w.Key] = w.Value
			}
		}
		if u, err := authz.UpdateFor(writes); err != nil {
			t.Fatal(err)
		} else if err := policy.Apply(u); err != nil {
			t.Fatal(err)
		}
		prev = next
		ntx += len(b.Txs)
	}
	t.Logf("replayed %d blocks (%d txs) serially from genesis in %v: every state hash and receipt root matches",
		len(blocks)-1, ntx, time.Since(start).Round(time.Millisecond))
}
