package backup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/backup"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/nodetest"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// cluster is a dev consortium of in-process nodes (nodetest.Cluster: each
// with its own data folder and a node API over TLS, as --api-tls, talking
// raft, block sync and record release over the real transport), with what
// these tests send through it and what its nodes logged.
type cluster struct {
	*nodetest.Cluster
	t    *testing.T
	seq  atomic.Uint64
	log  *slog.Logger
	msgs *messages // what the nodes logged
}

// messages records log messages.
type messages struct {
	mu   sync.Mutex
	seen map[string]int
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[r.Message]++
	return nil
}
func (m *messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m *messages) WithGroup(string) slog.Handler      { return m }
func (m *messages) count(msg string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[msg]
}

func newCluster(t *testing.T, size int, snapEvery uint64) *cluster {
	msgs := &messages{seen: map[string]int{}}
	c := &cluster{t: t, log: slog.New(msgs), msgs: msgs}
	c.Cluster = nodetest.StartClusterConfig(t, nodetest.ClusterConfig{Devnet: devnet.Options{Nodes: size},
		SnapshotEvery: snapEvery, RetryAfter: time.Second, Logger: c.log})
	return c
}

// node returns the node with id and its index in Nodes.
func (c *cluster) node(id string) (*nodetest.ClusterNode, int) {
	for i, cn := range c.Nodes {
		if cn.ID == id {
			return cn, i
		}
	}
	c.t.Fatalf("no node %s", id)
	return nil, -1
}

// via returns the client of node id, reading as the node itself.
func (c *cluster) via(id string) *client.Client {
	cn, _ := c.node(id)
	return cn.Client
}

