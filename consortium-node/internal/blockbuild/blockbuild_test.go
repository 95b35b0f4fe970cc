package blockbuild_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/blockbuild"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

type serial struct{}

func (serial) Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error) {
	return exec.Serial(base, txns)
}

func world(t *testing.T) *chaintest.Chain {
	orgs := []identity.Org{{ID: "stmarys", Kind: identityvocab.KindHospital, Name: "St Mary's"}}
	return chaintest.New(t, chaintest.Options{Orgs: orgs, Members: []chaintest.Member{
		{ID: "stmarys/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
		{ID: "stmarys/clerk", Roles: []string{identityvocab.RoleRecordsClerk}},
		{ID: "stmarys/ana", Roles: []string{identityvocab.RolePatient}},
		{ID: "stmarys/sam", Roles: []string{identityvocab.RolePatient}},
	}})
}

func builder(c *chaintest.Chain, lim blockbuild.Limits) *blockbuild.Builder {
	return &blockbuild.Builder{ChainID: chaintest.ChainID, Registry: c.Registry(), Executor: serial{}, Limits: lim}
}

var defaults = blockbuild.Limits{ReplayWindow: 1000, MaxTxs: 100, MaxBytes: 1 << 20}

func cand(t *testing.T, s *tx.Signed) blockbuild.Candidate {
	raw, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return blockbuild.Candidate{Raw: raw}
}

func register(c *chaintest.Chain, who, id string) *tx.Signed {
	return c.Sign(who, "record", "register", tx.String("record_id", id), tx.Uint("version", 1),
		tx.Bytes("ciphertext_hash", bytes.Repeat([]byte{1}, 32)), tx.String("patient", "stmarys/ana"), tx.String("category", "lab"))
}

func build(t *testing.T, c *chaintest.Chain, b *blockbuild.Builder, txs ...blockbuild.Candidate) *blockbuild.Built {
	t.Helper()
	built, err := b.Build(c, c, c, c.Policy(), c.Head(), blockbuild.Proposal{Proposer: "n1", Time: c.Now.UnixNano(), Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	return built
}

func reasons(b *blockbuild.Built) string {
	s := ""
	for _, r := range b.Rejected {
		s += fmt.Sprintf("%s ", r.Reason)
	}
	return s
}

// TestFiltering: what may not enter a block is left out with its reason —
// a repeat in the block, one already committed, expired, too far ahead,
// another chain's, a bad signature, an outsider, a contract's precheck, a
// full block — and the rest is executed, in proposal order.
func TestFiltering(t *testing.T) {
	c := world(t)
	committed := c.Sign("stmarys/clerk", "record", "register", tx.String("record_id", "r-0"), tx.Uint("version", 1),
		tx.Bytes("ciphertext_hash", bytes.Repeat([]byte{1}, 32)), tx.String("patient", "stmarys/ana"), tx.String("category", "lab"))
	c.Block(committed)
	ok1, ok2 := cand(t, register(c, "stmarys/clerk", "r-1")), cand(t, register(c, "stmarys/clerk", "r-2"))
	expired := c.Sign("stmarys/clerk", "record", "register", tx.String("record_id", "r-3"))
	expired.Body.Expiry = 1 // the next block is 2
	far := c.Sign("stmarys/clerk", "record", "register", tx.String("record_id", "r-4"))
	far.Body.Expiry = c.Height + 5000
	other := c.Sign("stmarys/clerk", "record", "register", tx.String("record_id", "r-5"))
	other.Body.ChainID = "another"
	for _, s := range []*tx.Signed{expired, far, other} { // re-sign what was changed
		*s = *must(tx.Sign(s.Body, chaintest.Key("stmarys/clerk")))
	}
	forged := cand(t, register(c, "stmarys/clerk", "r-6"))
	forged.Raw = bytes.Clone(forged.Raw)
	forged.Raw[len(forged.Raw)-1] ^= 1
	outsider := cand(t, register(c, "stmarys/nobody", "r-7"))
	precheck := cand(t, c.Sign("stmarys/clerk", "record", "access", tx.String("record_id", "r-1"), tx.String("purpose", "lunch")))
	built := build(t, c, builder(c, defaults), ok1, ok1, cand(t, committed), cand(t, expired), cand(t, far), cand(t, other),
		forged, outsider, precheck, ok2)
	want := "duplicate committed expired expired wrong_chain bad_signature not_member precheck "
	if got := reasons(built); got != want {
		t.Fatalf("left out: %q, want %q", got, want)
	}
	if len(built.Included) != 2 || built.Block == nil || len(built.Block.Txs) != 2 || built.Block.Header.Height != c.Height+1 {
		t.Fatalf("included %d transactions, want the two good ones", len(built.Included))
	}
	for _, r := range built.Rejected {
		if r.Reason == api.RefusedNotMember && !errors.Is(r.Err, mempool.ErrNotMember) {
			t.Fatalf("an outsider's refusal: %v", r.Err)
		}
	}

	// Limits: at most MaxTxs, at most MaxBytes; the rest waits.
	lim := defaults
	lim.MaxTxs = 1
	if b := build(t, c, builder(c, lim), ok1, ok2); len(b.Included) != 1 || reasons(b) != "full " ||
		!errors.Is(b.Rejected[0].Err, blockbuild.ErrLimits) {
		t.Fatalf("one transaction a block: %d included, left out %q", len(b.Included), reasons(b))
	}
	lim = defaults
	lim.MaxBytes = len(ok1.Raw) + 1
	if b := build(t, c, builder(c, lim), ok1, ok2); len(b.Included) != 1 || reasons(b) != "full " {
		t.Fatalf("a block of one transaction's bytes: %d included, left out %q", len(b.Included), reasons(b))
	}
	if b := build(t, c, builder(c, defaults), outsider); b.Block != nil || len(b.Rejected) != 1 {
		t.Fatal("a proposal with nothing to include built a block")
	}
}

func must(s *tx.Signed, err error) *tx.Signed {
	if err != nil {
		panic(err)
	}
	return s
}

// TestRolesAtBlockStart: a block is authorised by the policy and roles as
// of its start: a member made records clerk in a block cannot act as one
// in that same block, and can in the next.
func TestRolesAtBlockStart(t *testing.T) {
	c := world(t)
	promote := c.Sign("stmarys/admin", "identity", "set_roles", tx.String("id", "stmarys/sam"),
		tx.Strings("roles", []string{identityvocab.RoleRecordsClerk}))
	res := c.Block(promote, register(c, "stmarys/sam", "r-sam"))
	if res[0].Err != nil || res[1].Err == nil {
		t.Fatalf("promotion then register in one block: %v, %v; want the register denied", res[0].Err, res[1].Err)
	}
	if res := c.Block(register(c, "stmarys/sam", "r-sam")); res[0].Err != nil {
		t.Fatalf("register in the next block: %v", res[0].Err)
	}
}

// TestReplay: a block built here re-executes to the same header; one whose
// header was changed (another state hash) is refused as diverged, and one
// that does not extend the head is refused.
func TestReplay(t *testing.T) {
	c := world(t)
	b := builder(c, defaults)
	head := c.Head()
	built := build(t, c, b, cand(t, register(c, "stmarys/clerk", "r-1")), cand(t, register(c, "stmarys/clerk", "r-2")))
	replayTxs := func() []blockbuild.Candidate {
		var out []blockbuild.Candidate
		for _, raw := range built.Block.Txs {
			out = append(out, blockbuild.Candidate{Raw: raw})
		}
		return out
	}
	again, err := b.Replay(c, c.Policy(), head, &built.Block.Header, replayTxs())
	if err != nil || again.Block.Header.Hash() != built.Block.Header.Hash() {
		t.Fatalf("replay: %v", err)
	}
	bad := built.Block.Header
	bad.StateHash = ledger.Hash{1}
	if _, err := b.Replay(c, c.Policy(), head, &bad, replayTxs()); !errors.Is(err, blockbuild.ErrDiverged) {
		t.Fatalf("replay of a changed header: %v", err)
	}
	far := built.Block.Header
	far.Height += 2
	if _, err := b.Replay(c, c.Policy(), head, &far, replayTxs()); err == nil {
		t.Fatal("replay of a block that does not extend the head")
	}
	// A transaction outside the replay window at the block's height is
	// in no block of the chain (the store's committed check relies on it).
	narrow := builder(c, blockbuild.Limits{ReplayWindow: 1, MaxTxs: 100, MaxBytes: 1 << 20})
	_, err = narrow.Replay(c, c.Policy(), head, &built.Block.Header, replayTxs())
	if !errors.Is(err, ledger.ErrIntegrity) || !strings.Contains(err.Error(), "replay window") {
		t.Fatalf("replay of a block with a transaction beyond the replay window: %v", err)
	}
}

// TestVerifyBatchDecidesAsDecode: candidates whose signatures were checked
// together (VerifyBatch, as a follower does for what it did not admit)
// build the same block, with the same rejections, as candidates checked
// one by one by Decode; a bad signature among them is the one refused.
func TestVerifyBatchDecidesAsDecode(t *testing.T) {
	c := world(t)
	var txs []blockbuild.Candidate
	for i := range 12 {
		txs = append(txs, cand(t, register(c, "stmarys/clerk", fmt.Sprintf("b-%d", i))))
	}
	forged := cand(t, register(c, "stmarys/clerk", "b-forged"))
	forged.Raw = bytes.Clone(forged.Raw)
	forged.Raw[len(forged.Raw)-1] ^= 1
	txs = append(txs[:5], append([]blockbuild.Candidate{forged, cand(t, register(c, "stmarys/nobody", "b-x"))}, txs[5:]...)...)
	one := build(t, c, builder(c, defaults), append([]blockbuild.Candidate(nil), txs...)...)
	batched := append([]blockbuild.Candidate(nil), txs...)
	ptrs := make([]*blockbuild.Candidate, len(batched))
	for i := range batched {
		c := &batched[i]
		c.ID = tx.HashID(c.Raw)
		c.Tx, c.Err = tx.Decode(c.Raw)
		ptrs[i] = c
	}
	blockbuild.VerifyBatch(ptrs[:7])
	blockbuild.VerifyBatch(ptrs[7:])
	for i, c := range batched {
		if c.Verified == (i == 5) {
			t.Errorf("candidate %d: verified %v", i, c.Verified)
		}
	}
	two := build(t, c, builder(c, defaults), batched...)
	if reasons(one) != reasons(two) || reasons(two) != "bad_signature not_member " {
		t.Errorf("left out: one by one %q, in batches %q", reasons(one), reasons(two))
	}
	if one.Block == nil || two.Block == nil || one.Block.Header.Hash() != two.Block.Header.Hash() {
		t.Error("the blocks differ")
	}
}
