package node

import (
	"context"
	"errors"
	"fmt"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Disk-full tests. A small tmpfs needs root, so the node's database is
// opened on goleveldb's real file storage wrapped in a store.FaultStorage
// (and the raft log's segments on the same space: store.FaultDisk.WrapFile):
// every file write goes through it and, once the "disk" is full, takes
// what fits and fails the rest with ENOSPC, as write(2) on a full
// filesystem does (a short write, then the error). goleveldb, the raft
// log and the block store meet exactly the errors, and the torn journal
// records, that a full disk gives them; "space returns" lifts the limit.

// wrapLog puts the raft log's segments on the same full disk as the
// database.
func wrapLog(d *store.FaultDisk) func(string, consensus.File) consensus.File {
	return func(p string, f consensus.File) consensus.File { return d.WrapFile(p, f) }
}

// resumingNode runs a node under RunResuming, as the daemon does.
type resumingNode struct {
	t      *testing.T
	cur    atomic.Pointer[Node] // nil while the node is being reopened
	opens  atomic.Int32
	cancel context.CancelFunc
	done   chan error
}

func startResuming(t *testing.T, cfg Config) *resumingNode {
	t.Helper()
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &resumingNode{t: t, cancel: cancel, done: make(chan error, 1)}
	r.cur.Store(n)
	r.opens.Add(1)
	go func() {
		last, err := RunResuming(ctx, n, func(m *Node) error {
			r.cur.Store(m)
			if m != nil {
				r.opens.Add(1)
			}
			return nil
		})
		if last != nil {
			last.Close()
		}
		r.done <- err
	}()
	t.Cleanup(r.stop)
	return r
}

// n returns the running node, waiting while it is being reopened.
func (r *resumingNode) n() *Node {
	r.t.Helper()
	var n *Node
	waitFor(r.t, 20*time.Second, "the node to be reopened", func() bool { n = r.cur.Load(); return n != nil })
	return n
}

func (r *resumingNode) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		r.t.Errorf("RunResuming: %v", err)
	}
}

// signer signs add_member calls as stmarys/admin.
type signer struct {
	g   *genesis.File
	key *sign.PrivateKey
	enc string
	seq atomic.Uint64
}

func newSigner(t *testing.T, dir string, g *genesis.File) *signer {
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(dir, "stmarys/admin"))
	if err != nil {
		t.Fatal(err)
	}
	s := &signer{g: g}
	s.key, _ = kf.SignKey()
	ek, _ := kf.EncryptionKey()
	s.enc = ek.String()
	return s
}

