package backup_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/backup"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/nodetest"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestCheckHeaderRefusesUnsafeRestores: the restore tooling refuses every
// path that could let a raft member vote twice or hand one organisation's
// private records to another, and says what to do instead.
func TestCheckHeaderRefusesUnsafeRestores(t *testing.T) {
	g := &genesis.File{ChainID: "almoner-dev"}
	old := consortium.Node{ID: "stmarys-node1", Org: "stmarys", RaftID: 1}
	fresh := consortium.Node{ID: "stmarys-node5", Org: "stmarys", RaftID: 5}
	others := []consortium.Node{{ID: "acme-node2", Org: "acme", RaftID: 2}, {ID: "hope-node3", Org: "hope", RaftID: 3}}
	h := api.BackupHeader{Kind: api.BackupNode, ChainID: "almoner-dev", Node: old.ID, RaftID: 1, Org: "stmarys", Height: 9}
	for _, tc := range []struct {
		name    string
		h       api.BackupHeader
		node    consortium.Node
		current []consortium.Node
		single  bool
		want    error
		says    string
	}{
		{"the safe path", h, fresh, append(others, fresh), false, nil, ""},
		{"another chain", api.BackupHeader{Kind: api.BackupNode, ChainID: "other", Node: old.ID, RaftID: 1, Org: "stmarys"}, fresh,
			append(others, fresh), false, backup.ErrWrongChain, "chain"},
		{"a portal archive", api.BackupHeader{Kind: api.BackupPortal, ChainID: "almoner-dev", Org: "stmarys"}, fresh,
			append(others, fresh), false, backup.ErrUnsafe, "not a node's"},
		{"the old raft id", h, old, append(others, fresh), false, backup.ErrUnsafe, "vote twice"},
		{"the old id re-added with its old raft id", h, consortium.Node{ID: "stmarys-node1b", Org: "stmarys", RaftID: 1},
			append(others, fresh), false, backup.ErrUnsafe, "node-change remove"},
		{"the old node still a member", h, fresh, append(others, old, fresh), false, backup.ErrUnsafe, "still a member"},
		{"the old id given to a new node", h, consortium.Node{ID: old.ID, Org: "stmarys", RaftID: 7},
			append(others, consortium.Node{ID: old.ID, Org: "stmarys", RaftID: 7}), false, backup.ErrUnsafe, "an id of its own"},
		{"the new node not added yet", h, fresh, others, false, backup.ErrUnsafe, "add it first"},
		{"the new node added with other keys", h, fresh, append(others, consortium.Node{ID: fresh.ID, Org: "stmarys", RaftID: 6}),
			false, backup.ErrUnsafe, "add it first"},
		{"another organisation's node", h, others[0], others, false, backup.ErrUnsafe, "holds stmarys's data"},
		{"single node as another node", h, fresh, nil, true, backup.ErrUnsafe, "as itself"},
		{"single node as itself", h, old, nil, true, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &backup.RestoreConfig{Genesis: g, Node: tc.node, Current: tc.current, SingleNode: tc.single}
			err := backup.CheckHeader(&tc.h, cfg)
			if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), tc.says)) {
				t.Fatalf("got %v; want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

// TestRestoreRefusesDamageAndUsedFolders: a damaged archive or one of
// another chain leaves nothing behind, and a folder in use is never
// restored over.
func TestRestoreRefusesDamageAndUsedFolders(t *testing.T) {
	c := newCluster(t, 1, 0)
	g, id := c.Genesis, c.Genesis.Nodes[0].ID
	var archive bytes.Buffer
	if _, err := c.via(id).Backup(context.Background(), &archive); err != nil {
		t.Fatal(err)
	}
	me, _ := g.Node(id)
	dir := filepath.Join(t.TempDir(), "data", id)
	restore := func(b []byte, g *genesis.File) error {
		_, err := backup.Restore(context.Background(), backup.RestoreConfig{From: bytes.NewReader(b), DataDir: dir, Genesis: g,
			Node: me, SingleNode: true})
		return err
	}
	bad := bytes.Clone(archive.Bytes())
	bad[len(bad)/2] ^= 1
	if err := restore(bad, g); !errors.Is(err, api.ErrBackupCorrupt) {
		t.Fatalf("a damaged archive: %v", err)
	}
	if err := restore(archive.Bytes()[:archive.Len()-1], g); !errors.Is(err, api.ErrBackupCorrupt) {
		t.Fatalf("a truncated archive: %v", err)
	}
	other := *g
	other.ChainID = "another-chain"
	if err := restore(archive.Bytes(), &other); !errors.Is(err, backup.ErrWrongChain) {
		t.Fatalf("another chain: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 0 {
		t.Fatalf("a failed restore left %v", ents)
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := restore(archive.Bytes(), g); !errors.Is(err, backup.ErrTarget) {
		t.Fatalf("a folder in use: %v", err)
	}
}

// TestRestoreSingleNode: a one-node consortium's node, lost, comes back
// from its backup in place (at the backup's height) and commits again.
func TestRestoreSingleNode(t *testing.T) {
	c := newCluster(t, 1, 0)
	id := c.Genesis.Nodes[0].ID
	add := func(member string) {
		c.send(id, "stmarys/admin", identity.Name, "add_member", c.memberArgs(member, identityvocab.RolePatient)...)
	}
	add("stmarys/before")
	var archive bytes.Buffer
	h, err := c.via(id).Backup(context.Background(), &archive)
	if err != nil {
		t.Fatal(err)
	}
	add("stmarys/lost") // after the backup: lost with the disk
	c.Stop(0)
	if err := os.RemoveAll(filepath.Join(c.Home, "data", id)); err != nil {
		t.Fatal(err)
	}
	me, _ := c.Genesis.Node(id)
	if _, err := backup.Restore(context.Background(), backup.RestoreConfig{From: &archive, DataDir: filepath.Join(c.Home, "data", id),
		Genesis: c.Genesis, Node: me, SingleNode: true}); err != nil {
		t.Fatal(err)
	}
	c.Start(0)
	if got := c.status(id); got.Height != h.Height || got.HeadHash != h.Hash {
		t.Fatalf("restored head %d/%s, want the backup's %d/%s", got.Height, got.HeadHash, h.Height, h.Hash)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := nodetest.WaitLeader(ctx, c.via(id)); err != nil {
		t.Fatal(err)
	}
	add("stmarys/after")
	if got := c.status(id).Height; got != h.Height+1 {
		t.Fatalf("height %d after one more block on the backup's %d", got, h.Height)
	}
}

// TestBackupIsOneSnapshot: blocks commit while a backup is open (its
// snapshot stalls nothing), and the archive written afterwards is the
// node as it was when the backup was opened, whole.
func TestBackupIsOneSnapshot(t *testing.T) {
	n, g, add := runNode(t)
	id := g.Nodes[0].ID
	add("stmarys/in-backup")
	b, err := n.OpenBackup()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	at := n.Head()
	for _, m := range []string{"stmarys/later-1", "stmarys/later-2", "stmarys/later-3"} {
		add(m) // commits while the snapshot is held
	}
	if n.Head().Height != at.Height+3 {
		t.Fatalf("height %d, want %d", n.Head().Height, at.Height+3)
	}
	var archive bytes.Buffer
	if _, err := b.WriteTo(context.Background(), &archive); err != nil {
		t.Fatal(err)
	}
	if h := b.Header(); h.Height != at.Height || h.Hash != at.Hash {
		t.Fatalf("archive header at %d, the backup was opened at %d", h.Height, at.Height)
	}
	me, _ := g.Node(id)
	dir := filepath.Join(t.TempDir(), id)
	if _, err := backup.Restore(context.Background(), backup.RestoreConfig{From: &archive, DataDir: dir, Genesis: g, Node: me,
		SingleNode: true}); err != nil {
		t.Fatal(err)
	}
	checkReseeded(t, filepath.Join(dir, "db"), at.Height)
}

// runNode runs the one node of a new one-node dev consortium in process, for what only the node itself offers
// (OpenBackup), until the test ends; add commits St Mary's admin's identity.add_member of a patient through it.
func runNode(t *testing.T) (n *node.Node, g *genesis.File, add func(member string)) {
	dir, g, key := devtest.OneNode(t)
	akf, admin, err := genesis.LoadSignKey(dir, "", "stmarys/admin")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := akf.EncryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	n, err = node.Open(node.Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key,
		TickInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node Run: %v", err)
		}
		n.Close()
	})
	for deadline := time.Now().Add(30 * time.Second); n.Status().Raft.State != "StateLeader"; {
		if time.Now().After(deadline) {
			t.Fatal("no raft leader after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var nonce uint64
	add = func(member string) {
		t.Helper()
		nonce++
		raw, err := tx.SignEncoded(tx.Body{ChainID: g.ChainID, Sender: "stmarys/admin", Nonce: nonce,
			Expiry: n.NextHeight() + 100,
			Call: tx.Call{Contract: identity.Name, Method: "add_member", Args: tx.Args{tx.String("id", member),
				tx.Strings("roles", []string{identityvocab.RolePatient}), tx.String("sign_key", admin.Public().String()),
				tx.String("enc_key", enc.String())}}}, admin)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := n.Submit(ctx, [][]byte{raw}, true)
		if err != nil || res[0].Err != nil || !res[0].Committed || !res[0].Receipt.OK() {
			t.Fatalf("add_member %s: %+v %v", member, res, err)
		}
	}
	return n, g, add
}
