package claim_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// newWorld is two hospitals (stmarys, city) and two insurers (acme, globe)
// on the default policy; parallel runs blocks on the Block-STM executor.
func newWorld(t *testing.T, parallel ...bool) *chaintest.Chain {
	t.Helper()
	return newWorldWith(t, chaintest.Options{Parallel: len(parallel) > 0 && parallel[0]})
}

// newWorldWith is newWorld with o's other options.
func newWorldWith(t *testing.T, o chaintest.Options) *chaintest.Chain {
	t.Helper()
	o.Orgs = chaintest.Orgs("stmarys", "city", "acme", "globe")
	o.Roles = map[string][]string{
		identityvocab.RoleRecordsClerk:   {"stmarys/clerk", "city/clerk"},
		identityvocab.RolePhysician:      {"stmarys/dr-lee", "city/dr-kim"},
		identityvocab.RolePatient:        {"stmarys/ana", "stmarys/bob"},
		identityvocab.RoleClaimsAdjuster: {"acme/adjuster", "acme/other", "globe/adjuster"},
	}
	return chaintest.New(t, o)
}

// registerRecord registers version 1 of a record as who (its hospital
// becomes the custodian).
func registerRecord(c *chaintest.Chain, who, id, patient string) {
	c.Must(who, record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, id),
		tx.Uint(recordvocab.ArgVersion, 1),
		tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed(id)),
		tx.String(claimvocab.ArgPatient, patient), tx.String(recordvocab.ArgCategory, "claim-support"))
}

// Two service lines of ana's visit on 30 October.
var anaItems = []string{"99213:2026-10-30:15000", "80053:2026-10-30:4200"}

// services parses items "CODE:YYYY-MM-DD:AMOUNT" into the services and
// amounts (kept as written, so that tests can pass bad ones).
func services(items []string) ([]claimdoc.Service, []string) {
	var sv []claimdoc.Service
	var amounts []string
	for _, it := range items {
		f := strings.SplitN(it, ":", 3)
		for len(f) < 3 {
			f = append(f, "")
		}
		sv = append(sv, claimdoc.Service{Code: f[0], Date: f[1]})
		amounts = append(amounts, f[2])
	}
	return sv, amounts
}

// submitArgs files items of patient at insurer, the way a hospital's
// portal does: it registers the claim's document (id + ".doc", a record
// of category "claim") as the provider's clerk unless it exists, and
// returns claim.submit's arguments with the fingerprints under the
// chain's claims key. more may name the provider (default stmarys).
func submitArgs(c *chaintest.Chain, id, patient, insurer string, items []string, more ...tx.Arg) []tx.Arg {
	provider := "stmarys"
	for _, a := range more {
		if a.Name == "provider" {
			if err := codec.State.Unmarshal(a.Value, &provider); err != nil {
				panic(err)
			}
		}
	}
	doc := claimdoc.RecordID(id)
	if _, err := record.LoadRecord(c.Reader(), doc); err != nil {
		c.Call(provider+"/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, doc),
			tx.Uint(recordvocab.ArgVersion, 1), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed(doc)),
			tx.String(claimvocab.ArgPatient, patient), tx.String(recordvocab.ArgCategory, record.CategoryClaim))
	}
	sv, amounts := services(items)
	k := chaintest.ClaimsKey(provider)
	fp := k.Fingerprint(provider, patient, sv)
	var keys []string
	for _, h := range k.ItemFingerprints(provider, patient, sv) {
		keys = append(keys, h.String())
	}
	return append([]tx.Arg{tx.String(claimvocab.ArgClaimID, id), tx.String(claimvocab.ArgPatient, patient),
		tx.String(claimvocab.ArgInsurer, insurer),
		tx.String(claimvocab.ArgCurrency, "USD"), tx.Strings(claimvocab.ArgAmounts, amounts),
		tx.String(claimvocab.ArgDocument, doc), tx.Uint(claimvocab.ArgDocumentVersion, 1),
		tx.String(claimvocab.ArgKeyID, k.ID()),
		tx.Bytes(claimvocab.ArgFingerprint, fp[:]), tx.Strings(claimvocab.ArgItemFingerprints, keys)}, more...)
}

func load(t *testing.T, c *chaintest.Chain, id string) *claim.Claim {
	t.Helper()
	return chaintest.Load(t, c, claim.LoadClaim, id)
}

func claimID(id string) tx.Arg { return tx.String(claimvocab.ArgClaimID, id) }

// linkedInReview registers ana's record rec-1 and has the St Mary's clerk
// file claim-1 of anaItems at acme linking it, which acme's adjuster
// takes into review; it returns the claim.
func linkedInReview(t *testing.T, c *chaintest.Chain) *claim.Claim {
	t.Helper()
	registerRecord(c, "stmarys/clerk", "rec-1", "stmarys/ana")
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems, tx.Strings(claimvocab.ArgRecords, []string{"rec-1"}))...)
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
	return load(t, c, "claim-1")
}

// readyToAdjudicate has submitter file claim id of patient's anaItems at
// acme, and acme's adjuster review it and read its document: the claim as
// it stands when it may be adjudicated.
func readyToAdjudicate(c *chaintest.Chain, submitter, id, patient string) {
	c.Must(submitter, claim.Name, claimvocab.MethodSubmit, submitArgs(c, id, patient, "acme", anaItems)...)
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID(id))
	c.ReadClaimDocument("acme/adjuster", id)
}

func adjudication(entries ...string) tx.Arg { return tx.Strings(claimvocab.ArgAdjudication, entries) }

func wantErr(t *testing.T, err, want error, says ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("%q does not say %q", err, s)
		}
	}
}

func wantEvent(t *testing.T, ev []ledger.Event, typ string, attrs ...string) {
	t.Helper()
	if len(ev) != 1 || ev[0].Type != typ || ev[0].Contract != claim.Name {
		t.Fatalf("events %v, want one %s", ev, typ)
	}
	for i := 0; i < len(attrs); i += 2 {
		if got := ev[0].Attr(attrs[i]); got != attrs[i+1] {
			t.Fatalf("%s: %s = %q, want %q (%v)", typ, attrs[i], got, attrs[i+1], ev[0].Attrs)
		}
	}
}