func (s *signer) addMember(t *testing.T, next uint64, id string) []byte {
	t.Helper()
	raw, err := tx.SignEncoded(tx.Body{ChainID: s.g.ChainID, Sender: "stmarys/admin", Nonce: s.seq.Add(1),
		Expiry: next + 1000,
		Call: tx.Call{Contract: "identity", Method: "add_member", Args: []tx.Arg{tx.String("id", id),
			tx.Strings("roles", []string{identityvocab.RolePatient}), tx.String("sign_key", s.key.Public().String()),
			tx.String("enc_key", s.enc)}}}, s.key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// submit submits raw through n and waits up to wait for the outcome.
func submit(t *testing.T, n *Node, raw []byte, wait time.Duration) (TxResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := n.Submit(ctx, [][]byte{raw}, true)
	if err != nil {
		return TxResult{}, err
	}
	return res[0], nil
}

// checkStalled checks a stalled node: its status says why and where it
// stopped, it serves its committed head block and a proof of committed,
// shows nothing above its head, and refuses submissions with ErrStalled
// (which the API answers with 503).
func checkStalled(t *testing.T, n *Node, head store.Head, committed tx.ID, raw []byte) {
	t.Helper()
	st := n.Status()
	want := fmt.Sprintf("disk full: waiting for space; committed up to height %d", head.Height)
	if !strings.Contains(st.Error, want) || !strings.Contains(st.Error, "no space left on device") {
		t.Fatalf("status error of a stalled node = %q; want it to contain %q and the cause", st.Error, want)
	}
	if got := n.Head(); got != head {
		t.Fatalf("head moved while stalled: %+v, was %+v", got, head)
	}
	b, err := n.Block(head.Height)
	if err != nil || b.Hash != head.Hash {
		t.Fatalf("a stalled node does not serve its head block %d: %v", head.Height, err)
	}
	if _, err := n.Proof(committed); err != nil {
		t.Fatalf("a stalled node does not serve the proof of committed tx %s: %v", committed, err)
	}
	if _, err := n.Block(head.Height + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("block %d above the stalled head: %v; want not found (nothing half-written)", head.Height+1, err)
	}
	_, err = n.Submit(context.Background(), [][]byte{raw}, false)
	if !errors.Is(err, ErrStalled) || !errors.Is(err, ErrStopped) {
		t.Fatalf("submission to a stalled node: %v; want ErrStalled (503)", err)
	}
}

// TestDiskFullOneNode fills the disk of a one-node chain at different
// points of a transaction's way through raft and the block store: with no
// byte free, and with room for part of the writes (so that the raft entry
// may be saved while its block's commit fails, or a record is cut
// short). Each time the node stops committing with a clear status, keeps
// serving what it committed, writes no partial block, and, once space
// returns, resumes by itself: a transaction whose raft entry was saved
// before the disk filled is committed from the log without being sent
// again (at least one of the runs must show this), and new ones commit.
func TestDiskFullOneNode(t *testing.T) {
	reapplied := 0
	for _, free := range []int64{0, 300, 700, 1100, 1500, 2000, 3000} {
		t.Run(fmt.Sprintf("free=%d", free), func(t *testing.T) {
			dir, g, key := devtest.OneNode(t)
			disk := store.NewFaultDisk()
			r := startResuming(t, Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key,
				TickInterval: 10 * time.Millisecond, Logger: testLogger(t), WrapStorage: disk.Wrap,
				WrapRaftLog: wrapLog(disk), DiskRetryMax: 300 * time.Millisecond, ProbeBytes: 1 << 20})
			s := newSigner(t, dir, g)
			var last TxResult
			for i := range 3 {
				res, err := submit(t, r.n(), s.addMember(t, r.n().NextHeight(), fmt.Sprintf("stmarys/p%d", i)), 10*time.Second)
				if err != nil || !res.Committed {
					t.Fatalf("before the disk filled: %+v, %v", res, err)
				}
				last = res
			}
			before := r.n().Head()

			disk.SetFree(free)
			inflight := s.addMember(t, r.n().NextHeight(), "stmarys/in-flight")
			res, err := submit(t, r.n(), inflight, time.Second)
			if err == nil && res.Committed {
				t.Skipf("the block fit in %d bytes", free)
			}
			n := r.n()
			waitFor(t, 10*time.Second, "the node to stall", func() bool { return n.Status().Error != "" })
			checkStalled(t, n, before, last.ID, s.addMember(t, before.Height+1, "stmarys/refused"))
			if r.opens.Load() != 1 {
				t.Fatal("reopened while the disk is full")
			}

			t0 := time.Now()
			disk.SetFree(-1)
			waitFor(t, 20*time.Second, "the node to resume", func() bool {
				m := r.cur.Load()
				return r.opens.Load() == 2 && m != nil && m.Status().Error == ""
			})
			n = r.n()
			t.Logf("resumed %v after space returned, at height %d", time.Since(t0).Round(time.Millisecond), n.Head().Height)
			if _, err := store.VerifyChain(n.store, 0); err != nil {
				t.Fatalf("the chain after resuming: %v", err)
			}
			// The transaction in flight: committed from the raft log if its
			// entry was saved; otherwise it was never acknowledged, and the
			// client sends it again.
			id := tx.HashID(inflight)
			fromLog := false
			for end := time.Now().Add(1500 * time.Millisecond); !fromLog && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
				_, _, fromLog, _ = n.store.TxLocation(id)
			}
			if fromLog {
				reapplied++
				t.Logf("the in-flight transaction was committed from the raft log after the resume")
			} else if res, err := submit(t, n, inflight, 10*time.Second); err != nil || !res.Committed {
				t.Fatalf("resubmitting the in-flight transaction after the resume: %+v, %v", res, err)
			}
			res, err = submit(t, n, s.addMember(t, n.NextHeight(), "stmarys/after"), 10*time.Second)
			if err != nil || !res.Committed || !res.Receipt.OK() {
				t.Fatalf("after resuming: %+v, %v", res, err)
			}
			if h, _, ok, _ := n.store.TxLocation(id); !ok || h <= before.Height {
				t.Fatalf("the in-flight transaction is not committed once above height %d (at %d, %v)", before.Height, h, ok)
			}
		})
	}
	if reapplied == 0 {
		t.Error("no run committed a transaction from the raft log after resuming: the entry whose commit failed " +
			"was not applied again")
	}
}

