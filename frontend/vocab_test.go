package frontend_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
)

// TestLabelsCoverTheContracts: the web app's labels (src/vocab.ts) name
// every code the contracts define (their vocabulary packages) and every
// status they write (as the GraphQL enums spell it), so that no person
// reads a raw code because a contract gained one.
func TestLabelsCoverTheContracts(t *testing.T) {
	src, err := os.ReadFile("src/vocab.ts")
	if err != nil {
		t.Fatal(err)
	}
	upper := func(codes []string) []string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = strings.ToUpper(c)
		}
		return out
	}
	for name, codes := range map[string][]string{
		"PURPOSES":         consentvocab.Purposes(),
		"EMERGENCIES":      recordvocab.BreakGlassReasons(),
		"REVIEW_OUTCOMES":  recordvocab.ReviewOutcomes(),
		"CLAIM_REASONS":    claimvocab.AdjudicationReasons(),
		"APPEAL_REASONS":   claimvocab.AppealReasons(),
		"CLAIM_STATUSES":   upper(claimvocab.Statuses()),
		"CONSENT_STATUSES": upper(consentvocab.Statuses()),
		"REFUND_REASONS": {donationvocab.RefundCampaignCancelled, donationvocab.RefundMilestoneRejected,
			donationvocab.RefundMilestoneMissed},
	} {
		block := regexp.MustCompile(`(?s)export const ` + name + `: Labels = \{(.*?)\n\};`).FindSubmatch(src)
		if block == nil {
			t.Errorf("src/vocab.ts has no %s", name)
			continue
		}
		for _, c := range codes {
			key := regexp.MustCompile(`(?m)^\s*(?:'` + regexp.QuoteMeta(c) + `'|` + regexp.QuoteMeta(c) + `):`)
			if !key.Match(block[1]) {
				t.Errorf("src/vocab.ts %s has no label for the contract's %q", name, c)
			}
		}
	}
}
