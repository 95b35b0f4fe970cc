package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/dbopt"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// chain builds consecutive commits for tests: a genesis block and blocks
// of opaque transactions (the store never decodes transactions).
type chain struct {
	t       *testing.T
	key     *sign.PrivateKey
	head    ledger.Header
	applied uint64
}

func newChain(t *testing.T) *chain {
	t.Helper()
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{7}, sign.Ed25519SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return &chain{t: t, key: k}
}

func (c *chain) genesis() *store.Commit {
	writes := []ledger.StateWrite{
		{Key: "chain/params", Value: []byte("params")},
		{Key: "identity/member/a/admin", Value: []byte("admin")},
	}
	b := &ledger.Block{Header: ledger.Header{
		ChainID: "test", Height: 0, Time: 1_000,
		TxRoot: ledger.TxRoot(nil), ReceiptRoot: ledger.ReceiptRoot(nil),
		StateHash: ledger.NextStateHash(ledger.Hash{}, writes), Proposer: "genesis",
	}, Txs: [][]byte{}}
	c.head = b.Header
	return &store.Commit{Block: b, Receipts: []ledger.Receipt{}, Writes: writes}
}

// next returns the commit of a block of n transactions on top of the last
// one next (or genesis) returned; the second transaction of every block
// fails.
func (c *chain) next(n int, writes ...ledger.StateWrite) *store.Commit {
	h := c.head.Height + 1
	b := &ledger.Block{Txs: make([][]byte, n)}
	rs := make([]ledger.Receipt, n)
	for i := range n {
		b.Txs[i] = []byte(fmt.Sprintf("tx %d of block %d", i, h))
		rs[i] = ledger.Receipt{TxID: tx.HashID(b.Txs[i]), Status: ledger.StatusOK, Events: []ledger.Event{
			{Contract: "identity", Type: "member_added", Attrs: []ledger.Attr{{Key: "member", Value: fmt.Sprintf("a/m-%d-%d", h, i)}}},
		}}
		if i == 1 {
			rs[i] = ledger.Receipt{TxID: rs[i].TxID, Status: ledger.StatusFailed, Error: "permission denied", Events: []ledger.Event{}}
		}
	}
	b.Header = ledger.Header{
		ChainID: "test", Height: h, Time: c.head.Time + 1, PrevHash: c.head.Hash(),
		TxRoot: ledger.TxRoot(b.Txs), ReceiptRoot: ledger.ReceiptRoot(rs),
		StateHash: ledger.NextStateHash(c.head.StateHash, writes), Proposer: "n1",
	}
	c.head = b.Header
	c.applied += 3
	sig := ledger.SignHeader("n1", c.key, b.Header.Hash())
	return &store.Commit{Block: b, Receipts: rs, Writes: writes, Signatures: []ledger.HeaderSignature{sig}, Applied: c.applied}
}

func openStore(t *testing.T, dir string) (*store.Store, *leveldb.DB) {
	t.Helper()
	db, err := store.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return s, db
}

