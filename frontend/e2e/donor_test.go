package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/apitest"
	"github.com/almoner/almoner/consortium-node/tx"
)

// noneInMain waits until the page's main content (the demo role menu
// lists account ids on purpose) shows none of texts: ids where people
// expect names.
func noneInMain(b *browser, texts ...string) {
	b.t.Helper()
	for _, text := range texts {
		b.poll(fmt.Sprintf(`!document.querySelector('main').innerText.includes(%q)`, text), "the page without "+text)
	}
}

// TestPublicAndDonor: anonymous browsing of campaigns (progress,
// milestones, validators), then a donor gives through the page, follows
// the gift's lineage, which moves live while the charity's officer and the
// milestone's validator disburse it, and verifies the gift's receipt in
// the browser against the genesis file.
func TestPublicAndDonor(t *testing.T) {
	s, b, _ := journey(t)

	b.visit("/")
	b.waitText("Heart surgery for children")
	b.waitText("raised of")
	b.shot("public-campaigns")
	b.button("Heart surgery for children")
	b.waitText("Milestones")
	// The validator and the charity by name; their ids on hover only.
	b.waitText("validator, Health Regulator")
	b.waitText("Hope Foundation")
	noneInMain(b, "healthreg/validator")
	b.waitText("Sign in as a donor to give")
	b.checkPage("public campaign")

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
		Campaign struct {
			Milestones []struct {
				Seq    int
				Escrow string // money as people write it: "12.34"
			}
		}
	}
	officer.do(`{ campaign(id: "heart-surgery-fund") { milestones { seq escrow } } }`, nil, &c)
	escrow := c.Campaign.Milestones[1].Escrow // a result is an argument: the escrow read is what is disbursed
	officer.tx(`mutation($amount: Amount!, $wait: Boolean) { disburse(campaign: "heart-surgery-fund", milestone: 2, payee: "stmarys", amount: $amount,
		id: "e2e-surgery-2", purpose: "Surgery bill, e2e", paymentRef: "PAY-E2E-1", evidenceHash: "`+evidence+`", wait: $wait) { id receipt { status error } } }`,
		map[string]any{"amount": escrow})
	b.waitText("Surgery bill, e2e")
	b.waitText("awaiting confirmation")
	b.waitText("update")
	// The lineage names the payee and the milestone's validator.
	b.poll(`[...document.querySelectorAll('.n-payee')].some(n => n.innerText.includes("St Mary's Hospital"))`, "the payee by name")
	b.poll(`[...document.querySelectorAll('.n-milestone')].some(n => n.innerText.includes("validator, Health Regulator"))`, "the validator by name")
	if got := b.eval(`[...document.querySelectorAll('.n-payee, .n-milestone, .n-campaign')].map(n => n.innerText).join(' ')`); strings.Contains(got, "stmarys") ||
		strings.Contains(got, "healthreg/") || strings.Contains(got, "heart-surgery-fund") {
		t.Fatalf("the lineage shows ids: %s", got)
	}

	// The receipt verifies here, against a genesis file the donor chose
	// (the portal's own is the default: TestDonorReceiptInWords).
	b.upload("genesis", filepath.Join(s.devHome, "genesis.json"))
	b.button("Verify receipt")
	b.waitText("Verified: the receipt is genuine")
	b.waitText("Block signed by a quorum of the genesis nodes")
	b.waitText("you (hope/donor-sam) gave €12.34 to the campaign “Heart surgery for children” (heart-surgery-fund) of Hope Foundation (hope).")
	b.waitText("€12.34 to milestone 2")
	b.waitText("was paid to St Mary's Hospital")
	b.shot("donor-lineage")

	// The downloaded receipt is exact, its time a string that survives
	// any JSON tool: the node's verifier (as in `almoner verify`) accepts
	// it, after a round trip through float64 numbers too.
	trust := api.Trust{ChainID: s.genesis.ChainID, NodeKeys: s.genesis.NodeKeys(), Quorum: s.genesis.Quorum()}
	name, data := b.download("Download receipt (JSON)")
	var proof api.Proof
	if err := json.Unmarshal(apitest.ThroughFloats(t, data), &proof); err != nil || proof.TimeForm != api.TimeString {
		t.Fatalf("%s: %v (time form %d)\n%s", name, err, proof.TimeForm, data)
	}
	if err := proof.Verify(trust); err != nil {
		t.Fatalf("the downloaded receipt %s does not verify: %v", name, err)
	}
	if proof.Receipt.TxID.String() != giftID {
		t.Fatalf("the downloaded receipt is for %s, not the gift %s", proof.Receipt.TxID, giftID)
	}

	// The payee confirms; every receipt of what moved the gift comes as one
	// file that the CLI's verifier accepts, and verifies here step by step.
	s.client(t, "stmarys/clerk").tx(`mutation($wait: Boolean) { confirmReceipt(disbursement: "e2e-surgery-2", wait: $wait) { id receipt { status error } } }`, map[string]any{})
	b.waitText("confirmed")
	name, data = b.download("Download all receipts (JSON)")
	var bundle api.GiftBundle
	if err := json.Unmarshal(apitest.ThroughFloats(t, data), &bundle); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, data)
	}
	rep, err := bundle.Verify(trust)
	if err != nil {
		t.Fatalf("the downloaded bundle %s does not verify: %v", name, err)
	}
	var kinds []string
	for _, st := range rep.Steps {
		kinds = append(kinds, st.Kind)
	}
	if want := []string{api.StepGift, api.StepMilestoneApproved, api.StepDisbursement, api.StepPayeeConfirmed}; !slices.Equal(kinds, want) {
		t.Fatalf("the bundle holds %v, want %v", kinds, want)
	}
	if strings.Contains(string(data), "hope/donor-") && strings.Count(string(data), "hope/donor-") != strings.Count(string(data), "hope/donor-sam") {
		t.Fatal("the bundle names another donor")
	}
	b.upload("bundle-genesis", filepath.Join(s.devHome, "genesis.json"))
	b.button("Verify all receipts")
	b.waitText("Verified: all 4 receipts are genuine, and they are this gift's.")
	b.waitText("The milestone's approval")
	b.waitText("validator of Health Regulator (healthreg/validator) approved milestone 2")
	b.waitText("The payee's confirmation")
	b.waitText("stmarys/clerk")
	if !rep.Steps[2].Whole {
		// Other donors' gifts share the disbursement: their part is left
		// out, and the page says what that receipt does not prove.
		b.waitText("signed the disbursement e2e-surgery-2")
		b.waitText("Not proven by this receipt (the portal's word)")
	}
	b.shot("donor-bundle")

	// My gifts lists it first (newest first) by when and campaign, its id
	// on hover only, under the donor's totals; the printable receipt
	// names the campaign, the charity, the donor and what was done.
	b.visit("/gifts")
	b.waitText("Given in all")
	b.waitText("In escrow")
	first := b.eval(`(() => { const r = document.querySelector('tbody tr'); return r ? r.innerText + '\n' + r.querySelector('a').title : ''; })()`)
	if !strings.Contains(first, "Heart surgery for children") || !strings.Contains(first, "€12.34") || !strings.Contains(first, giftID) {
		t.Fatalf("the newest gift is not first, by campaign name, with its id on hover: %q", first)
	}
	noneInMain(b, giftID[:10])
	b.checkPage("my gifts")
	b.shot("donor-gifts")
	b.visit("/receipts/" + giftID)
	b.waitText("€12.34")
	b.waitText("Heart surgery for children")
	b.waitText("Gift by donor-sam, Hope Foundation")
	noneInMain(b, "donation.give", "heart-surgery-fund")
	b.checkPage("printable receipt")
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

