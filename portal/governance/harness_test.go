package governance_test

import (
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
	"github.com/almoner/almoner/portal/readmodel"
)

// harness is a real governance chain as the node serves it: a dev genesis
// file (four organisations, each with an admin), its block 0 and one block
// per transaction, with the module's index after each block, and the
// chain itself (for the contract's own view of each proposal).
type harness struct {
	rm     *rmtest.Harness
	chain  *chaintest.Chain
	blocks []*api.Block
	times  []time.Time
	dumps  []string // dumps[i]: the module's index after blocks 0..i
	// ids names the scenario's proposals.
	ids map[string]string
}

const (
	stmarys, acme, hope, healthreg = "stmarys/admin", "acme/admin", "hope/admin", "healthreg/admin"
	reportRule                     = "donor,*,report,read,any,allow"
)

// newHarness runs the scenario: a policy change executed by three of four
// organisations; a threshold change rejected by two; a node added; two
// proposals to onboard the same organisation (the first executes, the
// second fails: the id is taken); a proposal that expires; one withdrawn;
// the new organisation removed again; a policy change left open with a
// rejection; and the threshold raised to 75%, after which that open
// proposal can no longer pass but stays open (only a vote decides).
func newHarness(tb testing.TB) *harness {
	c := testchain.New(tb)
	c.TxPlaceholder = txPlaceholder
	h := &harness{chain: c.Exec, ids: map[string]string{}}
	do := func(sender, method string, args ...tx.Arg) string {
		return c.Do(sender, "governance", method, args...).String()
	}
	propose := func(name, who, kind string, args ...tx.Arg) {
		h.ids[name] = do(who, "propose", append([]tx.Arg{tx.String(govvocab.ArgKind, kind)}, args...)...)
	}
	vote := func(who, method, name string) { do(who, method, tx.String(govvocab.ArgProposal, h.ids[name])) }
	admin := func(id string) string {
		return id + " " + chaintest.Key(id).Public().String() + " " + chaintest.EncKey(id).String()
	}
	newco := []tx.Arg{tx.String(govvocab.ArgOrgID, "newco"), tx.String(govvocab.ArgOrgKind, "insurer"),
		tx.String(govvocab.ArgOrgName, "NewCo Insurance"),
		tx.Strings(govvocab.ArgAdmins, []string{admin("newco/admin")})}

	propose("policy", stmarys, "change_policy",
		tx.Strings(govvocab.ArgAddRules, []string{"donor * report read any allow"}))
	vote(acme, "approve", "policy")
	vote(hope, "approve", "policy") // executed
	propose("threshold66", acme, "set_threshold", tx.Uint(govvocab.ArgPercent, 66))
	vote(stmarys, "reject", "threshold66")
	vote(hope, "reject", "threshold66") // rejected: 4 - 2 < 3
	propose("node", hope, "add_node", tx.String(govvocab.ArgNodeID, "hope-n"), tx.String("org", "hope"),
		tx.Uint("raft_id", 7),
		tx.String("sign_key", chaintest.Key("node hope-n").Public().String()), tx.String("enc_key", chaintest.EncKey("hope-n").String()),
		tx.String("raft_addr", "127.0.0.1:7001"), tx.String("api_addr", "127.0.0.1:7002"))
	vote(acme, "approve", "node")
	vote(healthreg, "approve", "node") // executed
	propose("newco", stmarys, "add_org", newco...)
	propose("newco-again", acme, "add_org", newco...)
	vote(acme, "approve", "newco")
	vote(hope, "approve", "newco") // executed: five organisations, 3 needed
	vote(stmarys, "approve", "newco-again")
	vote(hope, "approve", "newco-again") // failed: the id is taken
	propose("short", healthreg, "change_policy", tx.Strings(govvocab.ArgRemoveRules, []string{reportRule}),
		tx.Uint(govvocab.ArgValidFor, 60))
	vote(stmarys, "reject", "short")
	c.Exec.Now = c.Exec.Now.Add(2 * time.Minute)
	propose("withdrawn", stmarys, "remove_org", tx.String(govvocab.ArgOrgID, "newco")) // the block that expires "short"
	do(stmarys, "withdraw", tx.String(govvocab.ArgProposal, h.ids["withdrawn"]))
	propose("removal", hope, "remove_org", tx.String(govvocab.ArgOrgID, "newco"))
	vote(acme, "approve", "removal")
	vote(stmarys, "approve", "removal") // executed: four organisations again
	propose("open", acme, "change_policy", tx.Strings(govvocab.ArgRemoveRules, []string{reportRule}))
	vote(hope, "reject", "open") // open: 3 of 4 may still approve
	propose("threshold75", healthreg, "set_threshold", tx.Uint(govvocab.ArgPercent, 75))
	vote(acme, "approve", "threshold75")
	vote(hope, "approve", "threshold75") // executed: 4 of 4 needed from now on; "open" stays open (no vote decided it)

	h.rm = rmtest.NewHarness(tb, c, governance.Module(), consistent)
	h.blocks, h.times, h.dumps = c.Blocks, c.Times, h.rm.Dumps
	return h
}

// txPlaceholder in an event attribute stands for the id of the
// transaction that carries it (a proposal's id is its transaction's).
const txPlaceholder = "$TX"

// block builds the block at height that holds one signed call with the
// given receipt events (txPlaceholder replaced); ok is false when the call
// does not sign (a node never commits one).
func (h *harness) block(height int, nonce uint64, sender, contract, method string, args tx.Args, evs []ledger.Event) (*api.Block, bool) {
	return h.rm.Chain.Block(height, testchain.Tx{Nonce: nonce, Sender: sender, Contract: contract, Method: method, Args: args, Events: evs})
}

// apply builds a fresh in-memory index from blocks through the follower.
func (h *harness) apply(tb testing.TB, blocks []*api.Block) (*readmodel.Store, error) {
	tb.Helper()
	return h.rm.Apply(tb, blocks)
}

// applyMore applies more blocks to s.
func (h *harness) applyMore(s *readmodel.Store, blocks ...*api.Block) error {
	return h.rm.ApplyMore(s, blocks...)
}

// dump lists the module's whole key space and the applied height.
func dump(tb testing.TB, s *readmodel.Store) string {
	tb.Helper()
	return rmtest.Dump(tb, s, governance.ModuleName)
}
