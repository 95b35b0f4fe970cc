package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

const (
	claimFields = `id status outcome denialReason provider patient insurer currency claimed approved patientShare paymentRef paidAmount
		items { seq amount approved reason } document documentAccess linkedRecords appeals { seq reason outcome approved by }
		history { status by } submittedBy`
	claimDoc       = `query($id: ID!) { claim(id: $id) { ` + claimFields + ` } }`
	queueDoc       = `query($s: ClaimStatus, $f: Int, $a: String) { claimQueue(status: $s, first: $f, after: $a) { nodes { id status } pageInfo { hasNextPage endCursor } } }`
	submitDoc      = `mutation($id: ID!, $items: [ClaimItemInput!]!, $recs: [ID!]) { submitClaim(id: $id, patient: "stmarys/patient-ana", insurer: "acme", currency: "EUR", items: $items, records: $recs, wait: true) { ` + txFields + ` } }`
	reviewDoc      = `mutation($c: ID!) { reviewClaim(claim: $c, wait: true) { ` + txFields + ` } }`
	adjudicateDoc  = `mutation($c: ID!, $adj: [AdjudicationInput!]!, $d: String) { adjudicateClaim(claim: $c, adjudication: $adj, denialReason: $d, wait: true) { ` + txFields + ` } }`
	payDoc         = `mutation($c: ID!, $a: Amount!) { payClaim(claim: $c, paymentRef: "ACME-PAY-0001", amount: $a, wait: true) { ` + txFields + ` } }`
	appealDoc      = `mutation($c: ID!) { appealClaim(claim: $c, reason: "documentation-added", wait: true) { ` + txFields + ` } }`
	cancelClaimDoc = `mutation($c: ID!) { cancelClaim(claim: $c, wait: true) { ` + txFields + ` } }`
	openDocDoc     = `mutation($c: ID!, $consent: ID) { openClaimDocument(claim: $c, consent: $consent) { claim accessTx version verified fingerprintsChecked problem created items { seq serviceCode date amount } fhir } }`
)

// registerRecord registers version 1 of a record of patient-ana at St
// Mary's (any 32-byte hash: the ledger holds only the ciphertext's hash).
func registerRecord(t *testing.T, n *testnode.Node, id, category string) {
	t.Helper()
	h := make([]byte, 32)
	copy(h, id)
	n.Send(t, "stmarys/clerk", "record", "register", tx.String("record_id", id), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", h),
		tx.String("patient", "stmarys/patient-ana"), tx.String("category", category))
}

// queue returns the ids and statuses of the adjuster's queue.
func queue(t *testing.T, c *client, status any) []string {
	t.Helper()
	r := c.do(queueDoc, map[string]any{"s": status, "f": 50})
	ns, ok := dig(r.Data, "claimQueue", "nodes").([]any)
	if len(r.Errors) != 0 || !ok {
		t.Fatalf("claimQueue(%v): %s", status, r.raw)
	}
	out := []string{}
	for _, n := range ns {
		out = append(out, dig(n, "id").(string)+"="+dig(n, "status").(string))
	}
	return out
}

func wantQueue(t *testing.T, c *client, status any, want ...string) {
	t.Helper()
	if got := queue(t, c, status); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("claimQueue(%v) = %v, want %v", status, got, want)
	}
}

