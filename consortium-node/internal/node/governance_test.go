package node

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/governance"
	governancevocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// call signs a call as sender (a dev member) and submits it through node
// via, waiting for the commit.
func (c *testCluster) call(via int, sender, contract, method string, args ...tx.Arg) TxResult {
	c.t.Helper()
	r := c.submitCall(via, sender, contract, method, args...)
	if !r.Committed {
		c.t.Fatalf("%s %s.%s not committed: %v", sender, contract, method, r.Err)
	}
	return r
}

// submitCall signs a call as sender and submits it through node via,
// waiting for the outcome.
func (c *testCluster) submitCall(via int, sender, contract, method string, args ...tx.Arg) TxResult {
	c.t.Helper()
	return c.submitSigned(via, sender, c.adminKey(sender), contract, method, args...)
}

// receiptsEverywhere waits until every node has block h and returns each
// node's receipt i of it.
func (c *testCluster) receiptsEverywhere(h uint64, i int) []string {
	c.t.Helper()
	c.converge()
	var out []string
	for _, cn := range c.nodes {
		b, err := cn.n.Block(h)
		if err != nil {
			c.t.Fatal(err)
		}
		r := b.Receipts[i]
		out = append(out, fmt.Sprintf("status=%d error=%s", r.Status, r.Error))
	}
	return out
}

// TestPolicyChangeAcrossNodes: on a four-node consortium, a policy change
// proposed by one admin does nothing until a majority of organisations
// approve; from the block after the deciding approval every node enforces
// it (same receipts everywhere, same policy at the same height); a
// proposal that expires does nothing.
func TestPolicyChangeAcrossNodes(t *testing.T) {
	c := newCluster(t, 4)
	lead := c.leader()
	const deny = "physician,*,record,register,any,deny"
	nrec := 0
	register := func(via int) TxResult {
		nrec++
		id := fmt.Sprintf("gov-rec-%d", nrec)
		h := sha256.Sum256([]byte(id))
		return c.call(via, "stmarys/dr-lee", record.Name, "register", tx.String("record_id", id), tx.Uint("version", 1),
			tx.Bytes("ciphertext_hash", h[:]), tx.String("patient", "stmarys/patient-ana"), tx.String("category", "lab"))
	}
	propose := func(via int, validFor uint64) string {
		r := c.call(via, "stmarys/admin", governance.Name, "propose",
			tx.String("kind", governancevocab.KindChangePolicy),
			tx.Strings("add_rules", []string{deny}), tx.Uint("valid_for", validFor))
		if !r.Receipt.OK() {
			t.Fatalf("propose: %s", r.Receipt.Error)
		}
		return r.ID.String()
	}

	// A proposal that expires does nothing, even when approvals come late.
	expiring := propose(lead, 1)
	time.Sleep(2100 * time.Millisecond) // block time passes the expiry
	r := c.call((lead+1)%4, "acme/admin", governance.Name, "approve", tx.String("proposal", expiring))
	if r.Receipt.OK() || !strings.Contains(r.Receipt.Error, "expired") {
		t.Fatalf("late approval: %+v", r.Receipt)
	}
	r = c.call((lead+2)%4, "hope/admin", governance.Name, "approve", tx.String("proposal", expiring))
	if r.Receipt.OK() {
		t.Fatal("second late approval accepted")
	}
	if r := register(lead); !r.Receipt.OK() {
		t.Fatalf("an expired proposal changed the policy: %s", r.Receipt.Error)
	}

	// Proposed by one, approved by a second: still not in force.
	id := propose((lead+1)%4, 3600)
	if r := c.call((lead+2)%4, "acme/admin", governance.Name, "approve", tx.String("proposal", id)); !r.Receipt.OK() {
		t.Fatal(r.Receipt.Error)
	}
	if r := register((lead + 3) % 4); !r.Receipt.OK() {
		t.Fatalf("2 of 4 organisations changed the policy: %s", r.Receipt.Error)
	}
	for i, cn := range c.nodes {
		v, err := cn.n.Proposal(id)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != governancevocab.StatusOpen || !slices.Equal(v.Tally.Missing, []string{"healthreg", "hope"}) {
			t.Fatalf("node %d: proposal %+v tally %+v", i, v.Proposal, v.Tally)
		}
	}

	// The third organisation decides; the change executes in that block.
	decided := c.call(lead, "hope/admin", governance.Name, "approve", tx.String("proposal", id))
	if !decided.Receipt.OK() {
		t.Fatal(decided.Receipt.Error)
	}
	c.converge()
	for i, cn := range c.nodes {
		p, err := cn.n.Policy()
		if err != nil {
			t.Fatal(err)
		}
		rule, _ := policies.ParseRule(deny)
		if !slices.Contains(p.Rules, rule) {
			t.Fatalf("node %d: the rule is not in force after height %d", i, decided.Height)
		}
		v, _ := cn.n.Proposal(id)
		if v.State != governancevocab.StatusExecuted || v.Decided != decided.Height {
			t.Fatalf("node %d: proposal %+v", i, v.Proposal)
		}
	}
	// From the next block, every node refuses, with the same receipt.
	for via := range c.nodes {
		r := register(via)
		if r.Height <= decided.Height || r.Receipt.OK() || !strings.Contains(r.Receipt.Error, `denied by rule "`+deny+`"`) {
			t.Fatalf("register via node %d at height %d (decided at %d): %+v", via, r.Height, decided.Height, r.Receipt)
		}
		got := c.receiptsEverywhere(r.Height, r.Index)
		for i := range got {
			if got[i] != got[0] {
				t.Fatalf("nodes disagree on the receipt at height %d: %q", r.Height, got)
			}
		}
	}
}
