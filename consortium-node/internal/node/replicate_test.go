package node

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// newCustodianCluster is newCluster whose nodes keep private records:
// each is opened with its key file's encryption key.
func newCustodianCluster(t *testing.T, size int) *testCluster {
	return newCustodianClusterWith(t, size, nil)
}

// newCustodianClusterWith is newCustodianCluster whose nodes' configs
// opt changes (when not nil).
func newCustodianClusterWith(t *testing.T, size int, opt func(*Config)) *testCluster {
	return newTestCluster(t, size, func(c *testCluster, i int) { startCustodianWith(c, i, opt) })
}

// startCustodian is testCluster.start with the node's encryption key.
func startCustodian(c *testCluster, i int) { startCustodianWith(c, i, nil) }

// startCustodianWith is startCustodian with the config changed by opt
// (when not nil).
func startCustodianWith(c *testCluster, i int, opt func(*Config)) {
	c.t.Helper()
	c.startNode(i, true, opt)
}

type testActor struct {
	id   string
	sign *sign.PrivateKey
	enc  *envelope.ReaderKey
}

func (c *testCluster) actor(id string) testActor {
	c.t.Helper()
	sk, ek := c.keyFiles(id)
	return testActor{id: id, sign: sk, enc: ek}
}

// send commits a call by a through node via; it must succeed.
func (c *testCluster) send(via int, a testActor, contract, method string, args ...tx.Arg) TxResult {
	c.t.Helper()
	r := c.submitSigned(via, a.id, a.sign, contract, method, args...)
	if r.Err != nil || !r.Committed || !r.Receipt.OK() {
		c.t.Fatalf("%s.%s by %s via node %d: %+v", contract, method, a.id, via, r)
	}
	return r
}

