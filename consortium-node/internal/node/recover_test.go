package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb/opt"
	lstorage "github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/table"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/store"
)

// stoppedTables opens and closes the stopped node's database, so that goleveldb turns its journal into a table,
// and returns its table files.
func stoppedTables(t *testing.T, dataDir string) []string {
	t.Helper()
	dir := filepath.Join(dataDir, "db")
	db, err := store.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	tables, err := filepath.Glob(filepath.Join(dir, "*.ldb"))
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// flipBlockTable flips one byte in the first data block of a table file of
// the stopped node's database that starts with blocks ("b/" keys), and
// returns the file. The database is opened and closed first, so that
// goleveldb turns its journal into a table.
func flipBlockTable(t *testing.T, dataDir string) string {
	t.Helper()
	tables := stoppedTables(t, dataDir)
	for i := len(tables) - 1; i >= 0; i-- {
		first, _, err := store.TableKeys(tables[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(first, []byte("b/")) {
			continue
		}
		f, err := os.OpenFile(tables[i], os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := []byte{0}
		if _, err := f.ReadAt(b, 50); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x20
		if _, err := f.WriteAt(b, 50); err != nil {
			t.Fatal(err)
		}
		return tables[i]
	}
	t.Fatalf("no table of blocks in %s: %v", filepath.Join(dataDir, "db"), tables)
	return ""
}

// checkRefused checks that opening cfg's node fails on the corrupt store,
// naming the file and the recovery.
func checkRefused(t *testing.T, cfg Config, file string) {
	t.Helper()
	n, err := Open(cfg)
	if err == nil {
		n.Close()
		t.Fatalf("a node with a byte of %s flipped started", file)
	}
	if !errors.Is(err, ErrCorruptStore) || !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), file) ||
		!strings.Contains(err.Error(), "consortium-node recover") {
		t.Fatalf("opening a node on a flipped table: %v; want ErrCorruptStore naming %s and the recovery", err, file)
	}
	t.Logf("refused to start: %v", err)
}

// TestCorruptStoreOneNode: a one-node chain whose raft log was never
// compacted. A byte flipped in a real table file of its stopped database
// makes it refuse to start, naming the file and the recovery; Recover
// (with no peer to ask) keeps its raft log, rebuilds the ledger from it
// when the node runs again, and brings it back to the same head and state
// hash; it then commits on.
func TestCorruptStoreOneNode(t *testing.T) {
	dir, g, key := devtest.OneNode(t)
	cfg := Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key,
		TickInterval: 10 * time.Millisecond, Logger: testLogger(t)}
	s := newSigner(t, dir, g)
	r := startResuming(t, cfg)
	for i := range 20 {
		raw := s.addMember(t, r.n().NextHeight(), fmt.Sprintf("stmarys/p%d", i))
		if res, err := submit(t, r.n(), raw, 10*time.Second); err != nil || !res.Committed {
			t.Fatalf("%+v %v", res, err)
		}
	}
	before := r.n().Head()
	r.stop()

	file := flipBlockTable(t, cfg.DataDir)
	checkRefused(t, cfg, file)

	rep, err := Recover(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	t.Logf("recovered: %+v", rep)
	if _, err := os.Stat(filepath.Join(rep.Damaged, filepath.Base(file))); err != nil {
		t.Errorf("the damaged database was not kept aside: %v", err)
	}
	r = startResuming(t, cfg)
	waitFor(t, 20*time.Second, "the recovered node to re-apply its raft log", func() bool {
		return r.n().Head().Height >= before.Height
	})
	if got := r.n().Head(); got.Height != before.Height || got.Hash != before.Hash || got.StateHash != before.StateHash {
		t.Fatalf("recovered head %+v, want %+v", got, before)
	}
	raw := s.addMember(t, r.n().NextHeight(), "stmarys/after")
	if res, err := submit(t, r.n(), raw, 10*time.Second); err != nil || !res.Committed {
		t.Fatalf("after recovery: %+v %v", res, err)
	}
}

// nodeSource serves a running node's blocks as its API does.
type nodeSource struct{ n *Node }

func (s nodeSource) Block(_ context.Context, h uint64) (*api.Block, error) {
	b, err := s.n.Block(h)
	if err != nil {
		return nil, err
	}
	return api.NewBlock(b.Block, b.Receipts, b.Signatures)
}

// TestCorruptStoreCluster: three nodes that compact their raft logs every
// 5 entries. A follower's table is flipped while it is stopped: it refuses
// to start; Recover fetches the blocks up to its raft snapshot from the
// leader and replays them; restarted, it converges to the same head and
// state hash and commits on.
func TestCorruptStoreCluster(t *testing.T) {
	c := newCluster(t, 3)
	c.snapEvery = 5
	for i := range c.nodes {
		c.stop(i)
		c.start(i)
	}
	lead := c.leader()
	for i := range 25 {
		if r := c.addMember(lead, fmt.Sprintf("stmarys/r%d", i)); !r.Committed {
			t.Fatalf("%+v", r)
		}
	}
	c.converge()
	f := (lead + 1) % 3
	c.stop(f)
	id := c.g.Nodes[f].ID
	kf, _ := genesis.LoadKeyFile(genesis.KeyPath(c.dir, id))
	key, _ := kf.SignKey()
	cfg := Config{DataDir: filepath.Join(c.dir, "data", id), Genesis: c.g, NodeID: id, Key: key, Logger: testLogger(t),
		SnapshotEvery: c.snapEvery, RaftListen: "127.0.0.1:0"}
	file := flipBlockTable(t, cfg.DataDir)
	checkRefused(t, cfg, file)
	if _, err := Recover(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Fatalf("Recover without a source of blocks past a compacted log: %v", err)
	}
	rep, err := Recover(context.Background(), cfg, nodeSource{c.nodes[lead].n})
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	t.Logf("recovered: %+v", rep)
	if rep.Fetched == 0 || rep.Target.Height == 0 {
		t.Fatalf("fetched %d blocks up to height %d: the raft log was not compacted?", rep.Fetched, rep.Target.Height)
	}
	c.start(f)
	c.converge()
	if r := c.addMember(f, "stmarys/via-recovered"); !r.Committed {
		t.Fatalf("%+v", r)
	}
	c.converge()
	if _, err := store.VerifyAll(c.nodes[f].n.store); err != nil {
		t.Fatal(err)
	}
}

// TestRecoverRefusesDamagedRaftLog: a byte flipped in the raft log (which
// holds the node's term, vote and acknowledged entries) cannot be repaired
// by rebuilding: the node refuses to start and Recover refuses, both
// naming the file, Recover the way out (replace the node); the database
// and the log are left as they were.
func TestRecoverRefusesDamagedRaftLog(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 5 {
		h.submit(h.addMember("stmarys/admin", fmt.Sprintf("stmarys/q%d", i)))
	}
	h.stop()
	cfg := h.n.cfg
	segs, _ := filepath.Glob(filepath.Join(raftLogDir(cfg.DataDir), "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no raft log segment")
	}
	file := segs[0]
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40 // inside a record with more after it: damage, not a torn tail
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}

	n, err := Open(cfg)
	if err == nil {
		n.Close()
		t.Fatal("a node with a damaged raft log started")
	}
	if !errors.Is(err, ErrCorruptStore) || !errors.Is(err, consensus.ErrCorrupt) || !strings.Contains(err.Error(), file) {
		t.Fatalf("opening a node on a damaged raft log: %v; want ErrCorruptStore naming %s", err, file)
	}
	t.Logf("refused to start: %v", err)
	_, err = Recover(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "raft log") || !strings.Contains(err.Error(), filepath.Base(file)) ||
		!strings.Contains(err.Error(), "replace the node") {
		t.Fatalf("Recover over a damaged raft hard state: %v", err)
	}
	t.Logf("Recover refused: %v", err)
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "db.recover")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staging database was left behind: %v", err)
	}
	if after, err := os.ReadFile(file); err != nil || !bytes.Equal(after, b) {
		t.Errorf("the damaged raft log was changed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "db", "CURRENT")); err != nil {
		t.Errorf("the database was moved: %v", err)
	}
}

