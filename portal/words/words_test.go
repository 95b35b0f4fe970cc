package words

import (
	"slices"
	"testing"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
)

// TestTablesAreTheContracts: each table labels exactly the codes its
// contract's vocabulary defines, so a new code gets a label and a retired
// one loses it.
func TestTablesAreTheContracts(t *testing.T) {
	want := map[Table][]string{
		Purposes:        consentvocab.Purposes(),
		Categories:      registration.Categories,
		Emergencies:     recordvocab.BreakGlassReasons(),
		ReviewOutcomes:  recordvocab.ReviewOutcomes(),
		ClaimReasons:    claimvocab.AdjudicationReasons(),
		AppealReasons:   claimvocab.AppealReasons(),
		ClaimStatuses:   claimvocab.Statuses(),
		ClaimOutcomes:   claimvocab.Outcomes(),
		ConsentStatuses: consentvocab.Statuses(),
		RefundReasons: {donationvocab.RefundCampaignCancelled, donationvocab.RefundMilestoneRejected,
			donationvocab.RefundMilestoneMissed},
		Undelivered: delivery.Failures,
	}
	for _, tb := range Tables() {
		codes, ok := want[tb]
		if !ok {
			t.Errorf("table %d: no vocabulary to check it against", tb)
			continue
		}
		codes = slices.Sorted(slices.Values(codes))
		if got := tb.Codes(); !slices.Equal(got, codes) {
			t.Errorf("table %d labels %v, the contract's codes are %v", tb, got, codes)
		}
		for _, c := range codes {
			if l, _ := tb.Label(c); l == "" || l == c {
				t.Errorf("table %d: %q has no label of its own (%q)", tb, c, l)
			}
		}
	}
}

func TestSay(t *testing.T) {
	for _, c := range []struct {
		tb         Table
		code, want string
	}{
		{Purposes, "claims", "Insurance claims"},
		{Emergencies, "unconscious-patient", "Patient unconscious"},
		{ClaimOutcomes, "partially_approved", "Partly approved"},
		{ClaimReasons, "a-New_code", "a new code"}, // not known: in words
		{Categories, "", ""},
	} {
		if got := c.tb.Say(c.code); got != c.want {
			t.Errorf("%d.Say(%q) = %q, want %q", c.tb, c.code, got, c.want)
		}
	}
	if got := Lower("Insurance claims"); got != "insurance claims" {
		t.Errorf("Lower: %q", got)
	}
	if got := Lower(""); got != "" {
		t.Errorf("Lower of nothing: %q", got)
	}
}

func TestMoneyAndDates(t *testing.T) {
	for _, c := range []struct{ minor, cur, want string }{
		{"3050", "EUR", "30.50 EUR"},
		{"3050", "JPY", "3050 JPY"},
		{"2500", "BHD", "2.500 BHD"},
		{"5", "USD", "0.05 USD"},
		{"5", "", "0.05"},
		{"x1", "EUR", "x1"},
	} {
		if got := MoneyText(c.minor, c.cur); got != c.want {
			t.Errorf("MoneyText(%q, %q) = %q, want %q", c.minor, c.cur, got, c.want)
		}
	}
	if got := Date(1796169600 + 23*3600); got != "2 December 2026" {
		t.Errorf("Date: %q", got)
	}
}

func TestWho(t *testing.T) {
	names := func(id string) string {
		return map[string]string{"stmarys": "St Mary's Hospital"}[id]
	}
	for id, want := range map[string]string{
		"stmarys/dr-lee": "dr-lee of St Mary's Hospital",
		"stmarys":        "St Mary's Hospital",
		"acme/adjuster":  "adjuster of acme", // an organisation not known: its id
		"":               "someone",
	} {
		if got := Who(names, id); got != want {
			t.Errorf("Who(%q) = %q, want %q", id, got, want)
		}
	}
}
