package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

type harness struct {
	t    *testing.T
	dir  string
	g    *genesis.File
	n    *Node
	stop func()
	keys map[string]*sign.PrivateKey
	enc  string
	seq  uint64
	opt  func(*Config) // changes the node's configuration, if set
}

// waitFor polls ok until it holds, failing the test after within: how this package's tests wait for what a node
// does in the background (a stall, a leader, a block, a copy).
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newHarness(t *testing.T, exe Executor) *harness {
	t.Helper()
	return newHarnessWith(t, exe, nil)
}

// newHarnessWith is newHarness with opt changing the node's configuration.
func newHarnessWith(t *testing.T, exe Executor, opt func(*Config)) *harness {
	t.Helper()
	dir, g, _ := devtest.OneNode(t)
	h := &harness{t: t, dir: dir, g: g, keys: devtest.SignKeys(t, dir, "stmarys/admin", "stmarys/dr-lee", g.Nodes[0].ID),
		opt: opt}
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(dir, "stmarys/admin"))
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := kf.EncryptionKey()
	h.enc = ek.String()
	h.start(exe)
	return h
}

func (h *harness) start(exe Executor) {
	h.t.Helper()
	cfg := Config{DataDir: filepath.Join(h.dir, "data"), Genesis: h.g, NodeID: h.g.Nodes[0].ID,
		Key: h.keys[h.g.Nodes[0].ID], Executor: exe, TickInterval: 10 * time.Millisecond, Logger: testLogger(h.t)}
	if h.opt != nil {
		h.opt(&cfg)
	}
	r := runNode(h.t, cfg)
	h.n = r.n
	h.stop = sync.OnceFunc(func() { r.stop(h.t) })
	h.t.Cleanup(h.stop)
}

// runningNode is a node running in the background (runNode); done receives what its Run returned.
type runningNode struct {
	n      *Node
	cancel context.CancelFunc
	done   chan error
}

// runNode opens a node with cfg and runs it in the background.
func runNode(t *testing.T, cfg Config) *runningNode {
	t.Helper()
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningNode{n: n, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	return r
}

// stop cancels Run and waits for it, which must end without an error, then closes the node.
func (r *runningNode) stop(t *testing.T) {
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("node %s: Run: %v", r.n.cfg.NodeID, err)
	}
	if err := r.n.Close(); err != nil {
		t.Errorf("node %s: Close: %v", r.n.cfg.NodeID, err)
	}
}

func (h *harness) sign(sender string, expiry uint64, method string, args ...tx.Arg) []byte {
	h.t.Helper()
	h.seq++
	if expiry == 0 {
		expiry = h.n.NextHeight() + 50
	}
	raw, err := tx.SignEncoded(tx.Body{ChainID: h.g.ChainID, Sender: sender, Nonce: h.seq, Expiry: expiry,
		Call: tx.Call{Contract: "identity", Method: method, Args: args}}, h.keys[sender])
	if err != nil {
		h.t.Fatal(err)
	}
	return raw
}

func (h *harness) addMember(sender, id string) []byte {
	return h.sign(sender, 0, "add_member", tx.String("id", id), tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()), tx.String("enc_key", h.enc))
}