// TestDiskFullCluster runs three nodes. One follower's disk fills: it
// stalls with a clear status and serves what it has while the other two
// keep committing; when space returns it resumes by itself and reaches
// the same head and state hash. Then every disk fills at once: nothing
// commits, no node halts; when space returns all resume and commit.
func TestDiskFullCluster(t *testing.T) {
	dir := t.TempDir()
	g, err := devnet.Create(dir, devnet.Options{Nodes: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Nodes {
		g.Nodes[i].RaftAddr = freeport.Addr(t)
	}
	disks := make([]*store.FaultDisk, 3)
	nodes := make([]*resumingNode, 3)
	for i, gn := range g.Nodes {
		kf, _ := genesis.LoadKeyFile(genesis.KeyPath(dir, gn.ID))
		key, _ := kf.SignKey()
		disks[i] = store.NewFaultDisk()
		nodes[i] = startResuming(t, Config{DataDir: filepath.Join(dir, "data", gn.ID), Genesis: g, NodeID: gn.ID, Key: key,
			TickInterval: 20 * time.Millisecond, RetryAfter: time.Second, Logger: testLogger(t).With("test_node", i),
			WrapStorage: disks[i].Wrap, WrapRaftLog: wrapLog(disks[i]), DiskRetryMax: 300 * time.Millisecond, ProbeBytes: 1 << 20})
	}
	s := newSigner(t, dir, g)
	leader := func() int {
		for {
			for i, r := range nodes {
				if n := r.cur.Load(); n != nil && n.Status().Raft.State == "StateLeader" {
					return i
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	commit := func(via int, id string) TxResult {
		t.Helper()
		for try := 0; ; try++ {
			n := nodes[via].n()
			res, err := submit(t, n, s.addMember(t, n.NextHeight(), id), 10*time.Second)
			if err == nil && res.Committed {
				return res
			}
			if try == 5 {
				t.Fatalf("committing %s via node %d: %+v, %v", id, via, res, err)
			}
		}
	}
	converge := func(within time.Duration) store.Head {
		t.Helper()
		var heads []store.Head
		waitFor(t, within, "the nodes to converge", func() bool {
			heads = heads[:0]
			for _, r := range nodes {
				n := r.cur.Load()
				if n == nil || n.Status().Error != "" {
					return false
				}
				heads = append(heads, n.Head())
			}
			return heads[0] == heads[1] && heads[1] == heads[2]
		})
		return heads[0]
	}

	lead := leader()
	var last TxResult
	for i := range 3 {
		last = commit(lead, fmt.Sprintf("stmarys/c%d", i))
	}
	converge(20 * time.Second)

	// One follower's disk fills.
	f := (lead + 1) % 3
	before := nodes[f].n().Head()
	disks[f].SetFree(0)
	for i := range 4 {
		commit(lead, fmt.Sprintf("stmarys/while-full-%d", i))
	}
	n := nodes[f].n()
	waitFor(t, 10*time.Second, "the follower to stall", func() bool { return n.Status().Error != "" })
	checkStalled(t, n, before, last.ID, s.addMember(t, before.Height+1, "stmarys/refused"))
	if ahead := nodes[lead].n().Head(); ahead.Height < before.Height+4 {
		t.Fatalf("the others did not go on committing: head %d, the stalled follower's %d", ahead.Height, before.Height)
	}
	t0 := time.Now()
	disks[f].SetFree(-1)
	head := converge(30 * time.Second)
	t.Logf("the follower resumed and converged to height %d (state %s) %v after space returned",
		head.Height, head.StateHash, time.Since(t0).Round(time.Millisecond))
	if nodes[f].opens.Load() != 2 {
		t.Errorf("the follower was opened %d times, want 2 (one reopen)", nodes[f].opens.Load())
	}
	commit(f, "stmarys/via-resumed")
	converge(20 * time.Second)

	// Every disk fills at once.
	before = converge(20 * time.Second)
	for _, d := range disks {
		d.SetFree(0)
	}
	lead = leader()
	n = nodes[lead].n()
	res, _ := submit(t, n, s.addMember(t, n.NextHeight(), "stmarys/all-full"), 2*time.Second)
	if res.Committed {
		t.Fatal("committed with every disk full")
	}
	waitFor(t, 10*time.Second, "the leader to stall", func() bool { return n.Status().Error != "" })
	for i, r := range nodes {
		if m := r.cur.Load(); m != nil && m.healthy() != nil {
			t.Fatalf("node %d halted on a full disk: %v", i, m.healthy())
		}
	}
	t0 = time.Now()
	for _, d := range disks {
		d.SetFree(-1)
	}
	head = converge(30 * time.Second)
	t.Logf("all nodes resumed at height %d (was %d) %v after space returned", head.Height, before.Height,
		time.Since(t0).Round(time.Millisecond))
	commit(leader(), "stmarys/after-all-full")
	converge(20 * time.Second)
	for i, r := range nodes {
		if _, err := store.VerifyChain(r.n().store, 0); err != nil {
			t.Errorf("node %d's chain: %v", i, err)
		}
	}
}

// TestOpenWaitsForSpace: a node started while its disk is full (goleveldb
// writes a new journal when it opens) waits, instead of failing or
// halting, and opens once space returns.
func TestOpenWaitsForSpace(t *testing.T) {
	dir, g, key := devtest.OneNode(t)
	disk := store.NewFaultDisk()
	cfg := Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key, Logger: testLogger(t),
		WrapStorage: disk.Wrap, WrapRaftLog: wrapLog(disk), DiskRetryMax: 100 * time.Millisecond}
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	disk.SetFree(0)
	if _, err := Open(cfg); !writeFailure(err) {
		t.Fatalf("Open on a full disk: %v; want a write failure", err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		disk.SetFree(-1)
	}()
	t0 := time.Now()
	n, err = OpenWhenWritable(context.Background(), cfg)
	if err != nil || n == nil {
		t.Fatalf("OpenWhenWritable: %v", err)
	}
	n.Close()
	if d := time.Since(t0); d < 250*time.Millisecond {
		t.Fatalf("opened after %v, before space returned", d)
	}
}
