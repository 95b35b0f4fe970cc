package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// startPortalAt runs a portal over an existing node with its data in
// home; the returned stop closes it (also at the end of the test).
func startPortalAt(t *testing.T, n *testnode.Node, home string) (*app.Portal, func()) {
	t.Helper()
	return runPortal(t, app.Config{Node: n.URL, Home: home, DevHome: n.Home})
}

// rebuilt stops the portal p over n, deletes its read model (in home)
// and starts it again; it returns the new portal once its read model has
// caught up with the height p had applied.
func rebuilt(t *testing.T, n *testnode.Node, home string, p *app.Portal, stop func()) *app.Portal {
	t.Helper()
	height, _ := p.Store.Applied()
	stop()
	if err := os.RemoveAll(filepath.Join(home, "index")); err != nil {
		t.Fatal(err)
	}
	p2, _ := startPortalAt(t, n, home)
	deadline := time.Now().Add(30 * time.Second)
	for h, ok := p2.Store.Applied(); !ok || h < height; h, ok = p2.Store.Applied() {
		if time.Now().After(deadline) {
			t.Fatalf("rebuilt read model at %d, want %d", h, height)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p2
}

// as returns a client signed in as account.
func as(t *testing.T, p *app.Portal, account string) *client {
	t.Helper()
	c := newClient(t, p.URL)
	c.login(account, p.DevAccounts[account])
	return c
}

// independentValidator returns a dev member who may validate hope's
// milestones: a milestone_validator of another organisation.
func independentValidator(t *testing.T, n *testnode.Node) string {
	t.Helper()
	for _, m := range n.Genesis.Members {
		if m.Org != "hope" && slices.Contains(m.Roles, "milestone_validator") && !m.Revoked {
			return m.ID
		}
	}
	t.Fatal("the dev genesis has no milestone_validator outside hope (consortium-node/genesis/devnet Members)")
	return ""
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const txFields = `id status height receipt { status error }`

// ok runs a mutation document with wait: true and requires an OK receipt;
// it returns the transaction id.
func (c *client) ok(field, doc string, vars map[string]any) string {
	c.t.Helper()
	r := c.do(doc, vars)
	if len(r.Errors) != 0 || dig(r.Data, field, "status") != "COMMITTED" || dig(r.Data, field, "receipt", "status") != "OK" {
		c.t.Fatalf("%s: %s", field, r.raw)
	}
	return dig(r.Data, field, "id").(string)
}

// failed runs a mutation and requires a committed FAILED receipt whose
// error contains want.
func (c *client) failed(field, doc string, vars map[string]any, want string) {
	c.t.Helper()
	r := c.do(doc, vars)
	msg, _ := dig(r.Data, field, "receipt", "error").(string)
	if len(r.Errors) != 0 || dig(r.Data, field, "receipt", "status") != "FAILED" || !strings.Contains(msg, want) {
		c.t.Fatalf("%s: want a FAILED receipt containing %q: %s", field, want, r.raw)
	}
}

const (
	createDoc = `mutation($id: ID!, $ms: [MilestoneInput!]!) { createCampaign(id: $id, title: "Heart surgery for Ana", currency: "EUR",
		beneficiaries: ["stmarys"], milestones: $ms, wait: true) { ` + txFields + ` } }`
	openDoc     = `mutation($c: ID!) { openCampaign(campaign: $c, wait: true) { ` + txFields + ` } }`
	closeDoc    = `mutation($c: ID!) { closeCampaign(campaign: $c, wait: true) { ` + txFields + ` } }`
	cancelDoc   = `mutation($c: ID!) { cancelCampaign(campaign: $c, wait: true) { ` + txFields + ` } }`
	giveDoc     = `mutation($c: ID!, $a: Amount!, $m: Int) { give(campaign: $c, amount: $a, milestone: $m, wait: true) { ` + txFields + ` } }`
	evidenceDoc = `mutation($c: ID!, $m: Int!, $h: String!) { submitEvidence(campaign: $c, milestone: $m, evidenceHash: $h, wait: true) { ` + txFields + ` } }`
	approveDoc  = `mutation($c: ID!, $m: Int!) { approveMilestone(campaign: $c, milestone: $m, wait: true) { ` + txFields + ` } }`
	settleDoc   = `mutation($c: ID!, $m: Int!) { settleMilestone(campaign: $c, milestone: $m, wait: true) { ` + txFields + ` } }`
	disburseDoc = `mutation($c: ID!, $m: Int!, $id: ID!, $a: Amount!, $h: String!) { disburse(campaign: $c, milestone: $m, id: $id, payee: "stmarys",
		amount: $a, purpose: "Surgery invoice 42", paymentRef: "SEPA-2024-0042", evidenceHash: $h, wait: true) { ` + txFields + ` } }`
	confirmDoc = `mutation($d: ID!) { confirmReceipt(disbursement: $d, wait: true) { ` + txFields + ` } }`

	lineageFields = `disbursed refunded inEscrow gift { id donor amount earmarked campaignId }
		campaign { id status raised disbursed refunded balance }
		allocations { amount earmarked inEscrow milestone { seq title status }
			disbursements { amount payee payeeName confirmed disbursement { id purpose paymentRef evidenceHash confirmedBy milestone } }
			refunds { amount reason } }`
	giftDoc = `query($id: ID!) { gift(id: $id) { id amount lineage { ` + lineageFields + ` } } }`
)

func milestonesInput(validator string, amounts []int, deadline time.Time) []map[string]any {
	out := make([]map[string]any, len(amounts))
	for i, a := range amounts {
		out[i] = map[string]any{"title": []string{"Surgery", "Rehabilitation", "Follow-up"}[i], "amount": a, "validator": validator,
			"deadline": deadline.UTC().Format(time.RFC3339)}
	}
	return out
}

func lineageOf(t *testing.T, c *client, gift string) map[string]any {
	t.Helper()
	r := c.do(giftDoc, map[string]any{"id": gift})
	if len(r.Errors) != 0 || dig(r.Data, "gift", "lineage") == nil {
		t.Fatalf("gift %s: %s", gift, r.raw)
	}
	return dig(r.Data, "gift", "lineage").(map[string]any)
}

func allocations(l map[string]any) []any { return l["allocations"].([]any) }

// TestDonationJourney walks a campaign through the portal against a real
// node: the charity officer creates and opens it with two milestones, the
// donor gives (earmarked and split), lineage shows the allocations, the
// independent validator approves the evidence, the officer disburses to
// St Mary's, whose clerk confirms, and lineage (queried, and pushed over
// giftLineage) shows the disbursement and its confirmation; a milestone
// missing its deadline is settled and refunds; a cancelled campaign
// refunds what is left; the charity report sums it all with CSV. Refusals:
// a member reading someone else's gift or the campaign's gift list
// (FORBIDDEN), the officer approving (a FAILED receipt with the policy
// denial), giving more than the campaign needs (FAILED, "still needs").
func TestDonationJourney(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	validator := independentValidator(t, n)
	officer, donor, val := as(t, p, "hope/officer"), as(t, p, "hope/donor-sam"), as(t, p, validator)
	clerk, auditor, other := as(t, p, "stmarys/clerk"), as(t, p, "healthreg/auditor"), as(t, p, "stmarys/patient-ana")
	anon := newClient(t, p.URL)

	const camp = "heart-ana"
	officer.ok("createCampaign", createDoc, map[string]any{"id": camp, "ms": milestonesInput(validator, []int{600, 400}, time.Now().Add(30*24*time.Hour))})
	officer.ok("openCampaign", openDoc, map[string]any{"c": camp})

	r := anon.do(`{ campaigns(first: 10) { nodes { id status goal currency charity { name } milestones { seq amount validator status } } } }`, nil)
	cs := dig(r.Data, "campaigns", "nodes").([]any)
	if len(r.Errors) != 0 || len(cs) != 1 || dig(cs[0], "status") != "OPEN" || dig(cs[0], "goal") != "10.00" ||
		dig(cs[0], "charity", "name") != "Hope Foundation" || len(dig(cs[0], "milestones").([]any)) != 2 {
		t.Fatalf("campaigns: %s", r.raw)
	}

	// Gifts: earmarked to milestone 2, split in milestone order, and one
	// more than the campaign still needs.
	giftA := donor.ok("give", giveDoc, map[string]any{"c": camp, "a": 300, "m": 2})
	giftB := donor.ok("give", giveDoc, map[string]any{"c": camp, "a": 500})
	donor.failed("give", giveDoc, map[string]any{"c": camp, "a": 300}, "still needs")
	giftC := donor.ok("give", giveDoc, map[string]any{"c": camp, "a": "1.50"})

	l := lineageOf(t, donor, giftA)
	if a := allocations(l); len(a) != 1 || dig(a[0], "milestone", "seq") != 2.0 || dig(a[0], "amount") != "3.00" || dig(a[0], "earmarked") != true {
		t.Fatalf("earmarked gift lineage: %v", l)
	}
	l = lineageOf(t, donor, giftC)
	if a := allocations(l); len(a) != 2 || dig(a[0], "milestone", "seq") != 1.0 || dig(a[0], "amount") != "1.00" ||
		dig(a[1], "milestone", "seq") != 2.0 || dig(a[1], "amount") != "0.50" || dig(a[0], "earmarked") != false {
		t.Fatalf("split gift lineage: %v", l)
	}

	// Who may read gifts.
	if r := other.do(giftDoc, map[string]any{"id": giftA}); r.code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "only the donor") {
		t.Fatalf("someone else reading the donor's gift: %s", r.raw)
	}
	if r := anon.do(giftDoc, map[string]any{"id": giftA}); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous gift read: %s", r.raw)
	}
	const campGifts = `query($c: ID!) { campaign(id: $c) { giftCount gifts(first: 10) { nodes { id donor amount } } } }`
	if r := donor.do(campGifts, map[string]any{"c": camp}); r.code() != "FORBIDDEN" {
		t.Fatalf("donor listing the campaign's gifts: %s", r.raw)
	}
	for _, c := range []*client{officer, auditor} {
		r := c.do(campGifts, map[string]any{"c": camp})
		ns, _ := dig(r.Data, "campaign", "gifts", "nodes").([]any)
		if len(r.Errors) != 0 || len(ns) != 3 || dig(ns[0], "id") != giftA || dig(ns[1], "id") != giftB || dig(ns[2], "id") != giftC {
			t.Fatalf("campaign income for an overseer: %s", r.raw)
		}
	}
	r = donor.do(`{ myGifts(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } }`, nil)
	if ns := dig(r.Data, "myGifts", "nodes").([]any); len(ns) != 2 || dig(r.Data, "myGifts", "pageInfo", "hasNextPage") != true {
		t.Fatalf("myGifts page 1: %s", r.raw)
	}
	r = donor.do(`query($a: String) { myGifts(first: 2, after: $a) { nodes { id } pageInfo { hasNextPage } } }`, map[string]any{"a": dig(r.Data, "myGifts", "pageInfo", "endCursor")})
	if ns := dig(r.Data, "myGifts", "nodes").([]any); len(ns) != 1 || dig(ns[0], "id") != giftC {
		t.Fatalf("myGifts page 2: %s", r.raw)
	}
	if r := other.do(`{ myGifts { nodes { id } } }`, nil); len(dig(r.Data, "myGifts", "nodes").([]any)) != 0 {
		t.Fatalf("another member's myGifts: %s", r.raw)
	}
	// Newest first, paged the same way; and the donor's totals.
	r = donor.do(`{ myGifts(first: 2, newestFirst: true) { nodes { id } pageInfo { hasNextPage endCursor } } }`, nil)
	if ns := dig(r.Data, "myGifts", "nodes").([]any); len(ns) != 2 || dig(ns[0], "id") != giftC || dig(ns[1], "id") != giftB {
		t.Fatalf("myGifts newest first, page 1: %s", r.raw)
	}
	r = donor.do(`query($a: String) { myGifts(first: 2, after: $a, newestFirst: true) { nodes { id } pageInfo { hasNextPage } } }`,
		map[string]any{"a": dig(r.Data, "myGifts", "pageInfo", "endCursor")})
	if ns := dig(r.Data, "myGifts", "nodes").([]any); len(ns) != 1 || dig(ns[0], "id") != giftA || dig(r.Data, "myGifts", "pageInfo", "hasNextPage") != false {
		t.Fatalf("myGifts newest first, page 2: %s", r.raw)
	}
	const totalsDoc = `{ myGivingTotals { truncated totals { currency gifts given disbursed inEscrow refunded } } }`
	r = donor.do(totalsDoc, nil)
	if ts, _ := dig(r.Data, "myGivingTotals", "totals").([]any); len(r.Errors) != 0 || len(ts) != 1 || dig(ts[0], "gifts") != 3.0 ||
		dig(ts[0], "given") != "9.50" || dig(ts[0], "inEscrow") != "9.50" || dig(ts[0], "disbursed") != "0.00" ||
		dig(r.Data, "myGivingTotals", "truncated") != false {
		t.Fatalf("myGivingTotals: %s", r.raw)
	}
	if r := other.do(totalsDoc, nil); len(dig(r.Data, "myGivingTotals", "totals").([]any)) != 0 {
		t.Fatalf("another member's totals: %s", r.raw)
	}

	// Evidence, the officer may not approve (the policy says so before
	// anything is signed; the ledger would refuse it too), the independent
	// validator does.
	officer.ok("submitEvidence", evidenceDoc, map[string]any{"c": camp, "m": 1, "h": sha("surgery report")})
	if r := officer.do(approveDoc, map[string]any{"c": camp, "m": 1}); r.code() != "FORBIDDEN" ||
		!strings.Contains(r.Errors[0].Message, "nothing was signed") {
		t.Fatalf("the charity officer approving its own milestone: %s", r.raw)
	}
	val.ok("approveMilestone", approveDoc, map[string]any{"c": camp, "m": 1})

	// The donor follows gift B's lineage over graphql-transport-ws.
	ws := wsAs(t, donor)
	wsSubscribe(t, ws, "lin", `subscription($g: ID!) { giftLineage(giftId: $g) { inEscrow disbursed
		allocations { disbursements { amount payee confirmed } } } }`, map[string]any{"g": giftB})
	if m := wsRead(t, ws); m["type"] != "next" || dig(m, "payload", "data", "giftLineage", "inEscrow") != "5.00" {
		t.Fatalf("giftLineage snapshot: %v", m)
	}

	// Disbursement to St Mary's draws first in, first out: B's 500, then
	// 50 of C's 100.
	officer.failed("disburse", disburseDoc, map[string]any{"c": camp, "m": 2, "id": "inv-41", "a": 100, "h": sha("invoice 41")}, "validator approves")
	officer.ok("disburse", disburseDoc, map[string]any{"c": camp, "m": 1, "id": "inv-42", "a": 550, "h": sha("invoice 42")})
	m := wsRead(t, ws)
	if ds := dig(m, "payload", "data", "giftLineage", "allocations").([]any)[0].(map[string]any)["disbursements"].([]any); m["type"] != "next" ||
		len(ds) != 1 || dig(ds[0], "amount") != "5.00" || dig(ds[0], "payee") != "stmarys" || dig(ds[0], "confirmed") != false {
		t.Fatalf("giftLineage after the disbursement: %v", m)
	}
	clerk.ok("confirmReceipt", confirmDoc, map[string]any{"d": "inv-42"})
	m = wsRead(t, ws)
	if ds := dig(m, "payload", "data", "giftLineage", "allocations").([]any)[0].(map[string]any)["disbursements"].([]any); m["type"] != "next" ||
		dig(ds[0], "confirmed") != true {
		t.Fatalf("giftLineage after the confirmation: %v", m)
	}
	wsSend(t, ws, `{"type":"complete","id":"lin"}`)
	// End the socket from the server side (an invalid message): a socket the
	// client drops makes transportws write its close frame after the
	// handler returned, which panics in fasthttp (a transportws bug).
	wsSend(t, ws, `{"type":"what"}`)
	if code := wsCloseCode(t, ws); code != 4400 {
		t.Fatalf("close: %d", code)
	}

	l = lineageOf(t, donor, giftB)
	d := allocations(l)[0].(map[string]any)["disbursements"].([]any)
	if l["disbursed"] != "5.00" || l["inEscrow"] != "0.00" || len(d) != 1 || dig(d[0], "disbursement", "id") != "inv-42" ||
		dig(d[0], "disbursement", "confirmedBy") != "stmarys/clerk" || dig(d[0], "disbursement", "purpose") != "Surgery invoice 42" ||
		dig(d[0], "disbursement", "evidenceHash") != sha("invoice 42") || dig(allocations(l)[0], "milestone", "status") != "APPROVED" {
		t.Fatalf("gift B lineage: %v", l)
	}
	l = lineageOf(t, donor, giftC)
	if l["disbursed"] != "0.50" || l["inEscrow"] != "1.00" || dig(l, "campaign", "balance") != "4.00" || dig(l, "campaign", "disbursed") != "5.50" {
		t.Fatalf("gift C lineage: %v", l)
	}
	const disbDoc = `{ disbursement(id: "inv-42") { payee amount confirmed sources { giftId amount } } }`
	if r := clerk.do(`{ disbursement(id: "inv-42") { payee payeeName amount confirmed } }`, nil); dig(r.Data, "disbursement", "confirmed") != true ||
		dig(r.Data, "disbursement", "payeeName") != "St Mary's Hospital" {
		t.Fatalf("payee reading its disbursement: %s", r.raw)
	}
	var named int
	for _, a := range allocations(l) {
		for _, d := range dig(a, "disbursements").([]any) {
			if dig(d, "payeeName") != "St Mary's Hospital" {
				t.Fatalf("the lineage names the payee %v", d)
			}
			named++
		}
	}
	if named == 0 {
		t.Fatalf("gift C's lineage has no disbursement: %v", l)
	}
	if r := clerk.do(disbDoc, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("payee reading the gift sources: %s", r.raw)
	}
	if r := officer.do(disbDoc, nil); len(dig(r.Data, "disbursement", "sources").([]any)) != 2 {
		t.Fatalf("officer reading the sources: %s", r.raw)
	}

	// A milestone that misses its deadline: settled by anyone once a
	// block's time is past it, refunding its donors.
	const quick = "quick-meds"
	officer.ok("createCampaign", createDoc, map[string]any{"id": quick, "ms": milestonesInput(validator, []int{100}, time.Now().Add(3*time.Second))})
	officer.ok("openCampaign", openDoc, map[string]any{"c": quick})
	giftD := donor.ok("give", giveDoc, map[string]any{"c": quick, "a": 60})
	settled := false
	for i := 0; i < 60 && !settled; i++ {
		r := other.do(settleDoc, map[string]any{"c": quick, "m": 1})
		switch dig(r.Data, "settleMilestone", "receipt", "status") {
		case "OK":
			settled = true
		case "FAILED": // the block time is not yet past the deadline
			if e, _ := dig(r.Data, "settleMilestone", "receipt", "error").(string); !strings.Contains(e, "past its deadline") {
				t.Fatalf("settle: %s", r.raw)
			}
			time.Sleep(250 * time.Millisecond)
		default:
			t.Fatalf("settle: %s", r.raw)
		}
	}
	if !settled {
		t.Fatal("the milestone was never settled")
	}
	l = lineageOf(t, donor, giftD)
	a := allocations(l)[0]
	if l["refunded"] != "0.60" || dig(a, "milestone", "status") != "MISSED" || len(dig(a, "refunds").([]any)) != 1 ||
		dig(dig(a, "refunds").([]any)[0], "reason") != "milestone_missed" || dig(l, "campaign", "balance") != "0.00" {
		t.Fatalf("missed milestone lineage: %v", l)
	}
	officer.ok("closeCampaign", closeDoc, map[string]any{"c": quick})

	// Cancelling refunds what is left in escrow.
	officer.ok("cancelCampaign", cancelDoc, map[string]any{"c": camp})
	l = lineageOf(t, donor, giftA)
	if l["refunded"] != "3.00" || dig(allocations(l)[0], "refunds").([]any)[0].(map[string]any)["reason"] != "campaign_cancelled" ||
		dig(l, "campaign", "status") != "CANCELLED" || dig(l, "campaign", "balance") != "0.00" {
		t.Fatalf("cancelled campaign lineage: %v", l)
	}
	// Its undecided milestones are cancelled, as the contract marks them
	// (they read "pending" once: the portal did not know the status).
	r = anon.do(`query($c: ID!) { campaign(id: $c) { milestones { seq status } } }`, map[string]any{"c": camp})
	cancelled := 0
	for _, m := range dig(r.Data, "campaign", "milestones").([]any) {
		switch dig(m, "status") {
		case "PENDING", "EVIDENCE_SUBMITTED":
			t.Fatalf("a cancelled campaign's milestone still reads as undecided: %s", r.raw)
		case "CANCELLED":
			cancelled++
		}
	}
	if cancelled == 0 {
		t.Fatalf("no milestone of the cancelled campaign reads CANCELLED: %s", r.raw)
	}

	// The charity report, with CSV, for the officer and the auditor only.
	const reportDoc = `{ charityReport(charity: "hope", from: "2000-01-01", to: "2200-01-01") {
		campaigns { campaignId income gifts disbursed refunded net } entries { kind amount } csv entriesCsv } }`
	if r := donor.do(reportDoc, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("donor reading the report: %s", r.raw)
	}
	for _, c := range []*client{officer, auditor} {
		r := c.do(reportDoc, nil)
		rows, _ := dig(r.Data, "charityReport", "campaigns").([]any)
		if len(r.Errors) != 0 || len(rows) != 2 || dig(rows[0], "campaignId") != camp || dig(rows[0], "income") != "9.50" ||
			dig(rows[0], "gifts") != 3.0 || dig(rows[0], "disbursed") != "5.50" || dig(rows[0], "refunded") != "4.00" || dig(rows[0], "net") != "0.00" ||
			dig(rows[1], "campaignId") != quick || dig(rows[1], "refunded") != "0.60" {
			t.Fatalf("charity report: %s", r.raw)
		}
		csv := dig(r.Data, "charityReport", "csv").(string)
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "charity,from,to,campaign,title,currency,income") ||
			!strings.Contains(lines[1], ",heart-ana,Heart surgery for Ana,EUR,9.50,3,5.50,1,4.00,") {
			t.Fatalf("report CSV:\n%s", csv)
		}
		if el := strings.Split(strings.TrimSpace(dig(r.Data, "charityReport", "entriesCsv").(string)), "\n"); len(el) != 1+len(dig(r.Data, "charityReport", "entries").([]any)) {
			t.Fatalf("entries CSV: %s", r.raw)
		}
	}
	if r := officer.do(`{ charityReport(charity: "hope", from: "yesterday", to: "2200-01-01") { csv } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("bad date: %s", r.raw)
	}
	if r := officer.do(`{ charityReport(charity: "hope", from: "2000-01-01", to: "2000-01-02") { campaigns { campaignId } } }`, nil); len(dig(r.Data, "charityReport", "campaigns").([]any)) != 0 {
		t.Fatalf("empty range: %s", r.raw)
	}
}

// TestDonationReadModelRebuild deletes the portal's read model after a
// donation journey and rebuilds it from the node: campaigns, lineages and
// the report are identical.
func TestDonationReadModelRebuild(t *testing.T) {
	n := testnode.Start(t)
	home := t.TempDir()
	p, stop := startPortalAt(t, n, home)
	validator := independentValidator(t, n)
	officer, donor, val, clerk := as(t, p, "hope/officer"), as(t, p, "hope/donor-sam"), as(t, p, validator), as(t, p, "stmarys/clerk")

	const camp = "rebuild-1"
	officer.ok("createCampaign", createDoc, map[string]any{"id": camp, "ms": milestonesInput(validator, []int{200, 300}, time.Now().Add(24*time.Hour))})
	officer.ok("openCampaign", openDoc, map[string]any{"c": camp})
	gifts := []string{
		donor.ok("give", giveDoc, map[string]any{"c": camp, "a": 100, "m": 2}),
		donor.ok("give", giveDoc, map[string]any{"c": camp, "a": 250}),
	}
	officer.ok("submitEvidence", evidenceDoc, map[string]any{"c": camp, "m": 1, "h": sha("report")})
	val.ok("approveMilestone", approveDoc, map[string]any{"c": camp, "m": 1})
	officer.ok("disburse", disburseDoc, map[string]any{"c": camp, "m": 1, "id": "rb-1", "a": 150, "h": sha("invoice")})
	clerk.ok("confirmReceipt", confirmDoc, map[string]any{"d": "rb-1"})
	officer.ok("cancelCampaign", cancelDoc, map[string]any{"c": camp})

	snapshot := func(c *client) string {
		t.Helper()
		var b strings.Builder
		for _, g := range gifts {
			r := c.do(giftDoc, map[string]any{"id": g})
			if len(r.Errors) != 0 {
				t.Fatalf("gift: %s", r.raw)
			}
			b.WriteString(r.raw)
		}
		r := c.do(`{ campaign(id: "rebuild-1") { status raised disbursed refunded balance milestones { seq status funded disbursed refunded evidenceHash decidedBy }
			disbursements { nodes { id payee amount confirmed confirmedBy sources { giftId amount } } } }
			charityReport(charity: "hope", from: "2000-01-01", to: "2200-01-01") { csv entriesCsv } }`, nil)
		if len(r.Errors) != 0 {
			t.Fatalf("campaign: %s", r.raw)
		}
		b.WriteString(r.raw)
		return b.String()
	}
	before := snapshot(officer)
	if !strings.Contains(before, `"refunds":[{"amount":"1.00","reason":"campaign_cancelled"}]`) || !strings.Contains(before, `"confirmedBy":"stmarys/clerk"`) {
		t.Fatalf("journey state: %s", before)
	}
	p2 := rebuilt(t, n, home, p, stop)
	if after := snapshot(as(t, p2, "hope/officer")); after != before {
		t.Fatalf("rebuilt read model differs:\nbefore %s\nafter  %s", before, after)
	}
}
