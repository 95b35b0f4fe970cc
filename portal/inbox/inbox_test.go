package inbox

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
	"github.com/almoner/almoner/portal/readmodel"
)

// plain fails t if a notice's text carries an id or a code of the
// ledger's: a member or record id, a code with dashes or underscores.
func plain(t *testing.T, n *Notice, ids ...string) {
	t.Helper()
	if strings.ContainsAny(n.Text, "/_") {
		t.Errorf("%s: %q carries an id or a code", n.Event, n.Text)
	}
	for _, w := range strings.Fields(n.Text) {
		if strings.Count(w, "-") > 0 && w != "dr-lee" && w != "donor-sam" && w != "mass-casualty" {
			t.Errorf("%s: %q carries the code %q", n.Event, n.Text, w)
		}
	}
	for _, id := range ids {
		if strings.Contains(n.Text, id) {
			t.Errorf("%s: %q carries the id %q", n.Event, n.Text, id)
		}
	}
}

// TestNoticesOnARealChain: a real chain of records, consents, accesses,
// an emergency, a campaign, a disbursement and a refund gives each
// member it concerns notices in words — organisations by name, members by
// their name with their organisation's, codes by label, money with its
// currency and decimals, dates in words, no id or code in the text (they
// stay in Ref and Facts) — none to the reader of their own record, none to
// organisations.
func TestNoticesOnARealChain(t *testing.T) {
	c := testchain.New(t)
	do := c.Do
	clerk, dr, pat, adj := "stmarys/clerk", "stmarys/dr-lee", "stmarys/patient-ana", "acme/adjuster"
	end := c.Exec.Now.Add(7 * 24 * time.Hour)
	period := []tx.Arg{tx.Int("start", c.Exec.Now.Unix()), tx.Int("end", end.Unix())}
	do(clerk, recordvocab.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.Uint(recordvocab.ArgVersion, 1),
		tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("r-lab")), tx.String(recordvocab.ArgPatient, pat),
		tx.String(recordvocab.ArgCategory, "lab"))
	do(pat, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "treatment")) // her own
	do(adj, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "claims")) // refused
	do(pat, consentvocab.Name, consentvocab.MethodGrant,
		append(period, tx.String(consentvocab.ArgConsentID, "c-acme"), tx.String(consentvocab.ArgGrantee, "acme"),
			tx.String(consentvocab.ArgPurpose, "claims"), tx.Strings(consentvocab.ArgCategories, []string{"lab"}),
			tx.String(consentvocab.ArgScope, "treatment"))...)
	read := do(adj, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "claims"),
		tx.String(recordvocab.ArgConsentID, "c-acme"))
	do(adj, delivery.Contract, delivery.Method, tx.String(recordvocab.ArgAccess, read.String()),
		tx.String(recordvocab.ArgReason, delivery.Unreachable))
	do(dr, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.String(recordvocab.ArgBreakGlass, "unconscious-patient"))
	do(dr, consentvocab.Name, consentvocab.MethodRequest,
		append(period, tx.String(consentvocab.ArgConsentID, "c-req"), tx.String(consentvocab.ArgPatient, pat),
			tx.String(consentvocab.ArgPurpose, "care-coordination"),
			tx.Strings(consentvocab.ArgRecords, []string{"r-lab"}))...)

	officer, donor, validator := "hope/officer", "hope/donor-sam", "healthreg/validator"
	deadline := func(d time.Duration) string { return fmt.Sprint(c.Exec.Now.Add(d).Unix()) }
	camp := func(m string, a ...tx.Arg) {
		c.Do(officer, vocab.Contract, m, append(a, tx.String(vocab.ArgCampaignID, "heart"))...)
	}
	camp("create_campaign", tx.String(vocab.ArgTitle, "Heart surgery fund"), tx.String(vocab.ArgCurrency, "BHD"),
		tx.Strings(vocab.ArgMilestones, []string{"600 " + validator + " " + deadline(30*24*time.Hour) + " Surgery and care",
			"400 " + validator + " " + deadline(time.Hour) + " Aftercare"}))
	camp("open")
	c.Do(donor, vocab.Contract, vocab.MethodGive, tx.String(vocab.ArgCampaignID, "heart"),
		tx.Uint(vocab.ArgAmount, 1000))
	camp("submit_evidence", tx.Uint(vocab.ArgMilestone, 1), tx.Bytes(vocab.ArgEvidenceHash, chaintest.Seed("report")))
	c.Do(validator, vocab.Contract, vocab.MethodApproveMilestone, tx.String(vocab.ArgCampaignID, "heart"),
		tx.Uint(vocab.ArgMilestone, 1))
	camp("disburse", tx.Uint(vocab.ArgMilestone, 1), tx.String(vocab.ArgDisbursementID, "d1"),
		tx.String(vocab.ArgPayee, "stmarys"), tx.Uint(vocab.ArgAmount, 350), tx.String(vocab.ArgPurpose, "Surgery"),
		tx.String(vocab.ArgPaymentRef, "WIRE-1"), tx.Bytes(vocab.ArgEvidenceHash, chaintest.Seed("invoice")))
	c.Exec.Now = c.Exec.Now.Add(2 * time.Hour)
	c.Do(donor, vocab.Contract, vocab.MethodSettleMilestone, tx.String(vocab.ArgCampaignID, "heart"),
		tx.Uint(vocab.ArgMilestone, 2))

	h := rmtest.NewHarness(t, c, Module(), func(testing.TB, *readmodel.Store) {})
	s, err := h.Apply(t, c.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(s)
	check := func(member string, want []string, ids ...string) {
		t.Helper()
		ns, more, err := r.Notices(member, "", 100)
		if err != nil || more {
			t.Fatalf("%s: %v (more %v)", member, err, more)
		}
		var got []string
		for _, n := range ns {
			got = append(got, n.Text)
			plain(t, n, ids...)
			if n.Ref == "" {
				t.Errorf("%s: no ref", n.Text)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s's notices:\n%s\nwant\n%s", member, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	check(pat, []string{ // newest first
		"dr-lee of St Mary's Hospital asks for your consent, for care coordination until " +
			end.UTC().Format("2 January 2006") + ": accept or decline it",
		"dr-lee of St Mary's Hospital opened your lab results in an emergency (patient unconscious); " +
			"the privacy officer of St Mary's Hospital reviews it",
		"adjuster of Acme Health Insurance was allowed to read your lab results, but nothing was delivered: " +
			"the hospital keeping the record could not be reached",
		"adjuster of Acme Health Insurance read your lab results for insurance claims, under your consent",
		"adjuster of Acme Health Insurance tried to read your lab results for insurance claims and was refused",
	}, "r-lab", "c-acme", "c-req", "stmarys", "acme/", "care-coordination")
	check(donor, []string{
		"0.400 BHD of your gift to “Heart surgery fund” was refunded: the milestone missed its deadline",
		"0.350 BHD of your gift to “Heart surgery fund” was paid to St Mary's Hospital " +
			"for the milestone “Surgery and care”",
	}, "heart", "d1", "stmarys")
	for _, m := range []string{dr, adj, officer, "stmarys", "hope"} {
		check(m, nil)
	}
	// The ids stay in the notices' fields.
	ns, _, _ := r.Notices(pat, "", 1)
	if ns[0].Ref != "c-req" || ns[0].Facts["consent"] != "c-req" || ns[0].Facts["requester"] != dr {
		t.Errorf("the consent request's fields: %+v", ns[0])
	}
}

func event(contract, typ string, kv ...string) *Notice {
	n := &Notice{Event: contract + "." + typ, Facts: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Facts[kv[i]] = kv[i+1]
	}
	return n
}

// TestClaimNotices: a patient's claim notices name the hospital and the
// insurer, the outcome and reasons by label, money with its currency.
func TestClaimNotices(t *testing.T) {
	names := map[string]string{"stmarys": "St Mary's Hospital", "acme": "Acme Health Insurance"}
	org := func(id string) string { return names[id] }
	claim := []string{"claim", "cl-9", "provider", "stmarys", "insurer", "acme", "patient", "stmarys/patient-ana"}
	for _, c := range []struct {
		n    *Notice
		want string
	}{
		{event("claim", "claim_submitted", append(claim, "total", "12050", "currency", "EUR")...),
			"St Mary's Hospital filed a claim of 120.50 EUR for your care with Acme Health Insurance"},
		{event("claim", "claim_adjudicated", append(claim, "outcome", "partially_approved", "claimed", "12050",
			"patient_share", "3050", "currency", "EUR")...),
			"Acme Health Insurance decided your claim of 120.50 EUR from St Mary's Hospital: partly approved; " +
				"your share is 30.50 EUR"},
		{event("claim", "claim_adjudicated", append(claim, "outcome", "denied", "denial_reason", "plan-limit",
			"patient_share", "3050", "currency", "JPY")...),
			"Acme Health Insurance decided your claim from St Mary's Hospital: denied (plan limit reached); " +
				"your share is 3050 JPY"},
		{event("claim", "claim_paid", append(claim, "amount", "9000", "currency", "EUR")...),
			"Acme Health Insurance paid 90.00 EUR of your claim from St Mary's Hospital"},
		{event("claim", "claim_appealed", append(claim, "reason", "documentation-added")...),
			"St Mary's Hospital appealed the decision of Acme Health Insurance on your claim: documentation added"},
		{event("claim", "claim_cancelled", claim...),
			"St Mary's Hospital withdrew your claim with Acme Health Insurance"},
	} {
		c.n.Text = c.n.text(org)
		if c.n.Text != c.want {
			t.Errorf("%s: %q, want %q", c.n.Event, c.n.Text, c.want)
		}
		plain(t, c.n, "cl-9", "stmarys", "acme")
	}
}

// TestEveryNoticeHasWords: every event that gives a notice has words of
// its own.
func TestEveryNoticeHasWords(t *testing.T) {
	for _, ev := range []string{"record.access_granted", "record.access_refused", "record.access_undelivered",
		"record.break_glass", "consent.consent_requested", "claim.claim_submitted", "claim.claim_adjudicated",
		"claim.claim_paid", "claim.claim_appealed", "claim.claim_cancelled", "donation.gift_disbursed",
		"donation.gift_refunded"} {
		contract, typ, _ := strings.Cut(ev, ".")
		ce := readmodel.CallEvent{}
		ce.Contract, ce.Type = contract, typ
		for _, k := range []string{"patient", "donor"} {
			ce.Attrs = append(ce.Attrs, ledger.Attr{Key: k, Value: "stmarys/patient-ana"})
		}
		if len(notices(ce)) != 1 {
			t.Errorf("%s gives no notice", ev)
		}
		n := &Notice{Event: ev, Facts: map[string]string{}}
		if got := n.text(func(string) string { return "" }); strings.HasPrefix(got, "something happened") {
			t.Errorf("%s has no words: %q", ev, got)
		}
	}
}
