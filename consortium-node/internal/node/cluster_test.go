package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

type testCluster struct {
	t         *testing.T
	cut       sync.Map // raft id -> true: isolated from everyone
	snapEvery uint64
	dir       string
	g         *genesis.File
	keys      map[string]*sign.PrivateKey
	nodes     []*runningNode
	enc       string
	seq       uint64
	// verifyBlocks is Config.VerifyBlocks (-1: no start-up check).
	verifyBlocks int
}

func newCluster(t *testing.T, size int) *testCluster {
	c := newTestCluster(t, size, func(c *testCluster, i int) { c.start(i) })
	c.keys["stmarys/admin"] = c.adminKey("stmarys/admin")
	for _, m := range c.g.Members {
		if m.ID == "stmarys/admin" {
			c.enc = m.EncKey.String() // genesis holds the key file's encryption key
		}
	}
	return c
}

// newTestCluster creates a dev consortium of size nodes, each with a raft address of its own on loopback, and
// starts every node with start; the nodes are stopped when the test ends.
func newTestCluster(t *testing.T, size int, start func(c *testCluster, i int)) *testCluster {
	dir := t.TempDir()
	g, err := devnet.Create(dir, devnet.Options{Nodes: size})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Nodes {
		g.Nodes[i].RaftAddr = freeport.Addr(t)
	}
	c := &testCluster{t: t, dir: dir, g: g, keys: map[string]*sign.PrivateKey{}, nodes: make([]*runningNode, size)}
	t.Cleanup(func() { // registered first: a node that fails to open still stops the others
		for i := range c.nodes {
			c.stop(i)
		}
	})
	for i := range g.Nodes {
		start(c, i)
	}
	return c
}

// start opens and runs node i with the cluster's snapshot and block-verification settings; it keeps no private
// records.
func (c *testCluster) start(i int) {
	c.startNode(i, false, func(cfg *Config) { cfg.SnapshotEvery, cfg.VerifyBlocks = c.snapEvery, c.verifyBlocks })
}

// startNode opens and runs node i, with its key file's encryption key when custodian (it keeps private records),
// its config changed by opt (when not nil).
func (c *testCluster) startNode(i int, custodian bool, opt func(*Config)) {
	c.t.Helper()
	id := c.g.Nodes[i].ID
	key, ek := c.keyFiles(id)
	cfg := Config{DataDir: filepath.Join(c.dir, "data", id), Genesis: c.g, NodeID: id, Key: key,
		TickInterval: 20 * time.Millisecond, RetryAfter: time.Second, Logger: testLogger(c.t).With("test_node", i),
		Drop: func(peer uint64) bool {
			_, a := c.cut.Load(peer)
			_, b := c.cut.Load(c.g.Nodes[i].RaftID)
			return a || b
		}}
	if custodian {
		cfg.EncKey = ek
	}
	if opt != nil {
		opt(&cfg)
	}
	c.run(i, cfg)
}

// run opens node i with cfg and runs it.
func (c *testCluster) run(i int, cfg Config) {
	c.t.Helper()
	c.nodes[i] = runNode(c.t, cfg)
}

// keyFiles loads the signing and encryption keys of id's key file in the cluster's folder.
func (c *testCluster) keyFiles(id string) (*sign.PrivateKey, *envelope.ReaderKey) {
	c.t.Helper()
	kf, sk, err := genesis.LoadSignKey(c.dir, "", id)
	if err != nil {
		c.t.Fatal(err)
	}
	ek, err := kf.ReaderKey()
	if err != nil {
		c.t.Fatal(err)
	}
	return sk, ek
}

func (c *testCluster) adminKey(id string) *sign.PrivateKey {
	c.t.Helper()
	k, _ := c.keyFiles(id)
	return k
}

// submitSigned signs a call by sender with key, submits it through node via and returns its result, once
// committed or left out.
func (c *testCluster) submitSigned(via int, sender string, key *sign.PrivateKey, contract, method string,
	args ...tx.Arg) TxResult {
	c.t.Helper()
	c.seq++
	raw, err := tx.SignEncoded(tx.Body{ChainID: c.g.ChainID, Sender: sender, Nonce: c.seq,
		Expiry: c.nodes[via].n.NextHeight() + 100, Call: tx.Call{Contract: contract, Method: method, Args: args}}, key)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.nodes[via].n.Submit(ctx, [][]byte{raw}, true)
	if err != nil {
		c.t.Fatal(err)
	}
	return res[0]
}

func (c *testCluster) stop(i int) {
	if cn := c.nodes[i]; cn != nil {
		cn.stop(c.t)
		c.nodes[i] = nil
	}
}