// TestClaimLifecycle files a claim at St Mary's against Acme and walks it
// through review, partial adjudication, appeal, a new review and full
// approval to payment, with Acme's queue showing the right status at each
// step and the patient following it over claimStatus; a second claim is
// cancelled. Reads follow the policy: the insurer's adjuster, the
// provider's staff who read claims, the patient and the auditor read it;
// a donor, a charity officer and the privacy officer get FORBIDDEN, as
// does the clerk reading Acme's queue or the adjuster appealing.
func TestClaimLifecycle(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	clerk, adjuster, ana := as(t, p, "stmarys/clerk"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/patient-ana")
	registerRecord(t, n, "rec-claim-1", "claim-support")

	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	items := []map[string]any{{"serviceCode": "99213", "date": day, "amount": 10000}, {"serviceCode": "80053", "date": day, "amount": "50.00"}}
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "c-1", "items": items, "recs": []string{"rec-claim-1"}})
	wantQueue(t, adjuster, nil, "c-1=SUBMITTED")
	testClaimDocument(t, n, p, day)
	wantQueue(t, adjuster, "SUBMITTED", "c-1=SUBMITTED")
	wantQueue(t, adjuster, "IN_REVIEW")

	// The patient follows the claim over graphql-transport-ws.
	ws := wsAs(t, ana)
	wsSubscribe(t, ws, "cs", `subscription { claimStatus(claimId: "c-1") { status approved } }`, nil)
	if m := wsRead(t, ws); m["type"] != "next" || dig(m, "payload", "data", "claimStatus", "status") != "SUBMITTED" {
		t.Fatalf("claimStatus snapshot: %v", m)
	}

	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": "c-1"})
	if m := wsRead(t, ws); m["type"] != "next" || dig(m, "payload", "data", "claimStatus", "status") != "IN_REVIEW" {
		t.Fatalf("claimStatus after review: %v", m)
	}
	wsSend(t, ws, `{"type":"complete","id":"cs"}`)
	wsSend(t, ws, `{"type":"what"}`) // end the socket from the server side (see TestDonationJourney)
	if code := wsCloseCode(t, ws); code != 4400 {
		t.Fatalf("close: %d", code)
	}
	wantQueue(t, adjuster, "SUBMITTED")
	wantQueue(t, adjuster, "IN_REVIEW", "c-1=IN_REVIEW")

	// Checked before signing, in money: a reduction needs a reason, and no
	// item is approved for more than it claims.
	for _, c := range []struct {
		adj  []map[string]any
		want string
	}{
		{[]map[string]any{{"seq": 1, "approved": 10000}, {"seq": 2, "approved": 2000}}, "item 2 is approved for 20.00 EUR of 50.00 EUR: give a reason code"},
		{[]map[string]any{{"seq": 1, "approved": "100.01"}, {"seq": 2, "approved": "50.00"}}, "item 1: approved 100.01 EUR exceeds the 100.00 EUR claimed"},
	} {
		if r := adjuster.do(adjudicateDoc, map[string]any{"c": "c-1", "adj": c.adj}); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, c.want) {
			t.Fatalf("adjudication %v: want %q: %s", c.adj, c.want, r.raw)
		}
	}
	adjuster.ok("adjudicateClaim", adjudicateDoc, map[string]any{"c": "c-1", "adj": []map[string]any{{"seq": 1, "approved": 10000}, {"seq": 2, "approved": 2000, "reason": "plan-limit"}}})
	wantQueue(t, adjuster, "ADJUDICATED", "c-1=ADJUDICATED")
	r := ana.do(claimDoc, map[string]any{"id": "c-1"})
	if len(r.Errors) != 0 || dig(r.Data, "claim", "outcome") != "PARTIALLY_APPROVED" || dig(r.Data, "claim", "approved") != "120.00" ||
		dig(r.Data, "claim", "patientShare") != "30.00" || dig(r.Data, "claim", "claimed") != "150.00" {
		t.Fatalf("partially approved claim: %s", r.raw)
	}
	if it := dig(r.Data, "claim", "items").([]any); dig(it[1], "approved") != "20.00" || dig(it[1], "reason") != "plan-limit" || dig(it[0], "reason") != nil {
		t.Fatalf("items: %s", r.raw)
	}

	// Refusals before signing: the adjuster may not appeal; the clerk may
	// not read Acme's queue.
	if r := adjuster.do(appealDoc, map[string]any{"c": "c-1"}); r.code() != "FORBIDDEN" {
		t.Fatalf("adjuster appealing: %s", r.raw)
	}
	if r := clerk.do(`{ claimQueue(insurer: "acme") { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("clerk reading Acme's queue: %s", r.raw)
	}
	if r := adjuster.do(`{ providerClaims(provider: "stmarys") { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("adjuster reading St Mary's filed claims: %s", r.raw)
	}

	clerk.ok("appealClaim", appealDoc, map[string]any{"c": "c-1"})
	wantQueue(t, adjuster, "APPEALED", "c-1=APPEALED")
	wantQueue(t, adjuster, "ADJUDICATED")
	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": "c-1"})
	adjuster.ok("adjudicateClaim", adjudicateDoc, map[string]any{"c": "c-1", "adj": []map[string]any{{"seq": 1, "approved": 10000}, {"seq": 2, "approved": 5000}}})
	adjuster.failed("payClaim", payDoc, map[string]any{"c": "c-1", "a": 12000}, "not the approved total") // minor units, as before
	if r := adjuster.do(payDoc, map[string]any{"c": "c-1", "a": "150.001"}); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, "more than 2 decimals for EUR") {
		t.Fatalf("a third decimal in EUR: %s", r.raw)
	}
	// Amounts are money as people write it, and a result is an argument:
	// the approved total read back pays the claim.
	r = adjuster.do(claimDoc, map[string]any{"id": "c-1"})
	total := dig(r.Data, "claim", "approved")
	if len(r.Errors) != 0 || total != "150.00" || dig(r.Data, "claim", "currency") != "EUR" {
		t.Fatalf("approved total: %s", r.raw)
	}
	adjuster.ok("payClaim", payDoc, map[string]any{"c": "c-1", "a": total})
	wantQueue(t, adjuster, "PAID", "c-1=PAID")
	wantQueue(t, adjuster, "IN_REVIEW")

	// A second claim, cancelled; the queue is newest first and pages.
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "c-2", "items": []map[string]any{{"serviceCode": "99214", "date": day, "amount": "250.00"}}})
	if r := adjuster.do(`{ claim(id: "c-2") { claimed items { amount } } }`, nil); len(r.Errors) != 0 || dig(r.Data, "claim", "claimed") != "250.00" ||
		dig(r.Data, "claim", "items").([]any)[0].(map[string]any)["amount"] != "250.00" {
		t.Fatalf("250.00 EUR claimed: %s", r.raw)
	}
	clerk.ok("cancelClaim", cancelClaimDoc, map[string]any{"c": "c-2"})
	wantQueue(t, adjuster, nil, "c-2=CANCELLED", "c-1=PAID")
	wantQueue(t, adjuster, "CANCELLED", "c-2=CANCELLED")
	r = adjuster.do(queueDoc, map[string]any{"f": 1})
	if ns := dig(r.Data, "claimQueue", "nodes").([]any); len(ns) != 1 || dig(ns[0], "id") != "c-2" || dig(r.Data, "claimQueue", "pageInfo", "hasNextPage") != true {
		t.Fatalf("queue page 1: %s", r.raw)
	}
	r = adjuster.do(queueDoc, map[string]any{"f": 1, "a": dig(r.Data, "claimQueue", "pageInfo", "endCursor")})
	if ns := dig(r.Data, "claimQueue", "nodes").([]any); len(ns) != 1 || dig(ns[0], "id") != "c-1" || dig(r.Data, "claimQueue", "pageInfo", "hasNextPage") != false {
		t.Fatalf("queue page 2: %s", r.raw)
	}

	// Who reads the claim.
	for _, who := range []string{"acme/adjuster", "stmarys/clerk", "stmarys/dr-lee", "stmarys/patient-ana", "healthreg/auditor"} {
		r := as(t, p, who).do(claimDoc, map[string]any{"id": "c-1"})
		c, _ := dig(r.Data, "claim").(map[string]any)
		if len(r.Errors) != 0 || c == nil || c["status"] != "PAID" || c["outcome"] != "APPROVED" || c["paymentRef"] != "ACME-PAY-0001" ||
			c["paidAmount"] != "150.00" || c["patientShare"] != "0.00" || c["provider"] != "stmarys" || c["insurer"] != "acme" ||
			len(c["appeals"].([]any)) != 1 || dig(c["appeals"].([]any)[0], "outcome") != "PARTIALLY_APPROVED" ||
			dig(c["appeals"].([]any)[0], "approved") != "120.00" || len(c["history"].([]any)) != 7 ||
			c["linkedRecords"].([]any)[0] != "rec-claim-1" || c["submittedBy"] != "stmarys/clerk" {
			t.Fatalf("%s reading the claim: %s", who, r.raw)
		}
	}
	for _, who := range []string{"hope/donor-sam", "hope/officer", "stmarys/privacy"} {
		if r := as(t, p, who).do(claimDoc, map[string]any{"id": "c-1"}); r.code() != "FORBIDDEN" {
			t.Fatalf("%s reading the claim: %s", who, r.raw)
		}
	}
	if r := ana.do(`{ myClaims { nodes { id status } } }`, nil); len(dig(r.Data, "myClaims", "nodes").([]any)) != 2 {
		t.Fatalf("myClaims: %s", r.raw)
	}
	if r := clerk.do(`{ providerClaims { nodes { id } } }`, nil); len(dig(r.Data, "providerClaims", "nodes").([]any)) != 2 {
		t.Fatalf("providerClaims: %s", r.raw)
	}
	if r := adjuster.do(`{ claim(id: "nope") { id } }`, nil); len(r.Errors) != 0 || dig(r.Data, "claim") != nil {
		t.Fatalf("missing claim: %s", r.raw)
	}
}