// TestLifecycle walks a claim through submit, review, a partial
// adjudication, an appeal, a second review and adjudication, and payment,
// checking state, events and the patient's share at each step.
func TestLifecycle(t *testing.T) {
	c := newWorld(t)
	registerRecord(c, "stmarys/clerk", "rec-1", "stmarys/ana")
	registerRecord(c, "stmarys/dr-lee", "rec-2", "stmarys/ana")

	args := submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems,
		tx.Strings(claimvocab.ArgRecords, []string{"rec-1", "rec-2"}))
	r := c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, args...)
	wantEvent(t, r.Events, "claim_submitted", "claim", "claim-1", "provider", "stmarys", "insurer", "acme", "patient", "stmarys/ana",
		"total", "19200", "currency", "USD", "items", "2", "records", "2", "by", "stmarys/clerk")
	if got := r.Events[0].Attr(claimvocab.AttrDocument); got != "claim-1.doc" {
		t.Fatalf("claim_submitted names document %q", got)
	}
	// No service code or date anywhere on the ledger: not in the state,
	// the events or the transaction's arguments.
	wantNoServices(t, c, r, args, anaItems)
	cl := load(t, c, "claim-1")
	want := []claim.Item{{Seq: 1, Amount: 15000}, {Seq: 2, Amount: 4200}}
	sv, _ := services(anaItems)
	k := chaintest.ClaimsKey("stmarys")
	if cl.Status != claimvocab.StatusSubmitted || cl.Provider != "stmarys" || cl.Insurer != "acme" || cl.Currency != "USD" ||
		!slices.Equal(cl.Items, want) || !slices.Equal(cl.LinkedRecords, []string{"rec-1", "rec-2"}) || cl.Document != "claim-1.doc" ||
		cl.KeyID != k.ID() || cl.Fingerprint != k.Fingerprint("stmarys", "stmarys/ana", sv) ||
		!slices.Equal(cl.ItemKeys, k.ItemFingerprints("stmarys", "stmarys/ana", sv)) || cl.Heights.Submitted != c.Height || cl.Claimed() != 19200 {
		t.Fatalf("submitted claim: %+v", cl)
	}
	if amt, cur := claim.PatientShare(cl); amt != 0 || cur != "USD" || cl.Settled() {
		t.Fatalf("share before adjudication: %d %s", amt, cur)
	}

	r = c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
	wantEvent(t, r.Events, "claim_in_review", "claim", "claim-1", "insurer", "acme", "appeals", "0", "by", "acme/adjuster")
	if cl := load(t, c, "claim-1"); cl.Status != claimvocab.StatusInReview || cl.Heights.Reviewed != c.Height {
		t.Fatalf("in review: %+v", cl)
	}

	// Nobody at acme has read the itemised claim yet: no adjudication.
	err := c.Call("acme/other", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("2:3000:contractual-adjustment", "1:15000")).Err
	wantErr(t, err, claim.ErrDocumentNotRead, "acme has not read", `"claim-1.doc"`)
	// One adjuster reads it; a colleague decides.
	read := c.ReadClaimDocument("acme/adjuster", "claim-1")

	// The visit is paid in full, the panel cut to the contracted rate.
	r = c.Must("acme/other", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("2:3000:contractual-adjustment", "1:15000"))
	wantEvent(t, r.Events, "claim_adjudicated", "outcome", claimvocab.OutcomePartial, "approved", "18000", "claimed",
		"19200",
		"patient_share", "1200", "currency", "USD", "denial_reason", "", "document_access", read.String())
	cl = load(t, c, "claim-1")
	wantAdj := []claim.Adjudication{{Seq: 1, Approved: 15000}, {Seq: 2, Approved: 3000, Reason: "contractual-adjustment"}}
	if cl.Status != claimvocab.StatusAdjudicated || cl.Outcome != claimvocab.OutcomePartial || !slices.Equal(cl.Adjudication, wantAdj) {
		t.Fatalf("adjudicated: %+v", cl)
	}
	if amt, cur := claim.PatientShare(cl); amt != 1200 || cur != "USD" {
		t.Fatalf("patient share: %d %s", amt, cur)
	}

	// The hospital appeals; the share is open again until the insurer
	// decides anew.
	r = c.Must("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, claimID("claim-1"),
		tx.String(claimvocab.ArgReason, "contract-rate-dispute"))
	wantEvent(t, r.Events, "claim_appealed", "reason", "contract-rate-dispute", "appeal", "1", "outcome",
		claimvocab.OutcomePartial, "by", "stmarys/clerk")
	cl = load(t, c, "claim-1")
	if cl.Status != claimvocab.StatusAppealed || cl.Appeals != 1 || cl.AppealReason != "contract-rate-dispute" || cl.Heights.Appealed != c.Height {
		t.Fatalf("appealed: %+v", cl)
	}
	if amt, _ := claim.PatientShare(cl); amt != 0 {
		t.Fatalf("share under appeal: %d", amt)
	}
	r = c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
	wantEvent(t, r.Events, "claim_in_review", "appeals", "1")
	// The filed document has not changed: the first read stands.
	r = c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("1:15000", "2:4200"))
	wantEvent(t, r.Events, "claim_adjudicated", "outcome", claimvocab.OutcomeApproved, "approved", "19200",
		"patient_share", "0",
		"document_access", read.String())

	r = c.Must("acme/adjuster", claim.Name, claimvocab.MethodPay, claimID("claim-1"),
		tx.String(claimvocab.ArgPaymentRef, "ACH-2026-11-0042"), tx.Uint(claimvocab.ArgAmount, 19200))
	wantEvent(t, r.Events, "claim_paid", "payment_ref", "ACH-2026-11-0042", "amount", "19200", "currency", "USD", "by", "acme/adjuster")
	cl = load(t, c, "claim-1")
	if cl.Status != claimvocab.StatusPaid || cl.PaidAmount != 19200 || cl.PaymentRef != "ACH-2026-11-0042" || cl.Heights.Paid != c.Height || !cl.Settled() {
		t.Fatalf("paid: %+v", cl)
	}
	if amt, _ := claim.PatientShare(cl); amt != 0 {
		t.Fatalf("share of a claim paid in full: %d", amt)
	}
}

// wantNoServices fails if a service code or date of items appears in the
// chain's state, in r's events or in r's transaction arguments.
func wantNoServices(t *testing.T, c *chaintest.Chain, r chaintest.Result, args []tx.Arg, items []string) {
	t.Helper()
	sv, _ := services(items)
	var leaks []string
	check := func(where, s string) {
		for _, x := range sv {
			if strings.Contains(s, x.Code) || strings.Contains(s, x.Date) {
				leaks = append(leaks, where)
			}
		}
	}
	_ = c.Scan("", func(k string, v []byte) bool { check("state "+k, k+string(v)); return true })
	for _, e := range r.Events {
		for _, a := range e.Attrs {
			check("event "+e.Type, a.Value)
		}
	}
	b, err := codec.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	check("transaction arguments", string(b))
	if len(leaks) > 0 {
		t.Fatalf("service codes or dates on the ledger: %v", leaks)
	}
}

// TestDeniedClaim: a denial needs a reason code; the whole claim is the
// patient's share; nothing is paid; the denial keeps the fingerprint and
// may be appealed.
func TestDeniedClaim(t *testing.T) {
	c := newWorld(t)
	readyToAdjudicate(c, "stmarys/dr-lee", "claim-1", "stmarys/ana")
	err := c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("1:0:not-covered", "2:0:not-covered")).Err
	wantErr(t, err, contracts.ErrInvalid, "denial_reason")
	r := c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("1:0:not-covered", "2:0:not-covered"),
		tx.String(claimvocab.ArgDenialReason, "patient-ineligible"))
	wantEvent(t, r.Events, "claim_adjudicated", "outcome", claimvocab.OutcomeDenied, "approved", "0", "patient_share",
		"19200", "denial_reason", "patient-ineligible")
	cl := load(t, c, "claim-1")
	if amt, cur := claim.PatientShare(cl); cl.DenialReason != "patient-ineligible" || amt != 19200 || cur != "USD" {
		t.Fatalf("denied: %+v, share %d %s", cl, amt, cur)
	}
	err = c.Call("acme/adjuster", claim.Name, claimvocab.MethodPay, claimID("claim-1"),
		tx.String(claimvocab.ArgPaymentRef, "x1"),
		tx.Uint(claimvocab.ArgAmount, 0)).Err
	wantErr(t, err, contracts.ErrConflict, "denied")
	err = c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-2", "stmarys/ana", "globe", anaItems)...).Err
	wantErr(t, err, contracts.ErrConflict, "already filed")
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, claimID("claim-1"),
		tx.String(claimvocab.ArgReason, "coverage-dispute"))
}