func newStore(t *testing.T) (*store.Store, *leveldb.DB) {
	t.Helper()
	s, db := openStore(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	return s, db
}

func mustCommit(t *testing.T, s *store.Store, c *store.Commit) {
	t.Helper()
	if err := s.Commit(c); err != nil {
		t.Fatalf("commit block %d: %v", c.Block.Header.Height, err)
	}
}

func enc(t *testing.T, v any) []byte {
	t.Helper()
	b, err := codec.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func headOf(c *store.Commit) store.Head {
	h := &c.Block.Header
	return store.Head{Height: h.Height, Hash: h.Hash(), StateHash: h.StateHash, Time: h.Time, Applied: c.Applied}
}

func checkHead(t *testing.T, s *store.Store, want store.Head) {
	t.Helper()
	got, ok := s.Head()
	if !ok {
		t.Fatal("Head: no head")
	}
	if got != want {
		t.Fatalf("Head = %+v, want %+v", got, want)
	}
}

func checkState(t *testing.T, s *store.Store, key string, want []byte, wantOK bool) {
	t.Helper()
	v, ok, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if ok != wantOK || !bytes.Equal(v, want) {
		t.Fatalf("Get(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
	}
}

// checkCommitted checks that everything Commit wrote for c reads back.
func checkCommitted(t *testing.T, s *store.Store, c *store.Commit) {
	t.Helper()
	h := c.Block.Header.Height
	b, err := s.Block(h)
	if err != nil {
		t.Fatalf("Block(%d): %v", h, err)
	}
	if !bytes.Equal(enc(t, b), enc(t, c.Block)) || b.Header.Hash() != c.Block.Header.Hash() {
		t.Fatalf("Block(%d) = %+v, want %+v", h, b, c.Block)
	}
	got, err := s.HeightOf(c.Block.Header.Hash())
	if err != nil || got != h {
		t.Fatalf("HeightOf(block %d) = %d, %v", h, got, err)
	}
	rs, err := s.Receipts(h)
	if err != nil {
		t.Fatalf("Receipts(%d): %v", h, err)
	}
	if !bytes.Equal(enc(t, rs), enc(t, c.Receipts)) || len(rs) != len(c.Receipts) {
		t.Fatalf("Receipts(%d) = %+v, want %+v", h, rs, c.Receipts)
	}
	if ledger.ReceiptRoot(rs) != c.Block.Header.ReceiptRoot {
		t.Fatalf("Receipts(%d) do not match the header's receipt root", h)
	}
	sigs, err := s.Signatures(h)
	if err != nil {
		t.Fatalf("Signatures(%d): %v", h, err)
	}
	if !bytes.Equal(enc(t, sigs), enc(t, c.Signatures)) {
		t.Fatalf("Signatures(%d) = %+v, want %+v", h, sigs, c.Signatures)
	}
	for i, r := range c.Receipts {
		gh, gi, ok, err := s.TxLocation(r.TxID)
		if err != nil || !ok || gh != h || gi != i {
			t.Fatalf("TxLocation(tx %d of block %d) = %d, %d, %v, %v", i, h, gh, gi, ok, err)
		}
	}
}

func TestCommitAndRead(t *testing.T) {
	s, _ := newStore(t)
	if _, ok := s.Head(); ok {
		t.Fatal("empty store has a head")
	}
	c := newChain(t)
	g := c.genesis()
	mustCommit(t, s, g)
	checkHead(t, s, headOf(g))
	checkCommitted(t, s, g)
	checkState(t, s, "chain/params", []byte("params"), true)

	commits := []*store.Commit{g}
	steps := []struct {
		name   string
		txs    int
		writes []ledger.StateWrite
		check  func(t *testing.T)
	}{
		{"one tx, new key", 1, []ledger.StateWrite{{Key: "identity/member/a/m1", Value: []byte("m1")}}, func(t *testing.T) {
			checkState(t, s, "identity/member/a/m1", []byte("m1"), true)
		}},
		{"overwrite and delete", 3, []ledger.StateWrite{
			{Key: "chain/params", Deleted: true},
			{Key: "identity/member/a/m1", Value: []byte("m1 v2")},
		}, func(t *testing.T) {
			checkState(t, s, "chain/params", nil, false)
			checkState(t, s, "identity/member/a/m1", []byte("m1 v2"), true)
			checkState(t, s, "identity/member/a/admin", []byte("admin"), true)
		}},
		{"no writes", 2, nil, func(t *testing.T) {
			checkState(t, s, "identity/member/a/m1", []byte("m1 v2"), true)
		}},
		{"many txs", 40, []ledger.StateWrite{{Key: "k", Value: []byte{}}}, func(t *testing.T) {
			v, ok, err := s.Get("k")
			if err != nil || !ok || len(v) != 0 {
				t.Fatalf("Get(k) = %q, %v, %v; want empty value", v, ok, err)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			cm := c.next(st.txs, st.writes...)
			mustCommit(t, s, cm)
			commits = append(commits, cm)
			checkHead(t, s, headOf(cm))
			st.check(t)
			for _, old := range commits {
				checkCommitted(t, s, old)
			}
		})
	}

	t.Run("not found", func(t *testing.T) {
		h, _ := s.Head()
		if _, err := s.Block(h.Height + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Block(head+1) error = %v, want ErrNotFound", err)
		}
		if _, err := s.Receipts(h.Height + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Receipts(head+1) error = %v, want ErrNotFound", err)
		}
		if _, err := s.Signatures(h.Height + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Signatures(head+1) error = %v, want ErrNotFound", err)
		}
		if _, err := s.HeightOf(ledger.Hash{1}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("HeightOf(unknown) error = %v, want ErrNotFound", err)
		}
		if _, _, ok, err := s.TxLocation(tx.HashID([]byte("never committed"))); ok || err != nil {
			t.Errorf("TxLocation(unknown) = %v, %v; want false, nil", ok, err)
		}
		checkState(t, s, "no/such/key", nil, false)
	})
}

func TestCommitRejects(t *testing.T) {
	t.Run("first block must be genesis", func(t *testing.T) {
		s, _ := newStore(t)
		c := newChain(t)
		c.genesis()
		b1 := c.next(1, ledger.StateWrite{Key: "x", Value: []byte("x")})
		if err := s.Commit(b1); !errors.Is(err, store.ErrHeight) {
			t.Fatalf("Commit(block 1 on an empty store) error = %v, want ErrHeight", err)
		}
		if _, ok := s.Head(); ok {
			t.Fatal("rejected commit moved the head")
		}
		checkState(t, s, "x", nil, false)
		if _, err := s.Block(1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rejected block is readable: %v", err)
		}
	})

	tests := []struct {
		name    string
		mutate  func(c *store.Commit, g, b1 *store.Commit)
		wantErr error // nil: any error
	}{
		{"height skips one", func(c, _, _ *store.Commit) { c.Block.Header.Height = 3 }, store.ErrHeight},
		{"height repeats the head", func(c, _, _ *store.Commit) { c.Block.Header.Height = 1 }, store.ErrHeight},
		{"second genesis", func(c, _, _ *store.Commit) { c.Block.Header.Height = 0 }, store.ErrHeight},
		{"prev hash of an older block", func(c, g, _ *store.Commit) { c.Block.Header.PrevHash = g.Block.Header.Hash() }, store.ErrHeight},
		{"zero prev hash", func(c, _, _ *store.Commit) { c.Block.Header.PrevHash = ledger.Hash{} }, store.ErrHeight},
		{"prev hash off by one bit", func(c, _, b1 *store.Commit) {
			h := b1.Block.Header.Hash()
			h[31] ^= 1
			c.Block.Header.PrevHash = h
		}, store.ErrHeight},
		{"fewer receipts than txs", func(c, _, _ *store.Commit) { c.Receipts = c.Receipts[:1] }, nil},
		{"more receipts than txs", func(c, _, _ *store.Commit) { c.Receipts = append(c.Receipts, c.Receipts[0]) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, db := newStore(t)
			c := newChain(t)
			g := c.genesis()
			mustCommit(t, s, g)
			b1 := c.next(2, ledger.StateWrite{Key: "a", Value: []byte("1")})
			mustCommit(t, s, b1)
			before := snapshot(t, db)
			b2 := c.next(3, ledger.StateWrite{Key: "a", Value: []byte("2")}, ledger.StateWrite{Key: "b", Value: []byte("2")})
			tc.mutate(b2, g, b1)
			err := s.Commit(b2)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Commit error = %v, want %v", err, tc.wantErr)
			}
			checkHead(t, s, headOf(b1))
			if after := snapshot(t, db); !slices.Equal(before, after) {
				t.Fatalf("rejected commit changed the database:\nbefore %q\nafter  %q", before, after)
			}
			checkState(t, s, "a", []byte("1"), true)
			checkState(t, s, "b", nil, false)
			for _, r := range b2.Receipts {
				if _, _, ok, err := s.TxLocation(r.TxID); ok || err != nil {
					t.Fatalf("tx of the rejected block is indexed: %v, %v", ok, err)
				}
			}
			checkCommitted(t, s, g)
			checkCommitted(t, s, b1)
			// The store still accepts the right block afterwards.
			c.head = b1.Block.Header
			c.applied = b1.Applied
			good := c.next(1)
			mustCommit(t, s, good)
			checkHead(t, s, headOf(good))
		})
	}
}

// snapshot returns every key and value of the database.
func snapshot(t *testing.T, db *leveldb.DB) [][2]string {
	t.Helper()
	it := db.NewIterator(nil, nil)
	defer it.Release()
	var out [][2]string
	for it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, db := openStore(t, dir)
	c := newChain(t)
	commits := []*store.Commit{c.genesis()}
	for i := range 5 {
		commits = append(commits, c.next(i+1, ledger.StateWrite{Key: fmt.Sprintf("k%d", i), Value: []byte{byte(i)}}))
	}
	for _, cm := range commits {
		mustCommit(t, s, cm)
	}
	want, _ := s.Head()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s2, db2 := openStore(t, dir)
	defer db2.Close()
	checkHead(t, s2, want)
	if want != headOf(commits[len(commits)-1]) {
		t.Fatalf("head before reopening = %+v, want the last commit's", want)
	}
	for _, cm := range commits {
		checkCommitted(t, s2, cm)
	}
	for i := range 5 {
		checkState(t, s2, fmt.Sprintf("k%d", i), []byte{byte(i)}, true)
	}
	// The reopened store continues the chain and refuses forks.
	fork := *commits[2]
	if err := s2.Commit(&fork); !errors.Is(err, store.ErrHeight) {
		t.Fatalf("Commit(old block) after reopening: %v, want ErrHeight", err)
	}
	mustCommit(t, s2, c.next(1))
}

func TestSetApplied(t *testing.T) {
	dir := t.TempDir()
	s, db := openStore(t, dir)
	if err := s.SetApplied(5); err != nil {
		t.Fatalf("SetApplied before genesis: %v", err)
	}
	if _, ok := s.Head(); ok {
		t.Fatal("SetApplied before genesis created a head")
	}
	c := newChain(t)
	mustCommit(t, s, c.genesis())
	b1 := c.next(1)
	b1.Applied = 10
	mustCommit(t, s, b1)
	want := headOf(b1)

	steps := []struct {
		name    string
		idx     uint64
		applied uint64
	}{
		{"lower index is ignored", 4, 10},
		{"same index is ignored", 10, 10},
		{"higher index moves applied", 12, 12},
		{"and again", 20, 20},
		{"never backwards", 15, 20},
	}
	for _, st := range steps {
		if err := s.SetApplied(st.idx); err != nil {
			t.Fatalf("%s: SetApplied(%d): %v", st.name, st.idx, err)
		}
		want.Applied = st.applied
		got, _ := s.Head()
		if got != want {
			t.Fatalf("%s: head = %+v, want %+v", st.name, got, want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s2, db2 := openStore(t, dir)
	defer db2.Close()
	checkHead(t, s2, want)
	checkCommitted(t, s2, b1)

	// A later block records its own applied index.
	c.applied = 25
	b2 := c.next(1)
	mustCommit(t, s2, b2)
	checkHead(t, s2, headOf(b2))
}

func be64(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

func TestCorruptValues(t *testing.T) {
	garbage := [][]byte{
		{},
		{0xff},
		[]byte("not cbor at all"),
		{0x83, 0x01, 0x02}, // truncated array
		{0x9f, 0xff},       // indefinite length
		{0xa1, 0x61, 0x61, 0x01},
	}
	type target struct {
		name string
		key  func(b1 *store.Commit) []byte
		read func(s *store.Store, b1 *store.Commit) error
	}
	targets := []target{
		{"block", func(*store.Commit) []byte { return append([]byte("b/"), be64(1)...) },
			func(s *store.Store, _ *store.Commit) error { _, err := s.Block(1); return err }},
		{"receipts", func(*store.Commit) []byte { return append([]byte("r/"), be64(1)...) },
			func(s *store.Store, _ *store.Commit) error { _, err := s.Receipts(1); return err }},
		{"signatures", func(*store.Commit) []byte { return append([]byte("g/"), be64(1)...) },
			func(s *store.Store, _ *store.Commit) error { _, err := s.Signatures(1); return err }},
		{"tx index", func(b1 *store.Commit) []byte { return append([]byte("t/"), b1.Receipts[0].TxID[:]...) },
			func(s *store.Store, b1 *store.Commit) error {
				_, _, _, err := s.TxLocation(b1.Receipts[0].TxID)
				return err
			}},
		{"hash index", func(b1 *store.Commit) []byte { h := b1.Block.Header.Hash(); return append([]byte("h/"), h[:]...) },
			func(s *store.Store, b1 *store.Commit) error { _, err := s.HeightOf(b1.Block.Header.Hash()); return err }},
	}
	for _, tg := range targets {
		for i, g := range garbage {
			t.Run(fmt.Sprintf("%s/%d", tg.name, i), func(t *testing.T) {
				s, db := newStore(t)
				c := newChain(t)
				mustCommit(t, s, c.genesis())
				b1 := c.next(2)
				mustCommit(t, s, b1)
				if err := db.Put(tg.key(b1), g, nil); err != nil {
					t.Fatal(err)
				}
				var err error
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("reading a corrupt %s panicked: %v", tg.name, r)
						}
					}()
					err = tg.read(s, b1)
				}()
				if !errors.Is(err, store.ErrCorrupt) {
					t.Fatalf("reading a corrupt %s (%x): error = %v, want ErrCorrupt", tg.name, g, err)
				}
				// Other blocks stay readable.
				if _, err := s.Block(0); err != nil {
					t.Fatalf("Block(0) after corrupting block 1's %s: %v", tg.name, err)
				}
			})
		}
	}

	t.Run("head", func(t *testing.T) {
		for i, g := range garbage {
			dir := t.TempDir()
			s, db := openStore(t, dir)
			c := newChain(t)
			mustCommit(t, s, c.genesis())
			if err := db.Put([]byte("m/head"), g, nil); err != nil {
				t.Fatal(err)
			}
			db.Close()
			db2, err := store.OpenDB(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = store.New(db2)
			db2.Close()
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("garbage %d (%x): New error = %v, want ErrCorrupt", i, g, err)
			}
		}
	})

}

// TestOptions: the node's database uses the shared options (dbopt) and
// also stops an iterator on a block that fails its checksum.
func TestOptions(t *testing.T) {
	o, base := store.Options(), dbopt.Options()
	if o.Strict != base.Strict|opt.StrictReader {
		t.Errorf("Strict = %b, want dbopt's %b with StrictReader", o.Strict, base.Strict)
	}
	if o.WriteBuffer != base.WriteBuffer || o.CompactionTableSize != base.CompactionTableSize ||
		o.CompactionTotalSize != base.CompactionTotalSize || o.Filter == nil || o.NoSync {
		t.Errorf("options %+v differ from dbopt's %+v", o, base)
	}
}
