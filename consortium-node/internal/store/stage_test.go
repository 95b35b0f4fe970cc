package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// TestStageTip stages a block and checks that only the tip sees it: its
// writes (a put, a delete, a key written twice), its transactions as
// committed and its head, while Head, Get, Block, Committed and the
// applied index stay at the durable head; that a second block or an
// applied index is refused while it is staged; and that Write makes it
// durable, the tip then being the head again.
func TestStageTip(t *testing.T) {
	s, _ := newStore(t)
	c := newChain(t)
	mustCommit(t, s, c.genesis())
	mustCommit(t, s, c.next(2, ledger.StateWrite{Key: "k/gone", Value: []byte("old")},
		ledger.StateWrite{Key: "k/kept", Value: []byte("kept")}))
	durable, _ := s.Head()
	blk := c.next(3, ledger.StateWrite{Key: "k/gone", Deleted: true},
		ledger.StateWrite{Key: "k/new", Value: []byte("first")}, ledger.StateWrite{Key: "k/new", Value: []byte("new")})
	if tip := s.Tip(); tip.Head != durable {
		t.Fatalf("tip before staging: %+v, want the head %+v", tip.Head, durable)
	}
	p, err := s.Stage(blk)
	if err != nil {
		t.Fatal(err)
	}
	tip := s.Tip()
	if tip.Head != headOf(blk) || p.Head() != headOf(blk) {
		t.Fatalf("tip head %+v, staged head %+v, want %+v", tip.Head, p.Head(), headOf(blk))
	}
	for _, r := range []struct {
		key     string
		tip     string // "" absent
		durable string
	}{{"k/gone", "", "old"}, {"k/new", "new", ""}, {"k/kept", "kept", "kept"}} {
		for _, at := range []struct {
			name string
			get  func(string) ([]byte, bool, error)
			want string
		}{{"tip", tip.Get, r.tip}, {"store", s.Get, r.durable}} {
			v, ok, err := at.get(r.key)
			if err != nil || ok != (at.want != "") || !bytes.Equal(v, []byte(at.want)) {
				t.Errorf("%s Get(%q) = %q, %v, %v; want %q", at.name, r.key, v, ok, err, at.want)
			}
		}
	}
	id, expiry := blk.Receipts[0].TxID, blk.Block.Header.Height+10
	if ok, err := tip.Committed(id, expiry); !ok || err != nil {
		t.Errorf("tip Committed(staged tx) = %v, %v; want true", ok, err)
	}
	if ok, err := s.Committed(id, expiry); ok || err != nil {
		t.Errorf("store Committed(staged tx) = %v, %v; want false before the write", ok, err)
	}
	checkHead(t, s, durable)
	if _, err := s.Block(blk.Block.Header.Height); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the staged block is served before it is written: %v", err)
	}
	second := c.next(1) // on the staged block
	if _, err := s.Stage(second); !errors.Is(err, store.ErrStaged) {
		t.Errorf("a second staged block: %v, want ErrStaged", err)
	}
	if err := s.SetApplied(durable.Applied + 100); !errors.Is(err, store.ErrStaged) {
		t.Errorf("SetApplied while staged: %v, want ErrStaged", err)
	}
	if err := s.Commit(blk); !errors.Is(err, store.ErrStaged) {
		t.Errorf("Commit while staged: %v, want ErrStaged", err)
	}
	checkHead(t, s, durable)

	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	checkHead(t, s, headOf(blk))
	if s.Tip().Head != headOf(blk) {
		t.Fatalf("tip after the write: %+v", s.Tip().Head)
	}
	if v, ok, _ := s.Get("k/new"); !ok || string(v) != "new" {
		t.Errorf("written state: %q, %v", v, ok)
	}
	if _, ok, _ := s.Get("k/gone"); ok {
		t.Error("a deleted key is still there after the write")
	}
	if ok, err := s.Committed(id, expiry); !ok || err != nil {
		t.Errorf("Committed after the write: %v, %v", ok, err)
	}
	if err := p.Write(); err == nil {
		t.Error("a second Write of the same block succeeded")
	}
	// A block that does not extend the head is refused and nothing is
	// staged.
	if _, err := s.Stage(blk); !errors.Is(err, store.ErrHeight) {
		t.Errorf("staging the written block again: %v, want ErrHeight", err)
	}
	if s.Tip().Head != headOf(blk) {
		t.Error("a refused block changed the tip")
	}
	mustCommit(t, s, second)
}

// TestStagedWriteFailure fails a staged block's write (a full disk): the
// block is no longer staged, the tip is the durable head again, nothing of
// it is visible, and after a reopen the store is at the durable head and
// commits the same block.
func TestStagedWriteFailure(t *testing.T) {
	dir := t.TempDir()
	d, s, fs := openDisk(t, dir)
	c := newChain(t)
	mustCommit(t, s, c.genesis())
	mustCommit(t, s, c.next(2))
	durable, _ := s.Head()
	blk := c.next(40, ledger.StateWrite{Key: "k/new", Value: []byte("new")})
	p, err := s.Stage(blk)
	if err != nil {
		t.Fatal(err)
	}
	fs.SetFree(0)
	if err := p.Write(); !store.WriteFailure(err) {
		t.Fatalf("write on a full disk: %v; want a write failure", err)
	}
	checkHead(t, s, durable)
	tip := s.Tip()
	if tip.Head != durable {
		t.Fatalf("tip after a failed write: %+v, want the durable head %+v", tip.Head, durable)
	}
	if _, ok, _ := tip.Get("k/new"); ok {
		t.Error("the failed block's write is visible at the tip")
	}
	if ok, _ := tip.Committed(blk.Receipts[0].TxID, blk.Block.Header.Height+10); ok {
		t.Error("the failed block's transaction counts as committed")
	}
	fs.SetFree(-1)
	d.Close()
	d, s, _ = openDisk(t, dir)
	defer d.Close()
	checkHead(t, s, durable)
	mustCommit(t, s, blk)
	if v, ok, _ := s.Get("k/new"); !ok || string(v) != "new" {
		t.Errorf("state after committing the block again: %q, %v", v, ok)
	}
}