// TestVerifyBundleFiles: the standalone verifier takes a gift's bundle as
// the portal serves it, and names the cause when one was rounded by a
// JSON tool (its time a float) or edited (an amount).
func TestVerifyBundleFiles(t *testing.T) {
	s := need(t)
	donor := s.client(t, "hope/donor-sam")
	var g struct {
		MyGifts struct{ Nodes []struct{ ID string } }
	}
	donor.do(`{ myGifts(first: 1) { nodes { id } } }`, nil, &g)
	if len(g.MyGifts.Nodes) == 0 {
		t.Fatal("the demo donor has no gifts")
	}
	var d struct{ GiftProofBundle json.RawMessage }
	donor.do(`query($g: ID!) { giftProofBundle(gift: $g) }`, map[string]any{"g": g.MyGifts.Nodes[0].ID}, &d)
	var bundle api.GiftBundle
	if err := json.Unmarshal(d.GiftProofBundle, &bundle); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(api.Trust{ChainID: s.genesis.ChainID, NodeKeys: s.genesis.NodeKeys(), Quorum: s.genesis.Quorum()}); err != nil {
		t.Fatalf("the portal's bundle does not verify: %v", err)
	}
	good := d.GiftProofBundle
	exact := strconv.FormatInt(bundle.Steps[0].Proof.Header.Time, 10)
	rounded := bytes.Replace(good, []byte(`"`+exact+`"`), []byte(strconv.FormatFloat(float64(bundle.Steps[0].Proof.Header.Time), 'g', -1, 64)), 1)
	edited := bytes.Replace(good, []byte(`{"key":"amount","value":"`), []byte(`{"key":"amount","value":"9`), 1)
	dir := t.TempDir()
	br := newBrowser(t, s)
	for _, c := range []struct {
		file    string
		data    []byte
		verdict string
		why     string
	}{
		{"bundle-good.json", good, "are genuine, and they are this gift's", "The gift"},
		{"bundle-rounded.json", rounded, "Not verified: do not trust these receipts", "step 1 (the gift): the receipt's header time was changed"},
		{"bundle-edited.json", edited, "Not verified: do not trust these receipts", "step 1 (the gift): the receipt was changed"},
	} {
		f := filepath.Join(dir, c.file)
		if err := os.WriteFile(f, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		br.visit("/verify")
		br.upload("proof", f)
		br.upload("genesis", filepath.Join(s.devHome, "genesis.json"))
		br.button("Verify receipt")
		br.waitText(c.verdict)
		br.waitText(c.why)
		br.shot("verify-" + strings.TrimSuffix(c.file, ".json"))
	}
}