// TestUnauthorised: every method asks the policy with the claim's holder —
// the provider for submit, appeal and cancel, the insurer for review,
// adjudicate and pay — and a denial names the subject, the action, the
// object and the holder, and changes nothing.
func TestUnauthorised(t *testing.T) {
	c := newWorld(t)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-2", "stmarys/bob", "acme", anaItems)...)
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-2"))
	other := submitArgs(c, "claim-9", "stmarys/ana", "acme", []string{"99214:2026-10-31:9000"})
	cases := []struct {
		name, who, method string
		args              []tx.Arg
		org               string
	}{
		{"clerk of another hospital submits for stmarys", "city/clerk", "submit",
			append(slices.Clone(other), tx.String(claimvocab.ArgProvider, "stmarys")), "stmarys"},
		{"physician of another hospital submits for stmarys", "city/dr-kim", "submit",
			append(slices.Clone(other), tx.String(claimvocab.ArgProvider, "stmarys")), "stmarys"},
		{"adjuster submits", "acme/adjuster", "submit", other, "acme"},
		{"patient submits", "stmarys/ana", "submit", other, "stmarys"},
		{"adjuster of another insurer reviews", "globe/adjuster", "review", []tx.Arg{claimID("claim-1")}, "acme"},
		{"provider reviews", "stmarys/clerk", "review", []tx.Arg{claimID("claim-1")}, "acme"},
		{"adjuster of another insurer adjudicates", "globe/adjuster", "adjudicate", []tx.Arg{claimID("claim-2"), adjudication("1:15000", "2:4200")}, "acme"},
		{"provider adjudicates", "stmarys/clerk", "adjudicate", []tx.Arg{claimID("claim-2"), adjudication("1:15000", "2:4200")}, "acme"},
		{"patient adjudicates", "stmarys/bob", "adjudicate", []tx.Arg{claimID("claim-2"), adjudication("1:15000", "2:4200")}, "acme"},
		{"adjuster of another insurer pays", "globe/adjuster", "pay",
			[]tx.Arg{claimID("claim-2"), tx.String(claimvocab.ArgPaymentRef, "p1"), tx.Uint(claimvocab.ArgAmount, 1)},
			"acme"},
		{"physician appeals", "stmarys/dr-lee", "appeal",
			[]tx.Arg{claimID("claim-1"), tx.String(claimvocab.ArgReason, "coverage-dispute")}, "stmarys"},
		{"clerk of another hospital appeals", "city/clerk", "appeal",
			[]tx.Arg{claimID("claim-1"), tx.String(claimvocab.ArgReason, "coverage-dispute")}, "stmarys"},
		{"clerk of another hospital cancels", "city/clerk", "cancel", []tx.Arg{claimID("claim-1")}, "stmarys"},
		{"adjuster cancels", "acme/adjuster", "cancel", []tx.Arg{claimID("claim-1")}, "stmarys"},
		{"patient cancels", "stmarys/ana", "cancel", []tx.Arg{claimID("claim-1")}, "stmarys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := c.Call(tc.who, claim.Name, tc.method, tc.args...).Err
			chaintest.WantDenied(t, err, tc.who, tc.method, "claim", tc.org)
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("a refused call changed state")
			}
		})
	}
	// The patient's claim is named in the denial as theirs.
	err := c.Call("globe/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-2"),
		adjudication("1:15000", "2:4200")).Err
	if !strings.Contains(err.Error(), "belonging to stmarys/bob") {
		t.Fatalf("denial does not name the claim's patient: %v", err)
	}
	if err := c.Call("acme/adjuster", claim.Name, "settle", claimID("claim-1")).Err; !errors.Is(err, contracts.ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}
	if err := c.Call("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("no-such")).Err; !errors.Is(err,
		contracts.ErrNotFound) {
		t.Fatalf("unknown claim: %v", err)
	}
}

// Each step of the lifecycle; the transition matrix drives a claim to a
// status with them.
type step func(c *chaintest.Chain, id string) error

func stepReview(c *chaintest.Chain, id string) error {
	return c.Call("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID(id)).Err
}
func stepRead(c *chaintest.Chain, id string) error {
	c.ReadClaimDocument("acme/adjuster", id)
	return nil
}
func stepApprove(c *chaintest.Chain, id string) error {
	return c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID(id),
		adjudication("1:10000", "2:5000")).Err
}
func stepPartial(c *chaintest.Chain, id string) error {
	return c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID(id),
		adjudication("1:10000", "2:0:not-covered")).Err
}
func stepDeny(c *chaintest.Chain, id string) error {
	return c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID(id),
		adjudication("1:0:not-covered", "2:0:not-covered"),
		tx.String(claimvocab.ArgDenialReason, "not-covered")).Err
}
func stepPay(c *chaintest.Chain, id string) error {
	cl, err := claim.LoadClaim(c.Reader(), id)
	if err != nil {
		return err
	}
	amount := cl.Approved()
	if !cl.Settled() {
		amount = cl.Claimed() // no approval yet: ask for what was claimed
	}
	return c.Call("acme/adjuster", claim.Name, claimvocab.MethodPay, claimID(id),
		tx.String(claimvocab.ArgPaymentRef, "PAY-"+id),
		tx.Uint(claimvocab.ArgAmount, amount)).Err
}
func stepAppeal(c *chaintest.Chain, id string) error {
	return c.Call("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, claimID(id),
		tx.String(claimvocab.ArgReason, "documentation-added")).Err
}
func stepCancel(c *chaintest.Chain, id string) error {
	return c.Call("stmarys/clerk", claim.Name, claimvocab.MethodCancel, claimID(id)).Err
}

// TestTransitions runs every action against a claim in every status: the
// allowed transitions succeed, every other fails with ErrConflict saying
// the claim's status, and changes nothing.
func TestTransitions(t *testing.T) {
	c := newWorld(t)
	states := []struct {
		name    string
		path    []step
		allowed []string
	}{
		{"submitted", nil, []string{"review", "cancel"}},
		{"in_review", []step{stepReview, stepRead}, []string{"adjudicate", "cancel"}},
		{"approved", []step{stepReview, stepRead, stepApprove}, []string{"pay"}},
		{"partially_approved", []step{stepReview, stepRead, stepPartial}, []string{"pay", "appeal"}},
		{"denied", []step{stepReview, stepRead, stepDeny}, []string{"appeal"}},
		{"appealed", []step{stepReview, stepRead, stepDeny, stepAppeal}, []string{"review"}},
		// Back in review after an appeal: adjudicated once, so it can no
		// longer be cancelled (that would free its fingerprints); the
		// document read for the first round serves the second.
		{"appealed, back in review", []step{stepReview, stepRead, stepDeny, stepAppeal, stepReview}, []string{"adjudicate"}},
		{"paid", []step{stepReview, stepRead, stepApprove, stepPay}, nil},
		{"cancelled", []step{stepCancel}, nil},
	}
	actions := []struct {
		name string
		do   step
	}{{"review", stepReview}, {"adjudicate", stepApprove}, {"pay", stepPay}, {"appeal", stepAppeal}, {"cancel", stepCancel}}
	n := 0
	for _, s := range states {
		for _, a := range actions {
			t.Run(s.name+"/"+a.name, func(t *testing.T) {
				n++
				id := fmt.Sprintf("claim-%d", n)
				// Distinct services per claim, so that none is a duplicate.
				items := []string{fmt.Sprintf("A%04d:2026-10-01:10000", n), fmt.Sprintf("B%04d:2026-10-01:5000", n)}
				c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
					submitArgs(c, id, "stmarys/ana", "acme", items)...)
				for _, st := range s.path {
					if err := st(c, id); err != nil {
						t.Fatalf("setting up %s: %v", s.name, err)
					}
				}
				before := c.Snapshot()
				err := a.do(c, id)
				if slices.Contains(s.allowed, a.name) {
					if err != nil {
						t.Fatalf("%s of a %s claim: %v", a.name, s.name, err)
					}
					return
				}
				wantErr(t, err, contracts.ErrConflict, strconv.Quote(id))
				if !maps.Equal(c.Snapshot(), before) {
					t.Fatal("a refused transition changed state")
				}
			})
		}
	}
}