// status is node id's status.
func (c *cluster) status(id string) *api.Status {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.via(id).Status(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// keyFile loads a member's or node's dev key file.
func (c *cluster) keyFile(id string) *genesis.KeyFile {
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(c.Home, id))
	if err != nil {
		c.t.Fatal(err)
	}
	return kf
}

func (c *cluster) signKey(id string) *sign.PrivateKey {
	k, err := c.keyFile(id).SignKey()
	if err != nil {
		c.t.Fatal(err)
	}
	return k
}

func (c *cluster) encKey(id string) *envelope.ReaderKey {
	k, err := c.keyFile(id).ReaderKey()
	if err != nil {
		c.t.Fatal(err)
	}
	return k
}

// send signs a call as member, submits it through node via and waits for
// its commit; the receipt must be OK.
func (c *cluster) send(via, member, contract, method string, args ...tx.Arg) api.TxStatus {
	c.t.Helper()
	res, err := c.trySend(via, member, contract, method, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

func (c *cluster) trySend(via, member, contract, method string, args ...tx.Arg) (api.TxStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := c.via(via)
	st, err := cl.Status(ctx)
	if err != nil {
		return api.TxStatus{}, err
	}
	s, err := tx.Sign(tx.Body{ChainID: c.Genesis.ChainID, Sender: member, Nonce: c.seq.Add(1), Expiry: st.Height + 101,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, c.signKey(member))
	if err != nil {
		return api.TxStatus{}, err
	}
	res, err := cl.SubmitTx(ctx, s, client.SubmitOptions{Wait: true, Timeout: 20 * time.Second})
	if err != nil {
		return res, fmt.Errorf("%s.%s by %s via %s: %w", contract, method, member, via, err)
	}
	if res.Status != api.StatusCommitted || res.Receipt == nil || !res.Receipt.OK() {
		return res, fmt.Errorf("%s.%s by %s via %s: %+v", contract, method, member, via, res)
	}
	return res, nil
}

// memberArgs are identity.add_member's arguments for a member with one
// role (keys: St Mary's admin's, which these tests never use for them).
func (c *cluster) memberArgs(id, role string) []tx.Arg {
	enc, _ := c.keyFile("stmarys/admin").EncryptionKey()
	return []tx.Arg{tx.String("id", id), tx.Strings("roles", []string{role}),
		tx.String("sign_key", c.signKey("stmarys/admin").Public().String()), tx.String("enc_key", enc.String())}
}

// changeNodes commits a membership change approved by three of the four
// organisations' admins.
func (c *cluster) changeNodes(via string, ch *consortium.Change) {
	c.t.Helper()
	approvers := []string{"stmarys/admin", "acme/admin", "hope/admin"}
	var approvals []string
	for _, a := range approvers {
		s, err := consortium.Approve(c.Genesis.ChainID, ch, a, c.signKey(a))
		if err != nil {
			c.t.Fatal(err)
		}
		approvals = append(approvals, s)
	}
	c.send(via, approvers[0], consortium.Name, ch.Action, consortium.ChangeArgs(ch, approvals)...)
}

func statusOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// TestBackupRestoreRunningNode backs up St Mary's only node while
// transactions commit, loses its disk, and restores the backup on a fresh
// folder as the procedure says (docs/operations.md, "Backup and
// restore"): the lost node is removed and a new one (new id, raft id and
// keys) added by governance, the archive restored as it with the private
// store rewrapped from the old node's key, and the new node joins and
// catches up to the same head and state hash as the others. A record
// uploaded before the backup is served by the restored node. Other
// organisations' admins and nodes, and St Mary's non-admins, are refused
// the backup. Both ways of catching up are run: the leader still has the
// raft entries after the backup, or has compacted them away (a raft
// snapshot, then block sync).
func TestBackupRestoreRunningNode(t *testing.T) {
	for _, tc := range []struct {
		name      string
		snapEvery uint64
	}{{"log entries", 0}, {"snapshot and block sync", 6}} {
		t.Run(tc.name, func(t *testing.T) { backupRestore(t, tc.snapEvery) })
	}
}

func backupRestore(t *testing.T, snapEvery uint64) {
	start := time.Now()
	c := newCluster(t, 4, snapEvery)
	const (
		old   = "stmarys-node1"
		other = "acme-node2"
		fresh = "stmarys-node5"
	)
	oldRec, _ := c.Genesis.Node(old)
	oldNode, oldIndex := c.node(old)

	// A record, uploaded to St Mary's node and registered.
	plaintext := []byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Backupson"}]}}]}`)
	sealed, wrapped, err := envelope.SealFor(nil, oldRec.EncKey.Key, old, "rec-b", 1, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	up := &api.UploadRequest{RecordID: "rec-b", Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: "stmarys/clerk",
		Time: time.Now().Unix()}
	if err := api.SignPrivate(up, c.signKey("stmarys/clerk")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.via(old).UploadRecord(ctx, up); err != nil {
		t.Fatal(err)
	}
	hash := envelope.CiphertextHash(sealed)
	c.send(old, "stmarys/clerk", record.Name, "register", tx.String("record_id", "rec-b"), tx.Uint("version", 1),
		tx.Bytes("ciphertext_hash", hash[:]), tx.String("patient", "stmarys/patient-ana"), tx.String("category", "bundle"))

	// Load: members added through another organisation's node, without
	// pause, until told to stop.
	var (
		stopLoad  = make(chan struct{})
		loadDone  = make(chan error, 1)
		committed atomic.Int64
	)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stopLoad:
				loadDone <- nil
				return
			default:
			}
			if _, err := c.trySend(other, "stmarys/admin", identity.Name, "add_member",
				c.memberArgs(fmt.Sprintf("stmarys/p-%d", i), identityvocab.RolePatient)...); err != nil {
				loadDone <- err
				return
			}
			committed.Add(1)
		}
	}()
	waitCommitted := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for committed.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("the load committed %d transactions, not %d, in 30s", committed.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCommitted(5)

	// Who may take the backup: the node itself and St Mary's admins only.
	var sink bytes.Buffer
	for _, who := range []struct {
		id   string
		code int
	}{{"", 401}, {"acme/admin", 403}, {other, 403}, {"stmarys/clerk", 403}} {
		_, err := c.Client(oldNode, who.id).Backup(ctx, &sink)
		if statusOf(err) != who.code {
			t.Fatalf("backup of %s by %q: %v; want %d", old, who.id, err, who.code)
		}
	}
	if sink.Len() != 0 {
		t.Fatalf("a refused backup wrote %d bytes", sink.Len())
	}
	if _, err := c.Client(oldNode, old).Backup(ctx, io.Discard); err != nil {
		t.Fatalf("backup by the node itself: %v", err)
	}

	// The backup, taken by St Mary's admin while the load commits.
	archive := filepath.Join(t.TempDir(), "stmarys-node1.almbk")
	before := committed.Load()
	bstart := time.Now()
	h, size, err := api.WriteBackupFile(archive, func(f *os.File) (*api.BackupHeader, error) {
		return c.Client(oldNode, "stmarys/admin").Backup(ctx, f)
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(bstart)
	if h.Node != old || h.RaftID != oldRec.RaftID || h.Org != "stmarys" || h.ChainID != c.Genesis.ChainID || h.Height == 0 {
		t.Fatalf("archive header: %+v", h)
	}
	waitCommitted(committed.Load() + 10) // the chain moves on past the backup
	close(stopLoad)
	if err := <-loadDone; err != nil {
		t.Fatal(err)
	}
	if committed.Load() <= before {
		t.Fatal("nothing committed after the backup")
	}
	t.Logf("backup of %s at height %d: %d bytes in %v, while %d transactions committed in all", old, h.Height, size,
		took.Round(time.Millisecond), committed.Load())

	// St Mary's node loses its disk.
	c.Stop(oldIndex)
	if err := os.RemoveAll(filepath.Join(c.Home, "data", old)); err != nil {
		t.Fatal(err)
	}

	// Governance: remove the lost node, add a new one with new keys and a
	// new raft id.
	c.changeNodes(other, &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: old},
		ValidUntil: c.status(other).Height + 51})
	kf, err := genesis.NewKeyFile(fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.Save(genesis.KeyPath(c.Home, fresh)); err != nil {
		t.Fatal(err)
	}
	sk, _ := kf.SignKey()
	ek, _ := kf.EncryptionKey()
	rec := consortium.Node{ID: fresh, Org: "stmarys", RaftID: 5, SignKey: sk.Public(), EncKey: ek, RaftAddr: freeport.Addr(t),
		APIAddr: "127.0.0.1:1"}
	c.changeNodes(other, &consortium.Change{Action: consortiumvocab.ActionAddNode, Node: rec,
		ValidUntil: c.status(other).Height + 51})
	for range 8 { // more blocks, so that a compacting leader no longer has the backup's raft entries
		c.send(other, "acme/admin", identity.Name, "add_member",
			c.memberArgs(fmt.Sprintf("acme/m-%d", c.seq.Load()), identityvocab.RoleClaimsAdjuster)...)
	}

	// The restore, on a fresh folder, as the new node.
	nodes, err := c.via(other).Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rstart := time.Now()
	rep, err := backup.Restore(ctx, backup.RestoreConfig{From: f, DataDir: filepath.Join(c.Home, "data", fresh), Genesis: c.Genesis,
		Node: rec, Current: nodes, Logger: c.log,
		OldEncKey: func(id string) (*envelope.ReaderKey, error) { return c.encKey(id), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rewrapped != 1 || rep.Header.Height != h.Height {
		t.Fatalf("restore report: %+v", rep)
	}
	checkReseeded(t, filepath.Join(c.Home, "data", fresh, "db"), h.Height)
	synced := c.msgs.count("catching up by block sync")
	c.Join(rec)
	target := c.status(other).Height
	head := c.Converge(60 * time.Second)
	if bySync := c.msgs.count("catching up by block sync") > synced; bySync != (snapEvery > 0) {
		t.Fatalf("caught up by a raft snapshot and block sync: %v; want %v (a compacting leader)", bySync, snapEvery > 0)
	}
	t.Logf("restored as %s in %v (%d records); caught up from height %d to %d in %v; %s", fresh,
		rep.Duration.Round(time.Millisecond), rep.Records, h.Height, target, time.Since(rstart).Round(time.Millisecond), head)

	// A full member again: it commits and signs.
	c.send(fresh, "stmarys/admin", identity.Name, "add_member",
		c.memberArgs("stmarys/after-restore", identityvocab.RolePatient)...)
	c.Converge(30 * time.Second)
	if s := c.status(fresh); s.Error != "" {
		t.Fatalf("the restored node halted: %s", s.Error)
	}

	// The record uploaded before the backup is served by the restored
	// node: to its patient, directly and relayed through another node.
	access := c.send(other, "stmarys/patient-ana", record.Name, "access", tx.String("record_id", "rec-b"), tx.String("purpose", "treatment"))
	if ev := access.Receipt.Events[0]; ev.Type != "access_granted" {
		t.Fatalf("the patient's access: %v", ev)
	}
	c.Converge(30 * time.Second)
	for _, via := range []string{fresh, other} {
		req := &api.FetchRequest{AccessID: access.ID, Reader: "stmarys/patient-ana", Time: time.Now().Unix()}
		if err := api.SignPrivate(req, c.signKey("stmarys/patient-ana")); err != nil {
			t.Fatal(err)
		}
		resp, err := c.via(via).FetchRecord(ctx, req)
		if err != nil {
			t.Fatalf("fetch via %s: %v", via, err)
		}
		rdk, err := envelope.Unwrap(c.encKey("stmarys/patient-ana"), "stmarys/patient-ana", resp.Wrapped, "rec-b", 1)
		if err != nil {
			t.Fatalf("fetch via %s: %v", via, err)
		}
		got, err := envelope.Open(rdk, resp.Sealed, "rec-b", 1)
		if err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("fetch via %s: %q, %v", via, got, err)
		}
	}
	t.Logf("whole procedure in %v", time.Since(start).Round(time.Millisecond))
}

// checkReseeded checks a restored database's raft storage: nothing but a
// snapshot at the applied index of the head at height, no vote, and a
// commit index at the snapshot (the backed-up node's term, vote and log
// suffix are gone).
func checkReseeded(t *testing.T, dir string, height uint64) {
	t.Helper()
	db, err := store.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	head, ok, err := store.HeadIn(db)
	if err != nil || !ok || head.Height != height {
		t.Fatalf("restored head: %+v %v %v", head, ok, err)
	}
	rs, err := consensus.OpenStorage(db, "raft/")
	if err != nil {
		t.Fatal(err)
	}
	hs, cs, _ := rs.InitialState()
	snap, _ := rs.Snapshot()
	first, _ := rs.FirstIndex()
	last, _ := rs.LastIndex()
	si := snap.GetMetadata().GetIndex()
	if hs.GetVote() != 0 || hs.GetCommit() != si || si != head.Applied || first != si+1 || last != si || len(cs.GetVoters()) == 0 {
		t.Fatalf("restored raft storage: hard state %v, snapshot at %d, log [%d, %d], voters %v; head applied %d",
			hs, si, first, last, cs.GetVoters(), head.Applied)
	}
}