// TestRecoverDivergedNode: a follower whose state was changed behind its
// back diverges from the quorum and halts (TestTamperedStateHalts). Its
// raft log is sound, so Recover rebuilds its ledger — here from its own
// log, which was never compacted — and drops the halt: restarted, it
// converges with the others and commits on.
func TestRecoverDivergedNode(t *testing.T) {
	c, lead, victim := newTamperedCluster(t)
	if r := c.addMember(lead, "stmarys/after"); !r.Committed {
		t.Fatalf("%+v", r)
	}
	c.stopHalted(victim, ErrDiverged)
	id := c.g.Nodes[victim].ID
	kf, _ := genesis.LoadKeyFile(genesis.KeyPath(c.dir, id))
	key, _ := kf.SignKey()
	rep, err := Recover(context.Background(), Config{DataDir: filepath.Join(c.dir, "data", id), Genesis: c.g, NodeID: id,
		Key: key, Logger: testLogger(t), RaftListen: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	t.Logf("recovered: %+v", rep)
	c.start(victim)
	c.converge()
	if r := c.addMember(victim, "stmarys/via-recovered"); !r.Committed || !r.Receipt.OK() {
		t.Fatalf("%+v", r)
	}
	c.converge()
}

// flipAtKey flips a byte in the data block that holds key in a table file
// of the stopped node's database, and returns the file. The database is
// opened and closed first, so that goleveldb turns its journal into a
// table.
func flipAtKey(t *testing.T, dataDir string, key []byte) string {
	t.Helper()
	tables := stoppedTables(t, dataDir)
	var file string
	for _, p := range tables {
		first, last, err := store.TableKeys(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Compare(first, key) <= 0 && bytes.Compare(last, key) >= 0 {
			file = p
		}
	}
	if file == "" {
		t.Fatalf("no table holds %q: %v", key, tables)
	}
	rf, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := rf.Stat()
	r, err := table.NewReader(rf, fi.Size(), lstorage.FileDesc{Type: lstorage.TypeTable}, nil, nil, &opt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	off, err := r.OffsetOf(key)
	r.Release() // closes rf
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%q is in the block at %d of %s (%d bytes)", key, off, file, fi.Size())
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, off+3); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x08
	if _, err := f.WriteAt(b, off+3); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCorruptReadHalts: with the start-up checks off, a block whose bytes
// fail goleveldb's checksum when it is read halts the node (it neither
// serves the block nor goes on voting), naming the file.
func TestCorruptReadHalts(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 12 {
		h.submit(h.addMember("stmarys/admin", fmt.Sprintf("stmarys/q%d", i)))
	}
	height := h.n.Head().Height
	h.stop()
	cfg := h.n.cfg
	file := flipAtKey(t, cfg.DataDir, append([]byte("b/"), binary.BigEndian.AppendUint64(nil, height-1)...))
	cfg.VerifyBlocks, cfg.VerifyTableBytes = -1, -1
	n, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open without the start-up checks: %v", err)
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer cancel()
	if _, err := n.Block(height - 1); !errors.Is(err, ErrCorruptStore) || !strings.Contains(err.Error(), filepath.Base(file)) {
		t.Fatalf("reading the damaged block: %v; want ErrCorruptStore naming %s", err, file)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrCorruptStore) {
			t.Fatalf("Run returned %v; want the halt", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not halt")
	}
	if st := n.Status(); !strings.Contains(st.Error, "corrupt") {
		t.Fatalf("status error %q", st.Error)
	}
}
