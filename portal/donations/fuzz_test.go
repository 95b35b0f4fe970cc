package donations_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
	"github.com/almoner/almoner/portal/readmodel"
)

// FuzzDonationEvents feeds one transaction with arbitrary events and
// arguments, after the first n blocks of a real donation chain, through
// the follower into a read model with this module. Whatever the input:
// no panic; a block the module refuses fails with readmodel.ErrCorrupt and
// leaves the index exactly as it was (no partial write); a block it
// accepts leaves money conserved (every campaign's raised amount is its
// gifts' and its milestones' sum, no milestone pays out more than it
// holds, every gift's allocations and uses add up). The seeds are the real
// chain's transactions, each at its own height: those must be accepted and
// give the very index the real chain gives.
func FuzzDonationEvents(f *testing.F) {
	h, _ := newHarness(f)
	h.Fuzz(f)
}

// conserved checks the money invariants over every campaign and gift.
func conserved(t testing.TB, r *donations.Reader) {
	t.Helper()
	var cs []*donations.Campaign
	for more := true; more; {
		after := ""
		if len(cs) > 0 {
			after = cs[len(cs)-1].ID
		}
		page, m, err := r.Campaigns(after, 100)
		if err != nil {
			t.Fatalf("campaigns: %v", err)
		}
		cs, more = append(cs, page...), m
	}
	for _, c := range cs {
		var funded, disbursed, refunded uint64
		for _, m := range c.Milestones {
			if m.Disbursed+m.Refunded > m.Funded || m.Disbursed > m.Funded {
				t.Fatalf("campaign %q milestone %d pays out more than it holds: %+v", c.ID, m.Seq, m)
			}
			funded, disbursed, refunded = funded+m.Funded, disbursed+m.Disbursed, refunded+m.Refunded
		}
		if funded != c.Raised || disbursed != c.Disbursed || refunded != c.Refunded {
			t.Fatalf("campaign %q: raised %d disbursed %d refunded %d, its milestones %d %d %d", c.ID, c.Raised, c.Disbursed, c.Refunded, funded, disbursed, refunded)
		}
		var gifts uint64
		after := ""
		for {
			gs, pg, err := r.CampaignGifts(c.ID, after, 100)
			if err != nil {
				t.Fatalf("campaign %q gifts: %v", c.ID, err)
			}
			for _, g := range gs {
				gifts += g.Amount
				var alloc uint64
				for _, a := range g.Allocations {
					alloc += a.Amount
				}
				if alloc != g.Amount || g.Disbursed()+g.Refunded()+g.Escrow() != g.Amount {
					t.Fatalf("gift %s of %d: allocated %d, disbursed %d + refunded %d + escrow %d", g.ID, g.Amount, alloc, g.Disbursed(), g.Refunded(), g.Escrow())
				}
				if _, err := r.LineageOf(g); err != nil {
					t.Fatalf("lineage of gift %s: %v", g.ID, err)
				}
			}
			if !pg.More {
				break
			}
			after = pg.Cursors[len(pg.Cursors)-1]
		}
		if gifts != c.Raised {
			t.Fatalf("campaign %q raised %d, its gifts sum to %d", c.ID, c.Raised, gifts)
		}
	}
}

// newHarness runs a real donation chain (two campaigns: one funded,
// disbursed and settled, one cancelled after a rejected milestone) and
// indexes it, checking that money is conserved after every block.
func newHarness(f testing.TB) (*rmtest.Harness, *testchain.Chain) {
	c := testchain.New(f, chaintest.Member{ID: "hope/donor-kai", Roles: []string{"donor"}})
	do := func(sender, method string, args ...tx.Arg) { c.Do(sender, donation.Name, method, args...) }
	deadline := func(d time.Duration) string { return fmt.Sprint(c.Exec.Now.Add(d).Unix()) }
	officer, donor, kai, validator := "hope/officer", "hope/donor-sam", "hope/donor-kai", "healthreg/validator"
	hash := func(s string) tx.Arg { return tx.Bytes(vocab.ArgEvidenceHash, chaintest.Seed(s)) }
	do(officer, "create_campaign", tx.String(vocab.ArgCampaignID, "heart"),
		tx.String(vocab.ArgTitle, "Heart surgery fund"), tx.String(vocab.ArgCurrency, "EUR"),
		tx.Strings(vocab.ArgMilestones,
			[]string{"600 " + validator + " " + deadline(30*24*time.Hour) + " Surgery",
				"400 " + validator + " " + deadline(time.Hour) + " Aftercare"}),
		tx.Strings(vocab.ArgBeneficiaries, []string{"stmarys"}))
	do(officer, "open", tx.String(vocab.ArgCampaignID, "heart"))
	do(donor, "give", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgAmount, 500))
	do(kai, "give", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgAmount, 100),
		tx.Uint(vocab.ArgMilestone, 1), tx.String(vocab.ArgBeneficiary, "stmarys"))
	do(kai, "give", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgAmount, 250))
	do(officer, "submit_evidence", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgMilestone, 1),
		hash("report"))
	do(validator, "approve_milestone", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgMilestone, 1))
	do(officer, "disburse", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgMilestone, 1),
		tx.String(vocab.ArgDisbursementID, "d1"),
		tx.String(vocab.ArgPayee, "stmarys"), tx.Uint(vocab.ArgAmount, 350), tx.String(vocab.ArgPurpose, "Surgery"),
		tx.String(vocab.ArgPaymentRef, "WIRE-1"), hash("invoice-1"))
	do("stmarys/clerk", "confirm_receipt", tx.String(vocab.ArgDisbursementID, "d1"))
	c.Exec.Now = c.Exec.Now.Add(2 * time.Hour)
	do(donor, "settle_milestone", tx.String(vocab.ArgCampaignID, "heart"), tx.Uint(vocab.ArgMilestone, 2))
	do(officer, "create_campaign", tx.String(vocab.ArgCampaignID, "kidney"), tx.String(vocab.ArgTitle, "Kidney"),
		tx.String(vocab.ArgCurrency, "EUR"),
		tx.Strings(vocab.ArgMilestones,
			[]string{"300 " + validator + " " + deadline(30*24*time.Hour) + " Transplant",
				"300 " + validator + " " + deadline(30*24*time.Hour) + " Care"}))
	do(officer, "open", tx.String(vocab.ArgCampaignID, "kidney"))
	do(donor, "give", tx.String(vocab.ArgCampaignID, "kidney"), tx.Uint(vocab.ArgAmount, 400))
	do(kai, "give", tx.String(vocab.ArgCampaignID, "kidney"), tx.Uint(vocab.ArgAmount, 200),
		tx.Uint(vocab.ArgMilestone, 2))
	do(officer, "submit_evidence", tx.String(vocab.ArgCampaignID, "kidney"), tx.Uint(vocab.ArgMilestone, 2),
		hash("care"))
	do(validator, "reject_milestone", tx.String(vocab.ArgCampaignID, "kidney"), tx.Uint(vocab.ArgMilestone, 2))
	do(officer, "cancel", tx.String(vocab.ArgCampaignID, "kidney"))
	return rmtest.NewHarness(f, c, donations.Module(), func(tb testing.TB, s *readmodel.Store) { conserved(tb, donations.NewReader(s)) }), c
}