// TestAdjudicationValidation: each item once, never more than claimed,
// reduced amounts with a reason code, a denial with one.
func TestAdjudicationValidation(t *testing.T) {
	c := newWorld(t)
	readyToAdjudicate(c, "stmarys/clerk", "claim-1", "stmarys/ana")
	cases := []struct {
		name  string
		args  []tx.Arg
		want  error
		says  string
		items []string
	}{
		{"over-approval", []tx.Arg{adjudication("1:15001", "2:4200")}, contracts.ErrInvalid, "approved 15001 exceeds the 15000 claimed", nil},
		{"an item missing", []tx.Arg{adjudication("1:15000")}, contracts.ErrInvalid, "has 2 items", nil},
		{"an item twice", []tx.Arg{adjudication("1:15000", "1:15000")}, contracts.ErrInvalid, "item 1 is adjudicated twice", nil},
		{"no such item", []tx.Arg{adjudication("1:15000", "3:4200")}, contracts.ErrInvalid, "not an item", nil},
		{"item zero", []tx.Arg{adjudication("0:15000", "2:4200")}, contracts.ErrInvalid, "not an item", nil},
		{"negative amount", []tx.Arg{adjudication("1:-1:not-covered", "2:4200")}, contracts.ErrInvalid, "whole number", nil},
		{"reduced without reason", []tx.Arg{adjudication("1:15000", "2:4000")}, contracts.ErrInvalid, "give a reason code", nil},
		{"full with reason", []tx.Arg{adjudication("1:15000:not-covered", "2:4200")}, contracts.ErrInvalid, "approved in full", nil},
		{"free-text reason", []tx.Arg{adjudication("1:15000", "2:0:patient has diabetes")}, contracts.ErrInvalid, "one of not-covered", nil},
		{"malformed entry", []tx.Arg{adjudication("1=15000", "2:4200")}, contracts.ErrInvalid, "SEQ:APPROVED", nil},
		{"denied without reason", []tx.Arg{adjudication("1:0:not-covered", "2:0:not-covered")}, contracts.ErrInvalid, "give a denial_reason", nil},
		{"denied with free text",
			[]tx.Arg{adjudication("1:0:not-covered", "2:0:not-covered"),
				tx.String(claimvocab.ArgDenialReason, "HIV status")}, contracts.ErrInvalid, "denial_reason", nil},
		{"denial reason on a partial approval",
			[]tx.Arg{adjudication("1:15000", "2:0:not-covered"),
				tx.String(claimvocab.ArgDenialReason, "not-covered")}, contracts.ErrInvalid, "only for a denied claim", nil},
		{"no adjudication", nil, contracts.ErrInvalid, "adjudication", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate,
				append([]tx.Arg{claimID("claim-1")}, tc.args...)...).Err
			wantErr(t, err, tc.want, tc.says)
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("state changed")
			}
		})
	}
}

// TestPayValidation: no payment without an approval, and exactly the
// approved total, under a reference.
func TestPayValidation(t *testing.T) {
	c := newWorld(t)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...)
	pay := func(ref string, amount uint64) error {
		return c.Call("acme/adjuster", claim.Name, claimvocab.MethodPay, claimID("claim-1"),
			tx.String(claimvocab.ArgPaymentRef, ref), tx.Uint(claimvocab.ArgAmount, amount)).Err
	}
	wantErr(t, pay("P1", 19200), contracts.ErrConflict, "is submitted", "only an adjudicated")
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
	wantErr(t, pay("P1", 19200), contracts.ErrConflict, "is in_review")
	c.ReadClaimDocument("acme/adjuster", "claim-1")
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
		adjudication("1:15000", "2:0:not-medically-necessary"))
	wantErr(t, pay("P1", 19200), contracts.ErrInvalid, "approved total 150.00 USD")
	wantErr(t, pay("P1", 14999), contracts.ErrInvalid, "approved total 150.00")
	wantErr(t, pay("", 15000), contracts.ErrInvalid, "payment_ref")
	wantErr(t, pay("ref with spaces", 15000), contracts.ErrInvalid, "payment_ref")
	wantErr(t, pay(strings.Repeat("x", claim.MaxPaymentRefLen+1), 15000), contracts.ErrInvalid, "payment_ref")
	if err := pay("SEPA/2026/11/7", 15000); err != nil {
		t.Fatal(err)
	}
	if amt, _ := claim.PatientShare(load(t, c, "claim-1")); amt != 4200 {
		t.Fatalf("patient share of a partly paid claim: %d", amt)
	}
	wantErr(t, pay("SEPA/2026/11/8", 15000), contracts.ErrConflict, "is paid")
}

// TestAppealValidation: a coded reason, nothing to appeal on a full
// approval, at most MaxAppeals rounds.
func TestAppealValidation(t *testing.T) {
	c := newWorld(t)
	readyToAdjudicate(c, "stmarys/clerk", "claim-1", "stmarys/ana")
	deny := func() {
		t.Helper()
		c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
			adjudication("1:0:missing-documentation", "2:0:missing-documentation"),
			tx.String(claimvocab.ArgDenialReason, "missing-documentation"))
	}
	deny()
	appeal := func(reason string) error {
		return c.Call("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, claimID("claim-1"),
			tx.String(claimvocab.ArgReason, reason)).Err
	}
	wantErr(t, appeal("the doctor says it was needed"), contracts.ErrInvalid, "one of coding-corrected")
	for i := 0; i < claim.MaxAppeals; i++ {
		if err := appeal("documentation-added"); err != nil {
			t.Fatalf("appeal %d: %v", i+1, err)
		}
		c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
		deny()
	}
	wantErr(t, appeal("documentation-added"), contracts.ErrConflict, fmt.Sprintf("appealed %d times", claim.MaxAppeals))

	readyToAdjudicate(c, "stmarys/clerk", "claim-2", "stmarys/bob")
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-2"),
		adjudication("1:15000", "2:4200"))
	err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, claimID("claim-2"),
		tx.String(claimvocab.ArgReason, "coverage-dispute")).Err
	wantErr(t, err, contracts.ErrConflict, "approved in full")
}

// TestDuplicateClaims: the same services of the same patient at the same
// provider are claimed once, at any insurer, in any order, for any
// amounts — and the refusal says nothing about the other claim.
func TestDuplicateClaims(t *testing.T) {
	c := newWorld(t)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...)
	cases := []struct {
		name, who string
		args      []tx.Arg
	}{
		{"same services at another insurer", "stmarys/dr-lee", submitArgs(c, "claim-2", "stmarys/ana", "globe", anaItems)},
		{"same services at the same insurer", "stmarys/clerk", submitArgs(c, "claim-2", "stmarys/ana", "acme", anaItems)},
		{"reordered, other amounts", "stmarys/clerk", submitArgs(c, "claim-2", "stmarys/ana", "globe", []string{"80053:2026-10-30:99", "99213:2026-10-30:1"})},
		{"one of the services again", "stmarys/clerk", submitArgs(c, "claim-2", "stmarys/ana", "globe", []string{"99213:2026-10-30:15000"})},
		{"one service again among new ones", "stmarys/clerk", submitArgs(c, "claim-2", "stmarys/ana", "globe", []string{"85025:2026-10-30:900", "80053:2026-10-30:4200"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := c.Call(tc.who, claim.Name, claimvocab.MethodSubmit, tc.args...).Err
			wantErr(t, err, contracts.ErrConflict, "a claim for these services was already filed")
			for _, secret := range []string{"claim-1", "acme", "stmarys/clerk"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the refusal reveals %q: %v", secret, err)
				}
			}
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("state changed")
			}
		})
	}
	// Other services, another patient, another provider, another site
	// (modifier RT after LT): not duplicates. A modifier that names no
	// site (76, repeat procedure) does not make a service claimable again
	// (claimdoc, decision 0019): a repeat is a second line of one claim.
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-3", "stmarys/ana", "globe", []string{"99213:2026-10-31:15000"})...)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-4", "stmarys/bob", "globe", anaItems)...)
	c.Must("city/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-5", "stmarys/ana", "globe", anaItems, tx.String(claimvocab.ArgProvider, "city"))...)
	err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-6", "stmarys/ana", "globe", []string{"99213-76:2026-10-30:15000"})...).Err
	wantErr(t, err, contracts.ErrConflict, "already filed")
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-6", "stmarys/ana", "globe", []string{"73560-LT:2026-10-30:9000"})...)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-9", "stmarys/ana", "globe", []string{"73560-RT:2026-10-30:9000"})...)
	// Within one claim, two units of a service are two lines.
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-7", "stmarys/bob", "acme", []string{"97110:2026-10-29:3000", "97110:2026-10-29:3000"})...)
	err = c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-8", "stmarys/bob", "globe", []string{"97110:2026-10-29:3000"})...).Err
	wantErr(t, err, contracts.ErrConflict, "already filed")
	// Reusing a claim id is a conflict of its own.
	err = c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/bob", "acme", []string{"99999:2026-10-30:1"})...).Err
	wantErr(t, err, contracts.ErrConflict, `claim "claim-1"`)
}