func (c *testCluster) addMember(via int, id string) TxResult {
	c.t.Helper()
	return c.submitCall(via, "stmarys/admin", "identity", "add_member", tx.String("id", id),
		tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", c.keys["stmarys/admin"].Public().String()),
		tx.String("enc_key", c.enc))
}

// converge waits until every running node has the same head.
func (c *testCluster) converge() {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var heads []string
		for _, cn := range c.nodes {
			if cn != nil {
				h := cn.n.Head()
				heads = append(heads, fmt.Sprintf("%d/%s/%s", h.Height, h.Hash, h.StateHash))
			}
		}
		same := true
		for _, h := range heads {
			same = same && h == heads[0]
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("nodes did not converge: %v", heads)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *testCluster) leader() int {
	c.t.Helper()
	lead := -1
	waitFor(c.t, 20*time.Second, "a leader to be elected", func() bool {
		for i, cn := range c.nodes {
			if cn != nil && cn.n.Status().Raft.State == "StateLeader" {
				lead = i
				return true
			}
		}
		return false
	})
	return lead
}

func TestClusterOfThree(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()

	// Submitting to any node commits on every node.
	var last TxResult
	for i := 0; i < 6; i++ {
		r := c.addMember(i%3, fmt.Sprintf("stmarys/c-%d", i))
		if r.Err != nil || !r.Committed || !r.Receipt.OK() {
			t.Fatalf("via node %d (leader %d): %+v", i%3, lead, r)
		}
		last = r
	}
	c.converge()

	// A receipt proof from any node carries a quorum of node signatures.
	deadline := time.Now().Add(10 * time.Second)
	for i, cn := range c.nodes {
		for {
			p, err := cn.n.Proof(last.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Signatures) == 3 {
				if err := p.Verify(c.g.ChainID, c.g.NodeKeys(), c.g.Quorum()); err != nil {
					t.Fatalf("node %d proof: %v", i, err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d has %d header signatures, want 3", i, len(p.Signatures))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// A follower that was down catches up.
	follower := (lead + 1) % 3
	c.stop(follower)
	for i := 0; i < 5; i++ {
		if r := c.addMember(lead, fmt.Sprintf("stmarys/while-down-%d", i)); !r.Committed {
			t.Fatalf("majority did not commit: %+v", r)
		}
	}
	c.start(follower)
	c.converge()

	// Without its leader, the other two elect a new one and keep committing.
	c.stop(lead)
	other := (lead + 1) % 3
	if r := c.addMember(other, "stmarys/after-leader-loss"); !r.Committed {
		t.Fatalf("after leader loss: %+v", r)
	}
	if nl := c.leader(); nl == lead {
		t.Fatal("stopped node still leads")
	}
	c.start(lead)
	c.converge()
}

// tamper stops node i, changes its database with f, and restarts it.
func (c *testCluster) tamper(i int, f func(db *leveldb.DB)) {
	c.t.Helper()
	c.offline(i, f)
	c.start(i)
}

// offline stops node i and changes its database with f; the node stays
// stopped.
func (c *testCluster) offline(i int, f func(db *leveldb.DB)) {
	c.t.Helper()
	c.stop(i)
	db, err := store.OpenDB(filepath.Join(c.dir, "data", c.g.Nodes[i].ID, "db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	f(db)
}

// stopHalted stops a node that is expected to have halted with want.
func (c *testCluster) stopHalted(i int, want error) {
	c.t.Helper()
	cn := c.nodes[i]
	select {
	case err := <-cn.done:
		if !errors.Is(err, want) {
			c.t.Fatalf("node %d stopped with %v, want %v", i, err, want)
		}
	case <-time.After(20 * time.Second):
		c.t.Fatalf("node %d did not halt", i)
	}
	cn.cancel()
	cn.n.Close()
	c.nodes[i] = nil
}

func TestTamperedStateHalts(t *testing.T) {
	c, lead, victim := newTamperedCluster(t)
	// The next admin transaction executes differently there: its header
	// differs from the quorum's, so it halts; the others go on.
	r := c.addMember(lead, "stmarys/after")
	if !r.Committed || !r.Receipt.OK() {
		t.Fatalf("majority: %+v", r)
	}
	c.stopHalted(victim, ErrDiverged)
	if r := c.addMember(lead, "stmarys/still-going"); !r.Committed {
		t.Fatalf("majority stopped: %+v", r)
	}
}

func TestTamperedBlockHalts(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	r := c.addMember(lead, "stmarys/x")
	c.converge()
	victim := (lead + 2) % 3
	// Without the start-up check (it would refuse to start: see
	// TestOpenRefusesCorruptStore), to see the check on every read.
	c.verifyBlocks = -1
	c.tamper(victim, func(db *leveldb.DB) {
		k := append([]byte("r/"), binary.BigEndian.AppendUint64(nil, r.Height)...)
		raw, err := db.Get(k, nil)
		if err != nil {
			t.Fatal(err)
		}
		var rs []ledger.Receipt
		if err := codec.Ledger.Unmarshal(raw, &rs); err != nil {
			t.Fatal(err)
		}
		rs[r.Index].Status, rs[r.Index].Error = ledger.StatusFailed, "forged"
		b, _ := codec.Marshal(rs)
		db.Put(k, b, nil)
	})
	if _, err := c.nodes[victim].n.Block(r.Height); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("tampered block served: %v", err)
	}
	if _, err := c.nodes[victim].n.Proof(r.ID); err == nil {
		t.Fatal("halted node still serves proofs")
	}
	if s := c.nodes[victim].n.Status(); !strings.Contains(s.Error, "does not match") {
		t.Fatalf("status does not raise the alarm: %q", s.Error)
	}
	c.stopHalted(victim, store.ErrCorrupt)
}

func TestPartitionedNodeCommitsNothingAndConverges(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	c.addMember(lead, "stmarys/p0")
	c.converge()
	iso := (lead + 1) % 3
	c.cut.Store(c.g.Nodes[iso].RaftID, true)
	before := c.nodes[iso].n.Head()
	for i := 0; i < 5; i++ {
		if r := c.addMember(lead, fmt.Sprintf("stmarys/p-%d", i)); !r.Committed {
			t.Fatalf("majority: %+v", r)
		}
	}
	// A transaction sent to the isolated node is not committed while cut off.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	c.seq++
	raw, _ := tx.SignEncoded(tx.Body{ChainID: c.g.ChainID, Sender: "stmarys/admin", Nonce: c.seq, Expiry: 500,
		Call: tx.Call{Contract: "identity", Method: "rotate_keys", Args: tx.Args{tx.String("id", "stmarys/admin"), tx.String("enc_key", c.enc)}}},
		c.keys["stmarys/admin"])
	res, err := c.nodes[iso].n.Submit(ctx, [][]byte{raw}, true)
	cancel()
	if err != nil || res[0].Committed || res[0].Err != nil {
		t.Fatalf("isolated node: %+v %v", res, err)
	}
	if got := c.nodes[iso].n.Head(); got.Height != before.Height {
		t.Fatalf("isolated node committed: height %d -> %d", before.Height, got.Height)
	}
	c.cut.Delete(c.g.Nodes[iso].RaftID)
	c.converge()
	// Its pending transaction reaches the leader after healing.
	waitFor(t, 20*time.Second, "the transaction submitted during the partition to commit", func() bool {
		_, err := c.nodes[lead].n.Proof(res[0].ID)
		return err == nil
	})
}

// changeNodes submits a consortium membership change approved by admins.
func (c *testCluster) changeNodes(via int, ch *consortium.Change, approvers ...string) TxResult {
	c.t.Helper()
	var approvals []string
	for _, a := range approvers {
		s, err := consortium.Approve(c.g.ChainID, ch, a, c.adminKey(a))
		if err != nil {
			c.t.Fatal(err)
		}
		approvals = append(approvals, s)
	}
	return c.submitSigned(via, approvers[0], c.adminKey(approvers[0]), consortium.Name, ch.Action,
		consortium.ChangeArgs(ch, approvals)...)
}

func (c *testCluster) waitVoters(i int, want []uint64) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := c.nodes[i].n.Status().Raft.Voters
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node %d raft voters %v, want %v", i, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMembershipChangeApprovedOnLedger(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	kf, err := genesis.NewKeyFile("hope-node4", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.Save(genesis.KeyPath(c.dir, "hope-node4")); err != nil {
		t.Fatal(err)
	}
	key4, _ := kf.SignKey()
	ek4, _ := kf.EncryptionKey()
	rec := consortium.Node{ID: "hope-node4", Org: "hope", RaftID: 4, SignKey: key4.Public(), EncKey: ek4, RaftAddr: freeport.Addr(t), APIAddr: "127.0.0.1:1"}
	add := &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: rec,
		ValidUntil: c.nodes[lead].n.NextHeight() + 50}

	// Two of four organisations are not a majority: refused, nothing changes.
	r := c.changeNodes(lead, add, "stmarys/admin", "acme/admin")
	if !r.Committed || r.Receipt.OK() || !strings.Contains(r.Receipt.Error, "needs approvals from admins of 3 of the 4 organisations") {
		t.Fatalf("2 of 4 approvals: %+v", r.Receipt)
	}
	c.waitVoters(lead, []uint64{1, 2, 3})

	// Three of four: the node is added to state and raft follows.
	r = c.changeNodes(lead, add, "stmarys/admin", "acme/admin", "hope/admin")
	if !r.Committed || !r.Receipt.OK() {
		t.Fatalf("3 of 4 approvals: %+v", r.Receipt)
	}
	c.waitVoters(lead, []uint64{1, 2, 3, 4})

	// The new node joins with an empty log and catches up.
	c.nodes = append(c.nodes, nil)
	c.startJoin(3, &rec)
	c.addMember(lead, "stmarys/after-join")
	c.converge()
	if n := len(c.nodes[3].n.Members()); n != 4 {
		t.Fatalf("new node sees %d members", n)
	}
	// Its header signatures are part of proofs.
	last := c.addMember(3, "stmarys/via-new-node")
	if !last.Committed {
		t.Fatalf("submit via new node: %+v", last)
	}
	c.converge()

	// Four nodes survive the loss of one.
	down := (lead + 1) % 3
	c.stop(down)
	if r := c.addMember(lead, "stmarys/one-down"); !r.Committed {
		t.Fatalf("3 of 4 nodes: %+v", r)
	}
	c.start(down)
	c.converge()

	// Removing it again.
	rm := &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: "hope-node4"},
		ValidUntil: c.nodes[lead].n.NextHeight() + 50}
	r = c.changeNodes(lead, rm, "hope/admin", "healthreg/admin", "acme/admin")
	if !r.Committed || !r.Receipt.OK() {
		t.Fatalf("remove: %+v", r.Receipt)
	}
	c.waitVoters(lead, []uint64{1, 2, 3})
	if r := c.addMember(lead, "stmarys/after-remove"); !r.Committed {
		t.Fatalf("after removal: %+v", r)
	}
}

// newTamperedCluster starts three nodes, commits a transaction and deletes the admin's member record from one
// follower's state (the victim), behind its back.
func newTamperedCluster(t *testing.T) (c *testCluster, lead, victim int) {
	c = newCluster(t, 3)
	lead = c.leader()
	c.addMember(lead, "stmarys/before")
	c.converge()
	victim = (lead + 1) % 3
	c.tamper(victim, func(db *leveldb.DB) {
		if err := db.Delete([]byte("s/"+identity.MemberStateKey("stmarys/admin")), nil); err != nil {
			t.Fatal(err)
		}
	})
	return c, lead, victim
}

// startJoin starts a node that is not in the genesis file.
func (c *testCluster) startJoin(i int, rec *consortium.Node) {
	key := c.adminKey(rec.ID)
	c.run(i, Config{DataDir: filepath.Join(c.dir, "data", rec.ID), Genesis: c.g, NodeID: rec.ID, Key: key, Join: rec,
		TickInterval: 20 * time.Millisecond, RetryAfter: time.Second, Logger: testLogger(c.t).With("test_node", i)})
}

// TestCatchUpAfterLogCompaction: a follower that was down while the
// leader compacted its raft log past the follower's position receives a
// raft snapshot and catches up by fetching and replaying blocks.
func TestCatchUpAfterLogCompaction(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	follower := (lead + 1) % 3
	c.addMember(lead, "stmarys/s0")
	c.converge()
	c.stop(follower)
	// Restart the others with aggressive compaction.
	c.snapEvery = 5
	for i := range c.nodes {
		if c.nodes[i] != nil {
			c.stop(i)
			c.start(i)
		}
	}
	lead = c.leader()
	for i := 0; i < 30; i++ {
		if r := c.addMember(lead, fmt.Sprintf("stmarys/s-%d", i)); !r.Committed {
			t.Fatalf("commit %d: %+v", i, r)
		}
	}
	c.start(follower)
	c.converge()
	// The caught-up node is a full member again, and keeps compacting its
	// own log after the installed snapshot.
	for i := 0; i < 12; i++ {
		if r := c.addMember(follower, fmt.Sprintf("stmarys/after-sync-%d", i)); !r.Committed {
			t.Fatalf("via synced node: %+v", r)
		}
	}
	c.converge()
	if s := c.nodes[follower].n.Status(); s.Error != "" {
		t.Fatalf("synced node halted: %s", s.Error)
	}
}