// applied waits until node i has applied height h.
func (c *testCluster) applied(i int, h uint64) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.nodes[i].n.Head().Height < h {
		if time.Now().After(deadline) {
			c.t.Fatalf("node %d at height %d, not %d", i, c.nodes[i].n.Head().Height, h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// privateKeys lists the keys of node i's private store that name record id
// ("" for all of them).
func (c *testCluster) privateKeys(i int, id string) []string {
	c.t.Helper()
	it := c.nodes[i].n.store.DB().NewIterator(util.BytesPrefix([]byte("p/")), nil)
	defer it.Release()
	var out []string
	for it.Next() {
		if k := string(it.Key()); id == "" || strings.HasSuffix(k, "/"+id) || strings.Contains(k, "/"+id+"/") {
			out = append(out, k)
		}
	}
	return out
}

// editDB stops node i, changes its database with f, and restarts it as a
// custodian.
func (c *testCluster) editDB(i int, f func(db *store.Store)) {
	c.t.Helper()
	c.offline(i, func(db *leveldb.DB) {
		st, err := store.New(db)
		if err != nil {
			c.t.Fatal(err)
		}
		f(st)
	})
	startCustodian(c, i)
}

// TestCustodianReplication: St Mary's runs two nodes (A and B) among five.
// A version uploaded to A is on B when the upload answers; B serves it
// with A stopped; no other organisation's node ever holds a copy, and
// copies are neither sent to nor taken from one; a version uploaded while
// B was down, and copies B lost with its private data, reach B again
// (catch-up); erasure shreds every copy on both, a copy arriving after it
// is refused, and copies an erasure left behind are shredded at start.
func TestCustodianReplication(t *testing.T) {
	c := newCustodianCluster(t, 5)
	a, b := 0, 4
	for i, nd := range c.g.Nodes {
		if hosp := i == a || i == b; hosp != (nd.Org == "stmarys") {
			t.Fatalf("devnet.Create(Nodes: 5): node %d is %s of %s; want St Mary's nodes at %d and %d", i, nd.ID, nd.Org, a, b)
		}
	}
	acme, hope := 1, 2
	peerOf := func(i int) transport.Peer {
		return transport.Peer{RaftID: c.g.Nodes[i].RaftID, NodeID: c.g.Nodes[i].ID}
	}
	c.leader()
	clerk, ana, adjuster := c.actor("stmarys/clerk"), c.actor("stmarys/patient-ana"), c.actor("acme/adjuster")
	plain := map[uint64][]byte{
		1: []byte(`{"resourceType":"Bundle","id":"v1"}`),
		2: []byte(`{"resourceType":"Bundle","id":"v2"}`),
	}
	keys := map[uint64]*envelope.DataKey{}
	sealedOf := map[uint64][]byte{}
	upload := func(to int, v uint64) time.Duration {
		t.Helper()
		dk, _ := envelope.NewDataKey(nil)
		sealed, err := envelope.Seal(nil, dk, "rec-1", v, plain[v])
		if err != nil {
			t.Fatal(err)
		}
		wrapped, err := envelope.Wrap(nil, c.g.Nodes[to].EncKey.Key, c.g.Nodes[to].ID, dk, "rec-1", v)
		if err != nil {
			t.Fatal(err)
		}
		keys[v], sealedOf[v] = dk, sealed
		req := &api.UploadRequest{RecordID: "rec-1", Version: v, Sealed: sealed, Wrapped: wrapped, Uploader: clerk.id,
			Time: time.Now().Unix()}
		if err := api.SignPrivate(req, clerk.sign); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := c.nodes[to].n.UploadRecord(req); err != nil {
			t.Fatalf("upload of version %d to node %d: %v", v, to, err)
		}
		return time.Since(start)
	}
	// What the ledger could never register is refused, before anything is
	// stored: a record id outside the id alphabet, version 0.
	for _, bad := range []struct {
		id string
		v  uint64
	}{{"a/1", 1}, {"UPPER case", 1}, {"rec-1", 0}} {
		req := &api.UploadRequest{RecordID: bad.id, Version: bad.v, Sealed: []byte{1}, Wrapped: []byte{1}, Uploader: clerk.id,
			Time: time.Now().Unix()}
		if err := api.SignPrivate(req, clerk.sign); err != nil {
			t.Fatal(err)
		}
		if err := c.nodes[a].n.UploadRecord(req); !errors.Is(err, ErrInvalid) {
			t.Fatalf("upload of record %q version %d: %v, want %v", bad.id, bad.v, err, ErrInvalid)
		}
	}
	register := func(v uint64) TxResult {
		h := envelope.CiphertextHash(sealedOf[v])
		args := []tx.Arg{tx.String("record_id", "rec-1"), tx.Uint("version", v), tx.Bytes("ciphertext_hash", h[:])}
		if v == 1 {
			args = append(args, tx.String("patient", ana.id), tx.String("category", "bundle"))
		}
		return c.send(a, clerk, record.Name, "register", args...)
	}
	fetch := func(via int, access tx.ID) ([]byte, error) {
		req := &api.FetchRequest{AccessID: access, Reader: adjuster.id, Time: time.Now().Unix()}
		if err := api.SignPrivate(req, adjuster.sign); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		resp, err := c.nodes[via].n.FetchRecord(ctx, req)
		if err != nil {
			return nil, err
		}
		dk, err := envelope.Unwrap(adjuster.enc, adjuster.id, resp.Wrapped, resp.RecordID, resp.Version)
		if err != nil {
			return nil, err
		}
		return envelope.Open(dk, resp.Sealed, resp.RecordID, resp.Version)
	}
	has := func(i int, v uint64) bool {
		ok, err := c.nodes[i].n.private.Has("rec-1", v)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// staged says whether node i stages an upload of version v (not yet
	// registered).
	staged := func(i int, v uint64) bool {
		found := false
		if err := c.nodes[i].n.private.ListStaged(func(s privatestore.Staged) bool {
			found = found || s.RecordID == "rec-1" && s.Version == v && s.Hash == envelope.CiphertextHash(sealedOf[v])
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	noOtherOrgHolds := func() {
		t.Helper()
		for i := range c.nodes {
			if i != a && i != b && c.nodes[i] != nil {
				if k := c.privateKeys(i, ""); len(k) != 0 {
					t.Fatalf("%s (not St Mary's) holds private entries %v", c.g.Nodes[i].ID, k)
				}
			}
		}
	}

	// 1. An upload to A answers once B has stored its copy (staged on
	// both until the ledger registers it).
	took := upload(a, 1)
	t.Logf("the upload to A answered after %v, with B's copy stored", took)
	if !staged(b, 1) || !staged(a, 1) {
		t.Fatal("the upload answered before the other St Mary's node held a copy")
	}
	noOtherOrgHolds()

	// Copies stay within St Mary's: A does not address another
	// organisation's node, and B refuses a copy from one, though it would
	// take the same copy from A.
	if err := c.nodes[a].n.pushTo(c.g.Nodes[acme], "rec-1", 1, envelope.CiphertextHash(sealedOf[1])); !errors.Is(err, errCrossOrg) {
		t.Fatalf("A pushing to acme's node: %v; want errCrossOrg", err)
	}
	pull := &replicaRequest{Op: replicaPull, RecordID: "rec-1", Version: 1}
	if _, err := c.nodes[acme].n.replicaCall(c.g.Nodes[b], pull, time.Second); !errors.Is(err, errCrossOrg) {
		t.Fatalf("acme's node pulling from B: %v; want errCrossOrg", err)
	}
	sx, wx, _ := envelope.SealFor(nil, c.g.Nodes[b].EncKey.Key, c.g.Nodes[b].ID, "rec-x", 1, []byte("x"))
	push := &replicaRequest{Op: replicaPush, RecordID: "rec-x", Version: 1, Sealed: sx, Wrapped: wx}
	if rep := c.nodes[b].n.serveReplica(peerOf(acme), push); rep.Code != replicaForbidden {
		t.Fatalf("B took a copy from acme's node: %+v", rep)
	}
	if ok, _ := c.nodes[b].n.private.Has("rec-x", 1); ok {
		t.Fatal("B stored a copy sent by acme's node")
	}
	if rep := c.nodes[b].n.serveReplica(peerOf(a), push); rep.Code != "" {
		t.Fatalf("B refused the same copy from A: %+v", rep)
	}
	if rep := c.nodes[acme].n.serveReplica(peerOf(a), push); rep.Code != replicaForbidden {
		t.Fatalf("acme's node took a copy from A: %+v", rep)
	}

	// 2. Registered and consented to, the insurer's access is served by B
	// with A stopped, directly and relayed by the insurer's node.
	register(1)
	c.converge()
	for _, i := range []int{a, b} {
		if !has(i, 1) || staged(i, 1) {
			t.Fatalf("node %d: version 1 is not promoted from staged to stored by its registration", i)
		}
	}
	now := time.Now()
	c.send(hope, ana, consent.Name, "grant", tx.String("consent_id", "c-claims"), tx.String("grantee", adjuster.id),
		tx.String("purpose", "claims"), tx.Strings("records", []string{"rec-1"}),
		tx.Int("start", now.Add(-time.Minute).Unix()), tx.Int("end", now.Add(24*time.Hour).Unix()))
	access := func() TxResult {
		r := c.send(acme, adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"),
			tx.String("consent_id", "c-claims"))
		if ev := r.Receipt.Events[0]; ev.Type != "access_granted" {
			t.Fatalf("access: %v", ev)
		}
		return r
	}
	acc := access()
	c.converge()
	c.stop(a)
	for _, via := range []int{b, acme} {
		got, err := fetch(via, acc.ID)
		if err != nil || !bytes.Equal(got, plain[1]) {
			t.Fatalf("fetch via node %d with A stopped: %q %v", via, got, err)
		}
	}

	// 3. Version 2 is uploaded to A while B is down: the upload answers
	// as soon as the transport finds B unreachable (not after the whole
	// wait for a copy), and B catches up when it is back.
	startCustodian(c, a)
	c.stop(b)
	c.leader()
	if took := upload(a, 2); took >= replicaAckTimeout {
		t.Fatalf("the upload answered after %v with B down; want less than the %v wait", took, replicaAckTimeout)
	}
	register(2)
	startCustodian(c, b)
	waitFor(t, 30*time.Second, "B holds version 2 uploaded while it was down", func() bool { return has(b, 2) })

	// 4. B loses its private data while stopped; the scan at start fetches
	// every version back from A (no block re-registers them).
	c.converge()
	c.editDB(b, func(st *store.Store) {
		it := st.DB().NewIterator(util.BytesPrefix([]byte("p/")), nil)
		for it.Next() {
			if err := st.DB().Delete(slices.Clone(it.Key()), nil); err != nil {
				t.Fatal(err)
			}
		}
		it.Release()
	})
	if has(b, 1) || has(b, 2) {
		t.Fatal("B's private data was not removed")
	}
	waitFor(t, 30*time.Second, "B fetched versions 1 and 2 back at start", func() bool { return has(b, 1) && has(b, 2) })
	acc2 := access()
	c.applied(b, acc2.Height)
	c.stop(a)
	if got, err := fetch(b, acc2.ID); err != nil || !bytes.Equal(got, plain[2]) {
		t.Fatalf("B serving version 2 after its catch-up, A stopped: %q %v", got, err)
	}
	startCustodian(c, a)
	noOtherOrgHolds()

	// 5. Erasure shreds every copy, on A and on B.
	c.converge()
	var leftovers [][2][]byte
	for _, k := range []string{"p/ct/rec-1/1", "p/dk/rec-1/1"} {
		v, err := c.nodes[b].n.store.DB().Get([]byte(k), nil)
		if err != nil {
			t.Fatal(err)
		}
		leftovers = append(leftovers, [2][]byte{[]byte(k), v})
	}
	erase := c.send(hope, ana, record.Name, "erase", tx.String("record_id", "rec-1"))
	c.applied(a, erase.Height)
	c.applied(b, erase.Height)
	for _, i := range []int{a, b} {
		// The block's height is visible a moment before its erasure is
		// applied to the private store.
		waitFor(t, 30*time.Second, c.g.Nodes[i].ID+" after erasure holds only the tombstone", func() bool {
			return strings.Join(c.privateKeys(i, "rec-1"), ",") == "p/erased/rec-1"
		})
	}
	noOtherOrgHolds()

	// A copy arriving after the erasure is refused, and none is served.
	wrapped1, _ := envelope.Wrap(nil, c.g.Nodes[b].EncKey.Key, c.g.Nodes[b].ID, keys[1], "rec-1", 1)
	late := &replicaRequest{Op: replicaPush, RecordID: "rec-1", Version: 1, Sealed: sealedOf[1], Wrapped: wrapped1}
	if rep := c.nodes[b].n.serveReplica(peerOf(a), late); rep.Code != replicaErased {
		t.Fatalf("a copy pushed after the erasure: %+v", rep)
	}
	if rep := c.nodes[a].n.serveReplica(peerOf(b), pull); rep.Code == "" || rep.Sealed != nil {
		t.Fatalf("a copy pulled after the erasure: code %q, %d bytes", rep.Code, len(rep.Sealed))
	}
	if k := c.privateKeys(b, "rec-1"); strings.Join(k, ",") != "p/erased/rec-1" {
		t.Fatalf("B after a late copy holds %v", k)
	}

	// 6. Copies an erasure left behind (the node stopped between the
	// erasure's block and shredding) are shredded when it starts.
	c.editDB(b, func(st *store.Store) {
		for _, kv := range leftovers {
			if err := st.DB().Put(kv[0], kv[1], nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.DB().Delete([]byte("p/erased/rec-1"), nil); err != nil {
			t.Fatal(err)
		}
	})
	waitFor(t, 30*time.Second, "B shredded the copies the erasure left behind", func() bool {
		return strings.Join(c.privateKeys(b, "rec-1"), ",") == "p/erased/rec-1"
	})
	noOtherOrgHolds()
}

// TestReplicaLoopEndsWithTheNode: the catch-up loop of a custodian node
// ends when Run returns, and when a node opened without running is closed.
func TestReplicaLoopEndsWithTheNode(t *testing.T) {
	loops := func() int {
		buf := make([]byte, 1<<20)
		for runtime.Stack(buf, true) == len(buf) {
			buf = make([]byte, 2*len(buf))
		}
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "node.(*Node).replicaLoop(")
	}
	c := newCustodianCluster(t, 2)
	waitFor(t, 30*time.Second, "both nodes run a catch-up loop", func() bool { return loops() == 2 })
	c.stop(1)
	waitFor(t, 30*time.Second, "the stopped node's loop ended", func() bool { return loops() == 1 })
	c.stop(0)
	waitFor(t, 30*time.Second, "both loops ended", func() bool { return loops() == 0 })
	id := c.g.Nodes[0].ID
	kf, _ := genesis.LoadKeyFile(genesis.KeyPath(c.dir, id))
	key, _ := kf.SignKey()
	ek, _ := kf.ReaderKey()
	n, err := Open(Config{DataDir: filepath.Join(c.dir, "data", id), Genesis: c.g, NodeID: id, Key: key, EncKey: ek,
		Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the reopened node runs its catch-up loop", func() bool { return loops() == 1 })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the loop of a node closed without running ended", func() bool { return loops() == 0 })
}

// FuzzReplicaRequest fuzzes the decoder of peers' copy requests: no
// panic, and what it accepts has a known operation, a valid record id,
// bounded size and re-encodes to itself.
func FuzzReplicaRequest(f *testing.F) {
	for _, r := range []*replicaRequest{
		{ID: 1, Op: replicaPush, RecordID: "rec-1", Version: 1, Sealed: []byte{1}, Wrapped: []byte{2}},
		{ID: 2, Op: replicaPull, RecordID: "rec-1", Version: 3},
	} {
		b, _ := codec.Marshal(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeReplicaRequest(data)
		if err != nil {
			return
		}
		if req.Op != replicaPush && req.Op != replicaPull || req.Version == 0 || strings.Contains(req.RecordID, "/") {
			t.Fatalf("accepted %+v", req)
		}
		again, err := codec.Marshal(req)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted non-canonical request %x", data)
		}
	})
}

func TestDecodeReplicaRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  replicaRequest
		want string // "" when accepted
	}{
		{"push", replicaRequest{Op: replicaPush, RecordID: "rec-1", Version: 1, Sealed: []byte{1}, Wrapped: []byte{2}}, ""},
		{"pull", replicaRequest{Op: replicaPull, RecordID: "rec-1", Version: 2}, ""},
		{"push without a key", replicaRequest{Op: replicaPush, RecordID: "rec-1", Version: 1, Sealed: []byte{1}},
			"without"},
		{"pull with a copy", replicaRequest{Op: replicaPull, RecordID: "rec-1", Version: 1, Sealed: []byte{1}}, "carrying"},
		{"unknown op", replicaRequest{Op: "drop", RecordID: "rec-1", Version: 1}, "unknown"},
		{"version 0", replicaRequest{Op: replicaPull, RecordID: "rec-1"}, "version 0"},
		{"path in the id", replicaRequest{Op: replicaPull, RecordID: "rec/1", Version: 1}, "may use only"},
		{"too large", replicaRequest{Op: replicaPush, RecordID: "rec-1", Version: 1, Sealed: make([]byte, replicaMaxBytes),
			Wrapped: []byte{1}}, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := codec.Marshal(&tc.req)
			if err != nil {
				t.Fatal(err)
			}
			_, err = decodeReplicaRequest(b)
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