// TestCancelFreesFingerprint: a cancelled claim releases its services; a
// denied one keeps them.
func TestCancelFreesFingerprint(t *testing.T) {
	c := newWorld(t)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...)
	fp := load(t, c, "claim-1").Fingerprint
	fpKey := claim.Name + "/fp/" + fp.String()
	if v, ok := c.Reader().Get(fpKey); !ok || string(v) != "claim-1" {
		t.Fatalf("fingerprint key %s = %q %v", fpKey, v, ok)
	}
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
	r := c.Must("stmarys/clerk", claim.Name, claimvocab.MethodCancel, claimID("claim-1"))
	wantEvent(t, r.Events, "claim_cancelled", "claim", "claim-1", "provider", "stmarys", "insurer", "acme", "by", "stmarys/clerk")
	if cl := load(t, c, "claim-1"); cl.Status != claimvocab.StatusCancelled || cl.Heights.Cancelled != c.Height {
		t.Fatalf("cancelled: %+v", cl)
	}
	if _, ok := c.Reader().Get(fpKey); ok {
		t.Fatal("cancel kept the fingerprint")
	}
	_ = c.Scan(claim.Name+"/fi/", func(k string, _ []byte) bool { t.Fatalf("cancel kept item key %s", k); return false })

	// Filed again, at the other insurer, under a new id.
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-2", "stmarys/ana", "globe", anaItems)...)
	if v, _ := c.Reader().Get(fpKey); string(v) != "claim-2" {
		t.Fatalf("fingerprint now names %q", v)
	}
	if load(t, c, "claim-2").Fingerprint != fp {
		t.Fatal("the fingerprint depends on more than provider, patient and services")
	}
	c.Must("globe/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-2"))
	c.ReadClaimDocument("globe/adjuster", "claim-2")
	c.Must("globe/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-2"),
		adjudication("1:0:not-covered", "2:0:not-covered"), tx.String(claimvocab.ArgDenialReason, "not-covered"))
	err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodCancel, claimID("claim-2")).Err
	wantErr(t, err, contracts.ErrConflict, "never adjudicated")
	err = c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-3", "stmarys/ana", "acme", anaItems)...).Err
	wantErr(t, err, contracts.ErrConflict, "already filed")

	// The standing claim's document is kept; the cancelled claim's may go.
	err = c.Call("stmarys/ana", record.Name, recordvocab.MethodErase,
		tx.String(recordvocab.ArgRecordID, "claim-2.doc")).Err
	wantErr(t, err, contracts.ErrConflict, "kept while the claim stands")
	c.Must("stmarys/ana", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "claim-1.doc"))
}

