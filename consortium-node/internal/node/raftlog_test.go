package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/privacy/integrity"
)

// toOldHome turns the stopped node's data folder into what the version
// before the raft log had a folder of its own left: the log's records in
// the database under raftPrefix, and no raftlog folder.
func toOldHome(t *testing.T, dataDir string) {
	t.Helper()
	db, err := store.OpenDB(filepath.Join(dataDir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := ReadRaftLog(dataDir, db)
	if err != nil {
		t.Fatal(err)
	}
	v, err := rs.Capture(nil)
	rs.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Export(raftPrefix, func(k, val []byte) error { return db.Put(k, val, nil) }); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(raftLogDir(dataDir)); err != nil {
		t.Fatal(err)
	}
}

// TestOldHomeMigrates: a node home whose raft log is in the database (as
// the previous version kept it) starts: the log moves into its own
// folder, the node keeps its chain and commits on, and restarts again.
func TestOldHomeMigrates(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 5 {
		if r := h.submit(h.addMember("stmarys/admin", fmt.Sprintf("stmarys/m%d", i))); !r[0].Committed {
			t.Fatalf("%+v", r[0])
		}
	}
	head := h.n.Head()
	h.stop()
	toOldHome(t, h.n.cfg.DataDir)

	h.start(nil)
	if got := h.n.Head(); got.Height < head.Height || got.Applied < head.Applied {
		t.Fatalf("head after the migration %+v, before %+v", got, head)
	}
	if _, err := os.Stat(raftLogDir(h.n.cfg.DataDir)); err != nil {
		t.Fatalf("no raft log folder after the migration: %v", err)
	}
	if r := h.submit(h.addMember("stmarys/admin", "stmarys/after")); !r[0].Committed {
		t.Fatalf("after the migration: %+v", r[0])
	}
	it := h.n.store.DB().NewIterator(nil, nil)
	for it.Next() {
		if strings.HasPrefix(string(it.Key()), raftPrefix) {
			t.Errorf("raft record %q left in the database", it.Key())
		}
	}
	it.Release()
	h.stop()
	h.start(nil)
	if r := h.submit(h.addMember("stmarys/admin", "stmarys/after-restart")); !r[0].Committed {
		t.Fatalf("after a restart: %+v", r[0])
	}
}

// TestMissingRaftLogRefused: a node whose raft log lost its segments
// (here all of them) while its ledger was applied from it refuses to
// start with an integrity error, instead of starting raft from nothing.
func TestMissingRaftLogRefused(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 3 {
		h.submit(h.addMember("stmarys/admin", fmt.Sprintf("stmarys/m%d", i)))
	}
	h.stop()
	segs, _ := filepath.Glob(filepath.Join(raftLogDir(h.n.cfg.DataDir), "*.seg"))
	for _, s := range segs {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Open(h.n.cfg)
	if err == nil {
		n.Close()
		t.Fatal("a node whose raft log is gone started")
	}
	if !errors.Is(err, ErrCorruptStore) || !errors.Is(err, consensus.ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) ||
		!strings.Contains(err.Error(), "missing") {
		t.Fatalf("Open: %v; want ErrCorruptStore saying the log is missing", err)
	}
	t.Logf("refused: %v", err)
}