func (h *harness) submit(raws ...[]byte) []TxResult {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := h.n.Submit(ctx, raws, true)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func TestNodeJourney(t *testing.T) {
	h := newHarness(t, nil)

	// A committed transaction with a verifiable proof.
	ok := h.addMember("stmarys/admin", "stmarys/p1")
	r := h.submit(ok)[0]
	if r.Err != nil || !r.Committed || !r.Receipt.OK() {
		t.Fatalf("add_member: %+v", r)
	}
	p, err := h.n.Proof(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(h.g.ChainID, h.g.NodeKeys(), h.g.Quorum()); err != nil {
		t.Fatalf("proof: %v", err)
	}

	// A contract failure is committed with a failed receipt and no state change.
	headBefore := h.n.Head()
	bad := h.submit(h.addMember("stmarys/dr-lee", "stmarys/p2"))[0]
	if !bad.Committed || bad.Receipt.OK() || !strings.Contains(bad.Receipt.Error, "org_admin") {
		t.Fatalf("physician add_member: %+v", bad.Receipt)
	}
	if _, present, _ := h.n.store.Get(identity.MemberStateKey("stmarys/p2")); present {
		t.Fatal("failed transaction wrote state")
	}
	if h.n.Head().StateHash == headBefore.StateHash {
		// The write set is empty, but the chain still advances its hash.
		t.Log("state hash chained over an empty write set")
	}

	// Replays, expired and foreign transactions are refused and change nothing.
	height := h.n.Head().Height
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"replay", ok, mempool.ErrCommitted},
		{"expired", h.sign("stmarys/admin", height, "add_member"), mempool.ErrExpired},
		{"beyond window", h.sign("stmarys/admin", height+h.g.Params.ReplayWindow+5, "add_member"), mempool.ErrExpired},
		{"garbage", []byte{0x82, 0x01}, tx.ErrMalformed},
	}
	for _, c := range cases {
		got := h.submit(c.raw)[0]
		if !errors.Is(got.Err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got.Err, c.want)
		}
	}
	if h.n.Head().Height != height {
		t.Fatal("rejected transactions produced a block")
	}

	// Many transactions batch into few blocks, all committed.
	var raws [][]byte
	for i := 0; i < 300; i++ {
		raws = append(raws, h.addMember("stmarys/admin", fmt.Sprintf("stmarys/batch-%d", i)))
	}
	res := h.submit(raws...)
	blocks := map[uint64]bool{}
	for _, r := range res {
		if !r.Committed || !r.Receipt.OK() {
			t.Fatalf("batch tx: %+v", r)
		}
		blocks[r.Height] = true
	}
	if len(blocks) >= 300 {
		t.Fatalf("%d txs used %d blocks: no batching", len(res), len(blocks))
	}

	// The chain links, and a restart keeps everything.
	want := h.n.Head()
	for i := uint64(1); i <= want.Height; i++ {
		b, err := h.n.Block(i)
		if err != nil {
			t.Fatal(err)
		}
		prev, _ := h.n.Block(i - 1)
		if b.Block.Header.PrevHash != prev.Hash {
			t.Fatalf("block %d does not link to %d", i, i-1)
		}
	}
	h.stop()
	h.start(nil)
	if got := h.n.Head(); got.Hash != want.Hash || got.StateHash != want.StateHash {
		t.Fatalf("after restart head %+v, want %+v", got, want)
	}
	if r := h.submit(ok)[0]; !errors.Is(r.Err, mempool.ErrCommitted) {
		t.Fatalf("replay after restart: %v", r.Err)
	}
	if r := h.submit(h.addMember("stmarys/admin", "stmarys/after-restart"))[0]; !r.Committed || r.Height != want.Height+1 {
		t.Fatalf("after restart: %+v", r)
	}
	if _, err := h.n.Block(want.Height + 5); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing block: %v", err)
	}
	if _, err := h.n.Proof(tx.HashID([]byte("nope"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing proof: %v", err)
	}
}

// TestSerialAndParallelNodesAgree runs the same transactions through a
// node with the serial executor and one with Block-STM: same receipts.
func TestSerialAndParallelNodesAgree(t *testing.T) {
	var outcomes [2][]string
	for i, exe := range []Executor{SerialExecutor{}, nil} {
		h := newHarness(t, exe)
		var raws [][]byte
		for j := 0; j < 100; j++ {
			sender := "stmarys/admin"
			if j%7 == 0 {
				sender = "stmarys/dr-lee" // fails
			}
			raws = append(raws, h.addMember(sender, fmt.Sprintf("stmarys/m-%d", j%60))) // duplicates fail too
		}
		for _, r := range h.submit(raws...) {
			if !r.Committed {
				t.Fatalf("not committed: %+v", r)
			}
			// Tx ids differ between the two consortia (fresh keys); compare
			// everything else a receipt says.
			outcomes[i] = append(outcomes[i], fmt.Sprint(r.Receipt.Status, r.Receipt.Error, r.Receipt.Events))
		}
	}
	for j := range outcomes[0] {
		if outcomes[0][j] != outcomes[1][j] {
			t.Fatalf("tx %d: serial %s, parallel %s", j, outcomes[0][j], outcomes[1][j])
		}
	}
}

func TestOpenRejectsOtherChain(t *testing.T) {
	h := newHarness(t, nil)
	h.stop()
	other := *h.g
	other.ChainID = "another-chain"
	_, err := Open(Config{DataDir: filepath.Join(h.dir, "data"), Genesis: &other, NodeID: h.g.Nodes[0].ID, Key: h.keys[h.g.Nodes[0].ID]})
	if !errors.Is(err, ErrWrongChain) {
		t.Fatalf("opened another chain's data: %v", err)
	}
	_, err = Open(Config{DataDir: t.TempDir(), Genesis: h.g, NodeID: h.g.Nodes[0].ID, Key: h.keys["stmarys/admin"]})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wrong node key accepted: %v", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestExpiringKeys(t *testing.T) {
	h := newHarness(t, nil)
	add := func(id string, expires time.Time) {
		raw := h.sign("stmarys/admin", 0, "add_member", tx.String("id", id),
			tx.Strings("roles", []string{identityvocab.RolePatient}),
			tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()), tx.String("enc_key", h.enc), tx.Int("key_expiry", expires.Unix()))
		if r := h.submit(raw)[0]; !r.Committed || !r.Receipt.OK() {
			t.Fatalf("add %s: %+v", id, r)
		}
	}
	add("stmarys/soon", time.Now().Add(10*24*time.Hour))
	add("stmarys/later", time.Now().Add(60*24*time.Hour))
	keys, err := h.n.ExpiringKeys(30 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Member != "stmarys/soon" || keys[0].Expired {
		t.Fatalf("expiring within 30 days: %+v", keys)
	}
	if keys, _ := h.n.ExpiringKeys(90 * 24 * time.Hour); len(keys) != 2 || keys[0].Member != "stmarys/soon" {
		t.Fatalf("within 90 days, soonest first: %+v", keys)
	}
	// Status shows the keys due within 30 days.
	if st := h.n.Status(); len(st.KeysExpiring) != 1 || st.KeysExpiring[0].Member != "stmarys/soon" {
		t.Fatalf("status keys_expiring: %+v", st.KeysExpiring)
	}
	// Revocation drops the key from the list; a restarted node rebuilds it.
	raw := h.sign("stmarys/admin", 0, "revoke_member", tx.String("id", "stmarys/soon"))
	if r := h.submit(raw)[0]; !r.Committed || !r.Receipt.OK() {
		t.Fatalf("revoke: %+v", r)
	}
	if keys, _ := h.n.ExpiringKeys(90 * 24 * time.Hour); len(keys) != 1 || keys[0].Member != "stmarys/later" {
		t.Fatalf("after revocation: %+v", keys)
	}
	if err := h.n.loadKeyExpiries(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := h.n.ExpiringKeys(90 * 24 * time.Hour); len(keys) != 1 || keys[0].Member != "stmarys/later" {
		t.Fatalf("after reloading from state: %+v", keys)
	}
}

// TestClaimShapeRefusedAtAdmission: a claim.submit carrying an argument
// the contract does not take (the first contract's "items", with service
// codes and dates) is refused before admission, so it never reaches a
// block — not even as a failed transaction whose arguments would stay on
// the ledger.
func TestClaimShapeRefusedAtAdmission(t *testing.T) {
	h := newHarness(t, nil)
	raw, err := tx.SignEncoded(tx.Body{ChainID: h.g.ChainID, Sender: "stmarys/dr-lee", Nonce: 1,
		Expiry: h.n.NextHeight() + 50,
		Call: tx.Call{Contract: "claim", Method: "submit", Args: tx.Args{tx.String("claim_id", "c1"),
			tx.Strings("items", []string{"99213:2026-10-30:15000"})}}}, h.keys["stmarys/dr-lee"])
	if err != nil {
		t.Fatal(err)
	}
	res := h.submit(raw)
	if res[0].Err == nil || !errors.Is(res[0].Err, contracts.ErrShape) || res[0].Committed || strings.Contains(res[0].Err.Error(), "99213") {
		t.Fatalf("a claim.submit with items: %+v", res[0])
	}
}