// TestSubmitValidation: amounts, currency, limits, the document, the
// fingerprints and their key, the parties and linked records are checked,
// with clear errors and no state change. (Service codes and dates never
// reach the ledger: claimdoc validates them.)
func TestSubmitValidation(t *testing.T) {
	c := newWorld(t)
	registerRecord(c, "stmarys/clerk", "rec-ana", "stmarys/ana")
	registerRecord(c, "stmarys/clerk", "rec-bob", "stmarys/bob")
	registerRecord(c, "city/clerk", "rec-city", "stmarys/ana")
	registerRecord(c, "stmarys/clerk", "rec-gone", "stmarys/ana")
	c.Must("stmarys/ana", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "rec-gone"))
	c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "doc-gone"),
		tx.Uint(recordvocab.ArgVersion, 1), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("doc-gone")),
		tx.String(claimvocab.ArgPatient, "stmarys/ana"), tx.String(recordvocab.ArgCategory, record.CategoryClaim))
	c.Must("stmarys/ana", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "doc-gone"))
	c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "doc-ana2"),
		tx.Uint(recordvocab.ArgVersion, 1), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("doc-ana2")),
		tx.String(claimvocab.ArgPatient, "stmarys/ana"), tx.String(recordvocab.ArgCategory, record.CategoryClaim))
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "taken", "stmarys/bob", "acme", []string{"99201:2026-10-01:100"})...)

	base := submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)
	// with replaces (or, if absent, adds) arguments of base.
	with := func(args ...tx.Arg) []tx.Arg {
		out := slices.Clone(base)
		for _, a := range args {
			if i := slices.IndexFunc(out, func(b tx.Arg) bool { return b.Name == a.Name }); i >= 0 {
				out[i] = a
			} else {
				out = append(out, a)
			}
		}
		return out
	}
	without := func(name string) []tx.Arg {
		return slices.DeleteFunc(slices.Clone(base), func(a tx.Arg) bool { return a.Name == name })
	}
	many := func(n int, f string) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf(f, i))
		}
		return l
	}
	records := func(ids ...string) []tx.Arg { return with(tx.Strings(claimvocab.ArgRecords, ids)) }
	amounts := func(a ...string) []tx.Arg { return with(tx.Strings(claimvocab.ArgAmounts, a)) }
	fps := base[slices.IndexFunc(base, func(a tx.Arg) bool { return a.Name == "item_fingerprints" })]
	var keys []string
	if err := codec.State.Unmarshal(fps.Value, &keys); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []tx.Arg
		want error
		says string
	}{
		{"lower-case currency", with(tx.String(claimvocab.ArgCurrency, "usd")), contracts.ErrInvalid, "ISO 4217"},
		{"two-letter currency", with(tx.String(claimvocab.ArgCurrency, "US")), contracts.ErrInvalid, "ISO 4217"},
		{"symbol for currency", with(tx.String(claimvocab.ArgCurrency, "€")), contracts.ErrInvalid, "ISO 4217"},
		{"zero amount", amounts("15000", "0"), contracts.ErrInvalid, "item 2: amount"},
		{"decimal amount", amounts("150.00", "4200"), contracts.ErrInvalid, "minor units"},
		{"leading zero", amounts("0150", "4200"), contracts.ErrInvalid, "minor units"},
		{"negative amount", amounts("-1", "4200"), contracts.ErrInvalid, "minor units"},
		{"huge amount", amounts(fmt.Sprint(uint64(claim.MaxItemAmount)+1), "4200"), contracts.ErrInvalid, "minor units"},
		{"a service in the amounts", amounts("99213:2026-10-30:15000", "4200"), contracts.ErrInvalid, "minor units"},
		{"no items", amounts(), contracts.ErrInvalid, "1 to 50 items"},
		{"too many items", amounts(many(claim.MaxItems+1, "1%d")...), contracts.ErrInvalid, "1 to 50 items"},
		{"amounts not a list", with(tx.String(claimvocab.ArgAmounts, "15000")), contracts.ErrInvalid, "amounts"},
		{"old-style items", append(without("amounts"), tx.Strings("items", anaItems)), contracts.ErrInvalid, "amounts"},
		{"an item fingerprint missing", with(tx.Strings(claimvocab.ArgItemFingerprints, keys[:1])),
			contracts.ErrInvalid, "give one per item"},
		{"an item fingerprint twice", with(tx.Strings(claimvocab.ArgItemFingerprints, []string{keys[0], keys[0]})),
			contracts.ErrInvalid, "same fingerprint"},
		{"item fingerprint not hex",
			with(tx.Strings(claimvocab.ArgItemFingerprints, []string{keys[0], "99213:2026-10-30"})),
			contracts.ErrInvalid, "item fingerprint 2"},
		{"upper-case item fingerprint",
			with(tx.Strings(claimvocab.ArgItemFingerprints, []string{keys[0], strings.ToUpper(keys[1])})),
			contracts.ErrInvalid, "lower-case hex"},
		{"short fingerprint", with(tx.Bytes(claimvocab.ArgFingerprint, chaintest.Seed("x")[:16])), contracts.ErrInvalid,
			"fingerprint must be 32 bytes"},
		{"no fingerprint", without("fingerprint"), contracts.ErrInvalid, "fingerprint"},
		{"another key", with(tx.String(claimvocab.ArgKeyID, strings.Repeat("ab", 16))), contracts.ErrInvalid,
			"not stmarys's claims fingerprint key " + chaintest.ClaimsKey("stmarys").ID()},
		{"no key id", without("key_id"), contracts.ErrInvalid, "key_id"},
		{"no document", without("document"), contracts.ErrInvalid, "document"},
		{"no document version", without("document_version"), contracts.ErrInvalid, "document_version"},
		{"another document version", with(tx.Uint(claimvocab.ArgDocumentVersion, 2)), contracts.ErrConflict,
			"is at version 1, not 2"},
		{"unknown document", with(tx.String(claimvocab.ArgDocument, "nope.doc")), contracts.ErrNotFound, "nope.doc"},
		{"document not a claim", with(tx.String(claimvocab.ArgDocument, "rec-ana")), contracts.ErrInvalid, `"rec-ana" is a "claim-support" record`},
		{"document of another patient", with(tx.String(claimvocab.ArgDocument, "taken.doc")), contracts.ErrInvalid, `"taken.doc" is not a record of patient stmarys/ana`},
		{"document of another hospital", with(tx.String(claimvocab.ArgDocument, "rec-city")), contracts.ErrInvalid, `"rec-city" is not held by stmarys`},
		{"erased document", with(tx.String(claimvocab.ArgDocument, "doc-gone")), contracts.ErrInvalid, "erased"},
		{"document also linked", records("claim-1.doc"), contracts.ErrInvalid, "linked twice"},
		{"too many records", records(many(claim.MaxLinkedRecords+1, "rec-%d")...), contracts.ErrInvalid, "at most 20 records"},
		{"record of another patient", records("rec-ana", "rec-bob"), contracts.ErrInvalid, `"rec-bob" is not a record of patient stmarys/ana`},
		{"record of another hospital", records("rec-city"), contracts.ErrInvalid, `"rec-city" is not held by stmarys`},
		{"erased record", records("rec-gone"), contracts.ErrInvalid, "erased"},
		{"unknown record", records("rec-none"), contracts.ErrNotFound, "rec-none"},
		{"record linked twice", records("rec-ana", "rec-ana"), contracts.ErrInvalid, "linked twice"},
		{"a claim document linked", records("doc-ana2"), contracts.ErrInvalid, "is a claim document"},
		{"patient not a patient", with(tx.String(claimvocab.ArgPatient, "acme/adjuster")), contracts.ErrInvalid,
			"not a patient member"},
		{"unknown patient", with(tx.String(claimvocab.ArgPatient, "stmarys/nobody")), contracts.ErrInvalid,
			"not a patient member"},
		{"insurer is a hospital", with(tx.String(claimvocab.ArgInsurer, "city")), contracts.ErrInvalid,
			"not an insurer"},
		{"unknown insurer", with(tx.String(claimvocab.ArgInsurer, "nope")), contracts.ErrInvalid, "not an organisation"},
		{"bad claim id", with(claimID("Claim 1")), contracts.ErrInvalid, "id"},
		{"claim id taken", with(claimID("taken")), contracts.ErrConflict, `claim "taken"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, tc.args...).Err
			wantErr(t, err, tc.want, tc.says)
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("state changed")
			}
		})
	}
	// A document supports one claim.
	args := submitArgs(c, "claim-2", "stmarys/bob", "acme", []string{"99999:2026-10-30:1"})
	args[slices.IndexFunc(args,
		func(a tx.Arg) bool { return a.Name == "document" })] = tx.String(claimvocab.ArgDocument, "taken.doc")
	err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, args...).Err
	wantErr(t, err, contracts.ErrConflict, `"taken.doc" is already the document of another claim`)
	// The limits themselves are accepted.
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-max", "stmarys/ana", "acme", many(claim.MaxItems, "A%04d:2026-11-01:1000000000000"),
			tx.Strings(claimvocab.ArgRecords, []string{"rec-ana"}))...)
	if cl := load(t, c, "claim-max"); len(cl.Items) != claim.MaxItems || cl.Claimed() != claim.MaxItems*claim.MaxItemAmount {
		t.Fatalf("claim at the limits: %d items, %d", len(cl.Items), cl.Claimed())
	}
}

// TestNoClaimsKey: a consortium without a claims fingerprint key files no
// claim, and says why.
func TestNoClaimsKey(t *testing.T) {
	c := newWorldWith(t, chaintest.Options{NoClaimsKey: true})
	err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
		submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...).Err
	wantErr(t, err, contracts.ErrConflict, "stmarys has no claims fingerprint key registered")
}

// TestAdjusterReadsLinkedRecordOnlyUnderConsent: a linked record is read
// through record.access naming the patient's consent for "claims";
// without one the access is refused on the ledger, naming the missing
// consent or the policy's need for one.
func TestAdjusterReadsLinkedRecordOnlyUnderConsent(t *testing.T) {
	c := newWorld(t)
	cl := linkedInReview(t, c)

	access := func(who, consentID string) (*record.Access, ledger.Event) {
		t.Helper()
		args, err := claim.AccessArgs(cl, "rec-1", consentID)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Must(who, record.Name, recordvocab.MethodAccess, args...)
		a, err := record.LoadAccess(c.Reader(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a, r.Events[0]
	}
	// No consent yet: refused, and the refusal names the consent relied on.
	a, ev := access("acme/adjuster", "c-claims")
	if a.Granted || ev.Type != "access_refused" || ev.Attr("consent") != "c-claims" || ev.Attr("purpose") != claim.Purpose ||
		!strings.Contains(ev.Attr(claimvocab.AttrReason), `consent "c-claims"`) || !strings.Contains(ev.Attr(claimvocab.AttrReason), "not found") ||
		!strings.Contains(ev.Attr(claimvocab.AttrReason), `policy denies acme/adjuster`) {
		t.Fatalf("access without consent: %+v %v", a, ev)
	}
	// Naming no consent at all: the policy allows an adjuster a record only
	// under the owner's consent, and says so.
	r := c.Must("acme/adjuster", record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.String(recordvocab.ArgPurpose, claim.Purpose))
	if ev := r.Events[0]; ev.Type != "access_refused" || !strings.Contains(ev.Attr(claimvocab.AttrReason),
		"under the owner's active consent") {
		t.Fatalf("access naming no consent: %v", r.Events)
	}
	if _, err := claim.AccessArgs(cl, "rec-1", ""); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("access args without a consent: %v", err)
	}
	if _, err := claim.AccessArgs(cl, "rec-2", "c-claims"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("access args for an unlinked record: %v", err)
	}

	// Ana consents to her insurer reading the record for claims, 30 days.
	c.Must("stmarys/ana", consent.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, "c-claims"),
		tx.String(consentvocab.ArgGrantee, "acme"),
		tx.String(consentvocab.ArgPurpose, claim.Purpose), tx.Strings(claimvocab.ArgRecords, []string{"rec-1"}),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()), tx.Int(consentvocab.ArgEnd, c.Now.Add(30*24*time.Hour).Unix()))
	a, ev = access("acme/adjuster", "c-claims")
	if !a.Granted || ev.Type != "access_granted" || ev.Attr("reader") != "acme/adjuster" {
		t.Fatalf("consented access: %+v %v", a, ev)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "acme/adjuster", c.Now); err != nil {
		t.Fatalf("granted access not servable: %v", err)
	}
	// The consent is the insurer's, not every insurer's.
	a, ev = access("globe/adjuster", "c-claims")
	if a.Granted || ev.Type != "access_refused" || !strings.Contains(a.Refusal, `granted to "acme"`) {
		t.Fatalf("another insurer under acme's consent: %+v", a)
	}

	// The itemised claim is a record like the others: a consent that
	// covers rec-1 does not cover it; one for the "claim" category does.
	readDoc := func(consentID string) *record.Access {
		t.Helper()
		args, err := claim.AccessArgs(cl, cl.Document, consentID)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Must("acme/adjuster", record.Name, recordvocab.MethodAccess, args...)
		a, err := record.LoadAccess(c.Reader(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := readDoc("c-claims"); a.Granted {
		t.Fatalf("the document was read under a consent that does not cover it: %+v", a)
	}
	c.GrantClaimDocuments("stmarys/ana", "c-claim-docs", "acme")
	if a := readDoc("c-claim-docs"); !a.Granted || a.Record != "claim-1.doc" {
		t.Fatalf("the document under a consent for claims documents: %+v", a)
	}
	// A consent to another insurer for the same category does not open
	// acme's claim's document, and break-glass opens no claim document.
	c.GrantClaimDocuments("stmarys/ana", "c-globe-docs", "globe")
	args, _ := claim.AccessArgs(cl, cl.Document, "c-globe-docs")
	r = c.Must("globe/adjuster", record.Name, recordvocab.MethodAccess, args...)
	if a, _ := record.LoadAccess(c.Reader(), r.ID); a.Granted || !strings.Contains(a.Refusal, "only the claim's insurer") {
		t.Fatalf("another insurer reading the document under its own consent: %+v", a)
	}
	r = c.Must("stmarys/dr-lee", record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, cl.Document),
		tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.String(recordvocab.ArgBreakGlass, "unconscious-patient"))
	if a, _ := record.LoadAccess(c.Reader(), r.ID); a.Granted || !strings.Contains(a.Refusal, "break-glass does not open it") {
		t.Fatalf("break-glass on a claim document: %+v", a)
	}
}

// TestAdjudicateAfterReading: claim.adjudicate needs a member of the
// claim's insurer to hold an access to the claim's document at its filed
// version, granted under a consent for purpose "claims" and not reported
// by its reader as undelivered. The patient's own read, a refused access,
// a read of a linked record, of another version or for another purpose
// do not count; a report of the read that counts takes it back, and a
// later read's report does not undo an earlier one. On both executors.
func TestAdjudicateAfterReading(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			c := newWorld(t, parallel)
			cl := linkedInReview(t, c)
			adjudicate := func() chaintest.Result {
				return c.Call("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
					adjudication("1:15000", "2:4200"))
			}
			blind := func(after string) {
				t.Helper()
				before := c.Snapshot()
				err := adjudicate().Err
				if !errors.Is(err, contracts.ErrConflict) {
					t.Fatalf("after %s: %v, want a conflict", after, err)
				}
				wantErr(t, err, claim.ErrDocumentNotRead, "open the claim's document first (openClaimDocument)",
					`acme has not read the document of claim "claim-1" (record "claim-1.doc", version 1)`)
				if !maps.Equal(c.Snapshot(), before) {
					t.Fatalf("after %s: a refused adjudication changed state", after)
				}
			}
			access := func(who, rec, purpose string, more ...tx.Arg) *record.Access {
				t.Helper()
				r := c.Must(who, record.Name, recordvocab.MethodAccess,
					append([]tx.Arg{tx.String(recordvocab.ArgRecordID, rec),
						tx.String(recordvocab.ArgPurpose, purpose)}, more...)...)
				a, err := record.LoadAccess(c.Reader(), r.ID)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			read := func(who, rec, consentID, purpose string, version uint64) tx.ID {
				t.Helper()
				a := access(who, rec, purpose, tx.String(recordvocab.ArgConsentID, consentID),
					tx.Uint(recordvocab.ArgVersion, version))
				if !a.Granted {
					t.Fatalf("%s reading %s v%d under %s: refused: %s", who, rec, version, consentID, a.Refusal)
				}
				return a.TxID
			}
			report := func(who string, access tx.ID) {
				t.Helper()
				c.Must(who, record.Name, "report_undelivered", tx.String(recordvocab.ArgAccess, access.String()),
					tx.String(recordvocab.ArgReason, "custodian-unreachable"))
			}
			mark := func() string {
				v, _ := c.Reader().Get(claim.DocumentReadStateKey(cl))
				return string(v)
			}
			grant := func(id, purpose string, scope tx.Arg) {
				t.Helper()
				c.Must("stmarys/ana", consent.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, id),
					tx.String(consentvocab.ArgGrantee, "acme"), tx.String(consentvocab.ArgPurpose, purpose),
					scope, tx.Int(consentvocab.ArgStart, c.Now.Unix()),
					tx.Int(consentvocab.ArgEnd, c.Now.Add(30*24*time.Hour).Unix()))
			}

			blind("nothing was read")
			if a := access("stmarys/ana", cl.Document, claim.Purpose); !a.Granted {
				t.Fatalf("the patient reading her own claim document: %s", a.Refusal)
			}
			blind("the patient read it")
			if a := access("acme/adjuster", cl.Document, claim.Purpose, tx.String(consentvocab.ArgConsentID, "docs"),
				tx.Uint("version", 1)); a.Granted {
				t.Fatal("read without a consent")
			}
			blind("a refused access")
			grant("docs", claim.Purpose, tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}))
			grant("linked", claim.Purpose, tx.Strings(claimvocab.ArgRecords, []string{"rec-1"}))
			grant("billing", "payment", tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}))
			read("acme/adjuster", "rec-1", "linked", claim.Purpose, 1)
			blind("a read of a linked record")
			read("acme/adjuster", cl.Document, "billing", "payment", 1)
			blind("a read for purpose payment")
			// A version registered after filing is not the one filed.
			c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister,
				tx.String(recordvocab.ArgRecordID, cl.Document),
				tx.Uint(recordvocab.ArgVersion, 2), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("v2")))
			read("acme/adjuster", cl.Document, "docs", claim.Purpose, 2)
			blind("a read of version 2")

			// The filed version under the consent for claims counts; the
			// first such read is the one marked.
			first := read("acme/other", cl.Document, "docs", claim.Purpose, 1)
			second := read("acme/adjuster", cl.Document, "docs", claim.Purpose, 1)
			if mark() != first.String() {
				t.Fatalf("marked %q, want the first read %s", mark(), first)
			}
			report("acme/adjuster", second)
			if mark() != first.String() {
				t.Fatalf("a later read's report unmarked the first: %q", mark())
			}
			report("acme/other", first)
			if mark() != "" {
				t.Fatalf("a read reported undelivered is still marked: %q", mark())
			}
			blind("the read was reported undelivered")
			third := read("acme/adjuster", cl.Document, "docs", claim.Purpose, 1)
			r := adjudicate()
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			wantEvent(t, r.Events, "claim_adjudicated", "outcome", claimvocab.OutcomeApproved, "document_access",
				third.String())
		})
	}
}

// TestReadAndAdjudicateInOneBlock: in one block, an adjudication before
// the document's read is refused and one after it succeeds — the same on
// the serial and the Block-STM executor, down to the state.
func TestReadAndAdjudicateInOneBlock(t *testing.T) {
	states := map[bool]map[string]string{}
	for _, parallel := range []bool{false, true} {
		c := newWorld(t, parallel)
		c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
			submitArgs(c, "claim-1", "stmarys/ana", "acme", anaItems)...)
		c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, claimID("claim-1"))
		c.Must("stmarys/ana", consent.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, "docs"),
			tx.String(consentvocab.ArgGrantee, "acme"), tx.String(consentvocab.ArgPurpose, claim.Purpose),
			tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}),
			tx.Int(consentvocab.ArgStart, c.Now.Unix()), tx.Int(consentvocab.ArgEnd, c.Now.Add(24*time.Hour).Unix()))
		args, err := claim.AccessArgs(load(t, c, "claim-1"), "claim-1.doc", "docs")
		if err != nil {
			t.Fatal(err)
		}
		adj := func() *tx.Signed {
			return c.Sign("acme/other", claim.Name, claimvocab.MethodAdjudicate, claimID("claim-1"),
				adjudication("1:15000", "2:4200"))
		}
		res := c.Block(adj(), c.Sign("acme/adjuster", record.Name, recordvocab.MethodAccess, args...), adj())
		if !errors.Is(res[0].Err, claim.ErrDocumentNotRead) || res[1].Err != nil || res[2].Err != nil {
			t.Fatalf("parallel=%v: %v / %v / %v", parallel, res[0].Err, res[1].Err, res[2].Err)
		}
		if got := res[2].Events[0].Attr(claimvocab.AttrDocumentAccess); got != res[1].ID.String() {
			t.Fatalf("parallel=%v: the adjudication names access %q, want %s", parallel, got, res[1].ID)
		}
		states[parallel] = c.Snapshot()
	}
	if !maps.Equal(states[false], states[true]) {
		t.Fatal("the executors disagree on the state")
	}
}

// TestSameBlockDuplicates: two claims for the same services in one block
// — serial or on the Block-STM executor — the first in block order is
// filed and the second refused, the same on every node.
func TestSameBlockDuplicates(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			c := newWorld(t, parallel)
			res := c.Block(
				c.Sign("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
					submitArgs(c, "claim-a", "stmarys/ana", "acme", anaItems)...),
				c.Sign("stmarys/dr-lee", claim.Name, claimvocab.MethodSubmit,
					submitArgs(c, "claim-b", "stmarys/ana", "globe", []string{anaItems[1]})...),
				c.Sign("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
					submitArgs(c, "claim-c", "stmarys/bob", "globe", anaItems)...),
			)
			if res[0].Err != nil || !errors.Is(res[1].Err, contracts.ErrConflict) || res[2].Err != nil {
				t.Fatalf("block: %v / %v / %v", res[0].Err, res[1].Err, res[2].Err)
			}
			if _, err := claim.LoadClaim(c.Reader(), "claim-b"); !errors.Is(err, contracts.ErrNotFound) {
				t.Fatalf("the duplicate was stored: %v", err)
			}
		})
	}
}

// TestClaimEncodingGolden pins the state encoding of a claim (part of the
// state hash).
func TestClaimEncodingGolden(t *testing.T) {
	cl := &claim.Claim{ID: "c1", Provider: "h1", Patient: "h1/p", Insurer: "i1", Currency: "EUR",
		Items: []claim.Item{{Seq: 1, Amount: 500}}, Document: "c1.doc", DocumentVersion: 1, KeyID: strings.Repeat("ab", 16), ItemKeys: []ledger.Hash{{1}},
		LinkedRecords: []string{"r1"}, Status: claimvocab.StatusPaid,
		Adjudication: []claim.Adjudication{{Seq: 1, Approved: 400, Reason: "plan-limit"}},
		Outcome:      claimvocab.OutcomePartial, PaymentRef: "P1", PaidAmount: 400,
		Heights: claim.Heights{Submitted: 1, Reviewed: 2, Adjudicated: 3, Paid: 4}}
	b, err := codec.Marshal(cl)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "956263316268316468312f70626931634555528182011901f46663312e646f63018162723164706169648183011901906a706c616e2d6c696d6974727061727469616c6c795f617070726f7665646000606250311901907820616261626162616261626162616261626162616261626162616261626162616258200000000000000000000000000000000000000000000000000000000000000000815820010000000000000000000000000000000000000000000000000000000000000086010203000400"
	if got := fmt.Sprintf("%x", b); got != golden {
		t.Fatalf("encoding %s, want %s", got, golden)
	}
	back, err := claim.Decode(b)
	if err != nil || back.ID != "c1" || back.Approved() != 400 {
		t.Fatalf("decode: %+v %v", back, err)
	}
	if amt, cur := claim.PatientShare(back); amt != 100 || cur != "EUR" {
		t.Fatalf("share: %d %s", amt, cur)
	}
}

// TestPrecheck: what a portal files passes the admission check; an
// argument claim.submit does not take (the first contract's "items") is
// refused without echoing its value; other methods are not prechecked.
func TestPrecheck(t *testing.T) {
	c := newWorld(t)
	args := c.FileClaim("stmarys/clerk", c.ClaimDoc("cl-p", "stmarys", "stmarys/ana", "acme", "USD", "99213:2026-10-30:100"))
	if err := (claim.Contract{}).Precheck("submit", args); err != nil {
		t.Fatalf("a portal's submit: %v", err)
	}
	err := (claim.Contract{}).Precheck("submit", append(args, tx.Strings("items", []string{"99213:2026-10-30:100"})))
	if !errors.Is(err, contracts.ErrInvalid) || !strings.Contains(err.Error(), `no argument "items"`) || strings.Contains(err.Error(), "2026-10-30") {
		t.Fatalf("a submit with items: %v", err)
	}
	if err := (claim.Contract{}).Precheck("review", tx.Args{tx.String("anything", "x")}); err != nil {
		t.Fatalf("review: %v", err)
	}
}

// TestAtomicFiling: claim.submit with document_ciphertext_hash registers
// the claim's document in the claim's own transaction (the record
// contract's event and checks); a refused claim — a duplicate in the same
// block or a later one, an unknown insurer, a refused registration —
// leaves no record entry and no state at all, on both executors.
func TestAtomicFiling(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			c := newWorld(t, parallel)
			file := func(who, id, insurer string, items ...string) []tx.Arg {
				t.Helper()
				args := c.FileClaim(who, c.ClaimDoc(id, identity.OrgOf(who), "stmarys/ana", insurer, "USD", items...))
				if !slices.ContainsFunc(args, func(a tx.Arg) bool { return a.Name == "document_ciphertext_hash" }) {
					t.Fatalf("FileClaim of a new document does not register it: %v", args)
				}
				return args
			}
			res := c.Block(
				c.Sign("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
					file("stmarys/clerk", "claim-a", "acme", anaItems...)...),
				c.Sign("stmarys/dr-lee", claim.Name, claimvocab.MethodSubmit,
					file("stmarys/dr-lee", "claim-b", "globe", anaItems[1])...),
			)
			if res[0].Err != nil || !errors.Is(res[1].Err, contracts.ErrConflict) {
				t.Fatalf("block: %v / %v", res[0].Err, res[1].Err)
			}
			if len(res[0].Events) != 2 || res[0].Events[0].Contract != record.Name || res[0].Events[0].Type != "record_registered" ||
				res[0].Events[0].Attr("category") != record.CategoryClaim || res[0].Events[1].Type != "claim_submitted" {
				t.Fatalf("events %v, want record_registered then claim_submitted", res[0].Events)
			}
			rec, err := record.LoadRecord(c.Reader(), "claim-a.doc")
			if err != nil || rec.Patient != "stmarys/ana" || rec.Custodian != "stmarys" || rec.Latest != 1 {
				t.Fatalf("the filed claim's document: %+v %v", rec, err)
			}
			if load(t, c, "claim-a").DocumentVersion != 1 {
				t.Fatal("document version")
			}
			noRecord := func(id string) {
				t.Helper()
				if _, err := record.LoadRecord(c.Reader(), id); !errors.Is(err, contracts.ErrNotFound) {
					t.Fatalf("the refused claim's document %s was registered: %v", id, err)
				}
			}
			noRecord("claim-b.doc")
			refused := []struct {
				name, who string
				args      []tx.Arg
				want      error
			}{
				{"a duplicate", "stmarys/clerk", file("stmarys/clerk", "claim-c", "globe", anaItems...), contracts.ErrConflict},
				{"an unknown insurer", "stmarys/clerk", file("stmarys/clerk", "claim-d", "nobody", "99214:2026-10-29:100"), contracts.ErrInvalid},
				{"a bad ciphertext hash", "stmarys/clerk", replaceArg(file("stmarys/clerk", "claim-e", "acme", "99214:2026-10-29:100"),
					tx.Bytes(claimvocab.ArgDocumentCiphertextHash, []byte("short"))), contracts.ErrInvalid},
			}
			for _, tc := range refused {
				before := c.Snapshot()
				err := c.Call(tc.who, claim.Name, claimvocab.MethodSubmit, tc.args...).Err
				if !errors.Is(err, tc.want) {
					t.Fatalf("%s: got %v, want %v", tc.name, err, tc.want)
				}
				if !maps.Equal(c.Snapshot(), before) {
					t.Fatalf("%s: state changed", tc.name)
				}
			}
			noRecord("claim-c.doc")
			noRecord("claim-d.doc")
			noRecord("claim-e.doc")
			// The refused claim's id and document id stay usable.
			c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit,
				file("stmarys/clerk", "claim-d", "acme", "99214:2026-10-29:100")...)
			// A document registered beforehand (two-step filing) is filed
			// at its version without registering it again.
			args := c.FileClaim("stmarys/clerk", c.ClaimDoc("claim-a", "stmarys", "stmarys/ana", "acme", "USD", "99215:2026-10-28:100"))
			if slices.ContainsFunc(args, func(a tx.Arg) bool { return a.Name == "document_ciphertext_hash" }) {
				t.Fatal("FileClaim registers an existing document again")
			}
		})
	}
}

// replaceArg returns args with the argument named as a replaced by a.
func replaceArg(args []tx.Arg, a tx.Arg) []tx.Arg {
	out := slices.Clone(args)
	for i := range out {
		if out[i].Name == a.Name {
			out[i] = a
		}
	}
	return out
}
