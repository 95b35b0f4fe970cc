package frontend_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/portal/words"
)

// TestLabelsCoverTheContracts: the web app's labels (src/vocab.ts) name
// every code the contracts define (their vocabulary packages) and every
// status they write (as the GraphQL enums spell it), each with the label
// the portal's own words give it (portal/words, the one Go source of
// labels), so that no person reads a raw code because a contract gained
// one, and the app and the portal's messages say the same thing.
func TestLabelsCoverTheContracts(t *testing.T) {
	src, err := os.ReadFile("src/vocab.ts")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`(?m)^\s*(?:'([^']+)'|([A-Za-z0-9_]+)):\s*'((?:[^'\\]|\\.)*)',?\s*$`)
	for _, c := range []struct {
		name  string
		table words.Table
		codes []string
		upper bool // keyed as the GraphQL enums spell the codes
	}{
		{"PURPOSES", words.Purposes, consentvocab.Purposes(), false},
		{"CATEGORIES", words.Categories, registration.Categories, false},
		{"EMERGENCIES", words.Emergencies, recordvocab.BreakGlassReasons(), false},
		{"REVIEW_OUTCOMES", words.ReviewOutcomes, recordvocab.ReviewOutcomes(), false},
		{"CLAIM_REASONS", words.ClaimReasons, claimvocab.AdjudicationReasons(), false},
		{"APPEAL_REASONS", words.AppealReasons, claimvocab.AppealReasons(), false},
		{"CLAIM_STATUSES", words.ClaimStatuses, claimvocab.Statuses(), true},
		{"CONSENT_STATUSES", words.ConsentStatuses, consentvocab.Statuses(), true},
		{"REFUND_REASONS", words.RefundReasons, []string{donationvocab.RefundCampaignCancelled,
			donationvocab.RefundMilestoneRejected, donationvocab.RefundMilestoneMissed}, false},
	} {
		block := regexp.MustCompile(`(?s)export const ` + c.name + `: Labels = \{(.*?)\n\};`).FindSubmatch(src)
		if block == nil {
			t.Errorf("src/vocab.ts has no %s", c.name)
			continue
		}
		got := map[string]string{}
		for _, m := range entry.FindAllSubmatch(block[1], -1) {
			key := string(m[1]) + string(m[2])
			got[key] = strings.ReplaceAll(string(m[3]), `\'`, "'")
		}
		for _, code := range c.codes {
			key := code
			if c.upper {
				key = strings.ToUpper(code)
			}
			label, ok := got[key]
			if !ok {
				t.Errorf("src/vocab.ts %s has no label for the contract's %q", c.name, code)
				continue
			}
			if want, _ := c.table.Label(code); label != want {
				t.Errorf("src/vocab.ts %s labels %q %q, portal/words %q", c.name, code, label, want)
			}
		}
	}
}

// TestActionsNameEveryMethod: src/vocab.ts ACTIONS labels every method of
// every system contract (contract.method, as the explorer and the receipt
// show a transaction), as each contract's dispatch table in the system
// registry names them, so that a new method never shows as its code.
func TestActionsNameEveryMethod(t *testing.T) {
	src, err := os.ReadFile("src/vocab.ts")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)export const ACTIONS: Labels = \{(.*?)\n\};`).FindSubmatch(src)
	if block == nil {
		t.Fatal("src/vocab.ts has no ACTIONS")
	}
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range reg.Contracts() {
		methods := c.Methods().Names()
		if len(methods) == 0 {
			t.Errorf("found no method in contract %s's dispatch table", c.Name())
		}
		for _, m := range methods {
			total++
			key := regexp.MustCompile(`(?m)^\s*'` + regexp.QuoteMeta(c.Name()+"."+m) + `':`)
			if !key.Match(block[1]) {
				t.Errorf("src/vocab.ts ACTIONS has no label for %s.%s", c.Name(), m)
			}
		}
	}
	t.Logf("%d contract methods labelled", total)
}
