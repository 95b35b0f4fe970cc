package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// TestPublicAndDonor: anonymous browsing of campaigns (progress,
// milestones, validators), then a donor gives through the page, follows
// the gift's lineage, which moves live while the charity's officer and the
// milestone's validator disburse it, and verifies the gift's receipt in
// the browser against the genesis file.
func TestPublicAndDonor(t *testing.T) {
	s := need(t)
	b := newBrowser(t, s)

	b.visit("/")
	b.waitText("Heart surgery for children")
	b.waitText("raised of")
	b.shot("public-campaigns")
	b.button("Heart surgery for children")
	b.waitText("Milestones")
	b.waitText("healthreg/validator")
	b.waitText("Sign in as a donor to give")

	b.signIn("hope/donor-sam")
	b.visit("/campaigns/heart-surgery-fund")
	b.fill("amount", "12.34")
	b.choose("milestone", "2")
	b.button("Give")
	b.waitText("Thank you: your gift of €12.34 is on the ledger")
	b.button("Follow this gift")
	b.waitText("Live: updates as blocks commit")
	b.waitText("In escrow")
	path := b.eval(`location.pathname`)
	giftID := strings.TrimPrefix(path, "/gifts/")

	// The charity moves the milestone on; the open page follows.
	officer, validator := s.client(t, "hope/officer"), s.client(t, "healthreg/validator")
	evidence := strings.Repeat("ab", 32)
	officer.tx(`mutation($wait: Boolean) { submitEvidence(campaign: "heart-surgery-fund", milestone: 2, evidenceHash: "`+evidence+`", wait: $wait) { id receipt { status error } } }`, map[string]any{})
	validator.tx(`mutation($wait: Boolean) { approveMilestone(campaign: "heart-surgery-fund", milestone: 2, wait: $wait) { id receipt { status error } } }`, map[string]any{})
	b.waitText("approved")
	var c struct {
		Campaign struct{ Milestones []struct{ Seq, Escrow int } }
	}
	officer.do(`{ campaign(id: "heart-surgery-fund") { milestones { seq escrow } } }`, nil, &c)
	escrow := c.Campaign.Milestones[1].Escrow
	officer.tx(`mutation($amount: Amount!, $wait: Boolean) { disburse(campaign: "heart-surgery-fund", milestone: 2, payee: "stmarys", amount: $amount,
		id: "e2e-surgery-2", purpose: "Surgery bill, e2e", paymentRef: "PAY-E2E-1", evidenceHash: "`+evidence+`", wait: $wait) { id receipt { status error } } }`,
		map[string]any{"amount": escrow})
	b.waitText("Surgery bill, e2e")
	b.waitText("awaiting confirmation")
	b.waitText("update")

	// The receipt verifies here, against a genesis file the donor chose
	// (the portal's own is the default: TestDonorReceiptInWords).
	b.upload("genesis", filepath.Join(s.devHome, "genesis.json"))
	b.button("Verify receipt")
	b.waitText("Verified: the receipt is genuine")
	b.waitText("Block signed by a quorum of the genesis nodes")
	b.waitText("hope/donor-sam gave €12.34 to the campaign “Heart surgery for children” (heart-surgery-fund) of Hope Foundation (hope).")
	b.waitText("€12.34 to milestone 2")
	b.waitText("was paid to St Mary's Hospital")
	b.shot("donor-lineage")

	// The downloaded receipt is exact: the node's verifier (as in
	// `almoner verify`) accepts it.
	name, data := b.download("Download receipt (JSON)")
	var proof ledger.ReceiptProof
	if err := json.Unmarshal(data, &proof); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, data)
	}
	if err := proof.Verify(s.genesis.ChainID, s.genesis.NodeKeys(), s.genesis.Quorum()); err != nil {
		t.Fatalf("the downloaded receipt %s does not verify: %v", name, err)
	}
	if proof.Receipt.TxID.String() != giftID {
		t.Fatalf("the downloaded receipt is for %s, not the gift %s", proof.Receipt.TxID, giftID)
	}

	// My gifts lists it; the printable receipt shows it.
	b.visit("/gifts")
	b.waitText(giftID[:10])
	b.visit("/receipts/" + giftID)
	b.waitText("€12.34")
	b.waitText("donation.give by hope/donor-sam")
}

// TestVerifyReceiptFiles: the standalone verifier accepts a proof as the
// node serves it (the format `almoner receipt` writes) and rejects the same
// proof with one changed amount.
func TestVerifyReceiptFiles(t *testing.T) {
	s := need(t)
	var g struct {
		MyGifts struct{ Nodes []struct{ ID string } }
	}
	s.client(t, "hope/donor-sam").do(`{ myGifts(first: 1) { nodes { id } } }`, nil, &g)
	if len(g.MyGifts.Nodes) == 0 {
		t.Fatal("the demo donor has no gifts")
	}
	id := g.MyGifts.Nodes[0].ID
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	txID, err := tx.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.node.Proof(ctx, txID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(s.genesis.ChainID, s.genesis.NodeKeys(), s.genesis.Quorum()); err != nil {
		t.Fatalf("the Go verifier refuses the proof: %v", err)
	}
	dir := t.TempDir()
	good, _ := json.Marshal(p)
	p.Receipt.Events[0].Attrs[0].Value += "0"
	bad, _ := json.Marshal(p)
	for name, b := range map[string][]byte{"good.json": good, "bad.json": bad} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	br := newBrowser(t, s)
	for _, c := range []struct{ file, verdict, check string }{
		{"good.json", "Verified: the receipt is genuine", "Receipt is in the block"},
		{"bad.json", "Not verified: do not trust this receipt", "Receipt is in the block failed"},
	} {
		br.visit("/verify")
		br.upload("proof", filepath.Join(dir, c.file))
		br.upload("genesis", filepath.Join(s.devHome, "genesis.json"))
		br.button("Verify receipt")
		br.waitText(c.verdict)
		br.shot("verify-" + strings.TrimSuffix(c.file, ".json"))
	}
}