// testClaimDocument: claim c-1's services are nowhere on the ledger or in
// the claim as GraphQL serves it; they are in its document, which the
// adjuster opens only under the patient's consent (a refusal names the
// consent), the patient opens without one, the clerk not at all, and
// every opening checks the document against the claim on the ledger.
func testClaimDocument(t *testing.T, n *testnode.Node, p *app.Portal, day string) {
	t.Helper()
	adjuster, clerk, ana := as(t, p, "acme/adjuster"), as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana")
	r := adjuster.do(claimDoc, map[string]any{"id": "c-1"})
	if len(r.Errors) != 0 || dig(r.Data, "claim", "document") != "c-1.doc" || strings.Contains(string(r.raw), "99213") || strings.Contains(string(r.raw), day) {
		t.Fatalf("the claim as served: %s", r.raw)
	}
	for h := uint64(1); ; h++ {
		b, err := n.Client.Block(context.Background(), h)
		if err != nil {
			break // past the head
		}
		for _, x := range b.Txs {
			if raw, _ := json.Marshal(x.Body.Call.Args); strings.Contains(string(raw), day) {
				t.Fatalf("block %d: a transaction carries the service date: %s", h, raw)
			}
		}
		for _, rc := range b.Receipts {
			for _, e := range rc.Events {
				for _, a := range e.Attrs {
					if strings.Contains(a.Value, "99213") || strings.Contains(a.Value, day) {
						t.Fatalf("block %d: event %s carries a service: %v", h, e.Type, e.Attrs)
					}
				}
			}
		}
	}

	// No consent: refused on the ledger, and the refusal names the consent.
	r = adjuster.do(openDocDoc, map[string]any{"c": "c-1", "consent": "ana-claims"})
	if r.code() != "FORBIDDEN" || !strings.Contains(string(r.raw), `consent \"ana-claims\"`) {
		t.Fatalf("opening without a consent: %s", r.raw)
	}
	ana.ok("grantConsent", `mutation($s: String!, $e: String!) { grantConsent(id: "ana-claims", grantee: "acme", purpose: "claims", categories: ["claim"], start: $s, end: $e, wait: true) { `+txFields+` } }`,
		map[string]any{"s": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "e": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	wantDoc := func(who *client, consent any) {
		t.Helper()
		r := who.do(openDocDoc, map[string]any{"c": "c-1", "consent": consent})
		d, _ := dig(r.Data, "openClaimDocument").(map[string]any)
		if len(r.Errors) != 0 || d == nil || d["verified"] != true || d["fingerprintsChecked"] != true || d["problem"] != nil || d["version"] != 1.0 {
			t.Fatalf("opening the document: %s", r.raw)
		}
		items := d["items"].([]any)
		if len(items) != 2 || dig(items[0], "serviceCode") != "99213" || dig(items[0], "date") != day || dig(items[1], "amount") != "50.00" ||
			!strings.Contains(d["fhir"].(string), `"resourceType": "Claim"`) {
			t.Fatalf("the document's items: %s", r.raw)
		}
	}
	wantDoc(adjuster, "ana-claims")
	wantDoc(ana, nil)
	// The clerk files claims but, by the policy's minimum necessary, reads
	// no records: the refusal is the ledger's and says who may.
	if r := clerk.do(openDocDoc, map[string]any{"c": "c-1"}); r.code() != "FORBIDDEN" || !strings.Contains(string(r.raw), "policy denies stmarys/clerk") {
		t.Fatalf("the clerk opening the document: %s", r.raw)
	}
	if r := as(t, p, "hope/officer").do(openDocDoc, map[string]any{"c": "c-1"}); r.code() != "FORBIDDEN" {
		t.Fatalf("a charity officer opening the document: %s", r.raw)
	}
	// Filing refuses what the ledger must not hold or cannot take.
	for _, bad := range []struct {
		items []map[string]any
		says  string
	}{
		{[]map[string]any{{"serviceCode": "office visit for the patient's diabetes, blood pressure and a review of her medicines", "date": day, "amount": 1}}, "longer than 64 characters"},
		{[]map[string]any{{"serviceCode": "99213\u0007", "date": day, "amount": 1}}, "not printable"},
		{[]map[string]any{{"serviceCode": "99213", "date": "2099-01-01", "amount": 1}}, "after today"},
		{[]map[string]any{{"serviceCode": "99213", "date": day, "amount": 0}}, "amount"},
	} {
		r := clerk.do(submitDoc, map[string]any{"id": "c-bad", "items": bad.items})
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(string(r.raw), bad.says) {
			t.Fatalf("filing %v: %s", bad.items, r.raw)
		}
	}
	if r := clerk.do(submitDoc, map[string]any{"id": "c-1", "items": []map[string]any{{"serviceCode": "99215", "date": day, "amount": 1}}}); r.code() != "CONFLICT" {
		t.Fatalf("filing under a taken id: %s", r.raw)
	}
	// The same services under another id: a duplicate, refused by the
	// ledger with nothing about the first claim.
	r = clerk.do(submitDoc, map[string]any{"id": "c-dup", "items": []map[string]any{{"serviceCode": "80053", "date": day, "amount": 1}}})
	if dig(r.Data, "submitClaim", "receipt", "status") != "FAILED" || !strings.Contains(string(r.raw), "a claim for these services was already filed") {
		t.Fatalf("a duplicate claim: %s", r.raw)
	}
	// The refused claim left no document in the patient's records: one
	// transaction registers the document and files the claim.
	var ids []string
	for _, n := range nodes(t, as(t, p, "stmarys/patient-ana").do(`{ patientRecords { nodes { id } } }`, nil), "patientRecords") {
		ids = append(ids, dig(n, "id").(string))
	}
	if slices.Contains(ids, "c-dup.doc") || !slices.Contains(ids, "c-1.doc") {
		t.Fatalf("the patient's records after a refused duplicate: %v", ids)
	}
}

// TestClaimsWithoutTheProvidersKey: a portal that does not hold St
// Mary's claims key (an insurer's) files no St Mary's claim and says why,
// and checks the documents its adjusters open by content only: verified
// with fingerprintsChecked false.
func TestClaimsWithoutTheProvidersKey(t *testing.T) {
	n := testnode.Start(t)
	hospital, _ := startPortalAt(t, n, t.TempDir())
	insurer, _ := runPortal(t, app.Config{Node: n.URL, Home: t.TempDir(), DevHome: n.Home, ClaimsKeys: t.TempDir()})

	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	items := []map[string]any{{"serviceCode": "99213", "date": day, "amount": 100}}
	if r := as(t, insurer, "stmarys/clerk").do(submitDoc, map[string]any{"id": "k-1", "items": items}); r.code() != "UNAVAILABLE" ||
		!strings.Contains(string(r.raw), "no claims fingerprint key of stmarys") {
		t.Fatalf("filing through a portal without the key: %s", r.raw)
	}
	as(t, hospital, "stmarys/clerk").ok("submitClaim", submitDoc, map[string]any{"id": "k-1", "items": items})
	ana := as(t, hospital, "stmarys/patient-ana")
	ana.ok("grantConsent", `mutation($s: String!, $e: String!) { grantConsent(id: "k-consent", grantee: "acme", purpose: "claims", categories: ["claim"], start: $s, end: $e, wait: true) { `+txFields+` } }`,
		map[string]any{"s": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "e": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	adjuster := as(t, insurer, "acme/adjuster")
	var d map[string]any
	for i := 0; i < 100 && d == nil; i++ { // until the insurer's portal has indexed the claim
		r := adjuster.do(openDocDoc, map[string]any{"c": "k-1", "consent": "k-consent"})
		if r.code() == "NOT_FOUND" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		d, _ = dig(r.Data, "openClaimDocument").(map[string]any)
		if d == nil {
			t.Fatalf("opening through the insurer's portal: %s", r.raw)
		}
	}
	if d == nil || d["verified"] != true || d["fingerprintsChecked"] != false || len(d["items"].([]any)) != 1 {
		t.Fatalf("the document through the insurer's portal: %v", d)
	}
}

// TestAdjudicateAfterReading: the insurer adjudicates a claim only after
// reading its itemised document. adjudicateClaim answers CONFLICT before
// signing anything while nobody at the insurer has (and the ledger refuses
// a blind adjudication sent past the portal); openClaimDocument finds the
// patient's consent by itself — and, when she gave none, says so without
// signing an access; the read shows as Claim.documentAccess; a read whose
// reader reported it undelivered is no read.
func TestAdjudicateAfterReading(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	clerk, adjuster, ana := as(t, p, "stmarys/clerk"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/patient-ana")
	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "c-r", "items": []map[string]any{{"serviceCode": "99213", "date": day, "amount": 10000}}})
	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": "c-r"})
	adj := map[string]any{"c": "c-r", "adj": []map[string]any{{"seq": 1, "approved": 10000}}}
	const accessDoc = `query { claim(id: "c-r") { documentAccess } }`
	blind := func(after string) {
		t.Helper()
		if r := adjuster.do(adjudicateDoc, adj); r.code() != "CONFLICT" || !strings.Contains(string(r.raw), "open the claim's document first (openClaimDocument)") {
			t.Fatalf("adjudicating after %s: %s", after, r.raw)
		}
		if r := adjuster.do(accessDoc, nil); len(r.Errors) != 0 || dig(r.Data, "claim", "documentAccess") != nil {
			t.Fatalf("documentAccess after %s: %s", after, r.raw)
		}
	}
	blind("no read")
	// Past the portal, the ledger refuses it too.
	res := n.Send(t, "acme/adjuster", "claim", "adjudicate", tx.String("claim_id", "c-r"), tx.Strings("adjudication", []string{"1:10000"}))
	if res.Receipt == nil || res.Receipt.OK() || !strings.Contains(res.Receipt.Error, "open the claim's document first") {
		t.Fatalf("a blind adjudication on the ledger: %+v", res)
	}

	// No consent: nothing is signed, and the answer says what is missing.
	if r := adjuster.do(openDocDoc, map[string]any{"c": "c-r"}); r.code() != "FORBIDDEN" ||
		!strings.Contains(string(r.raw), "no active consent of stmarys/patient-ana") {
		t.Fatalf("opening with no consent to find: %s", r.raw)
	}
	if r := as(t, p, "healthreg/auditor").do(accessLogDoc, map[string]any{"p": "stmarys/patient-ana"}); strings.Contains(string(r.raw), "c-r.doc") {
		t.Fatalf("an access was signed without a consent: %s", r.raw)
	}
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
	// A consent for another purpose, and one for claims: the portal picks
	// the one that covers the document for claims.
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "r-pay", "g": "acme", "p": "payment", "c": []string{"claim"}, "s": start, "e": end})
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "r-docs", "g": "acme", "p": "claims", "c": []string{"claim"}, "s": start, "e": end})
	open := func() string {
		t.Helper()
		r := adjuster.do(`mutation($c: ID!) { openClaimDocument(claim: $c) { accessTx consent verified items { serviceCode } } }`, map[string]any{"c": "c-r"})
		d, _ := dig(r.Data, "openClaimDocument").(map[string]any)
		if len(r.Errors) != 0 || d == nil || d["consent"] != "r-docs" || d["verified"] != true || dig(d["items"].([]any)[0], "serviceCode") != "99213" {
			t.Fatalf("opening the document: %s", r.raw)
		}
		return d["accessTx"].(string)
	}
	first := open()
	if r := adjuster.do(accessDoc, nil); dig(r.Data, "claim", "documentAccess") != first {
		t.Fatalf("documentAccess after the read %s: %s", first, r.raw)
	}
	// The reader reports that read undelivered: it no longer counts.
	sendApplied(t, n, p, "acme/adjuster", "record", "report_undelivered", tx.String("access", first), tx.String("reason", "custodian-unreachable"))
	blind("the read was reported undelivered")
	second := open()
	if r := adjuster.do(accessDoc, nil); dig(r.Data, "claim", "documentAccess") != second {
		t.Fatalf("documentAccess after the second read %s: %s", second, r.raw)
	}
	adjuster.ok("adjudicateClaim", adjudicateDoc, adj)
}
