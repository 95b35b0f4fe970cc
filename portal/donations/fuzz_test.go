package donations_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
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
	hash := func(s string) tx.Arg { return tx.Bytes("evidence_hash", chaintest.Seed(s)) }
	do(officer, "create_campaign", tx.String("campaign_id", "heart"), tx.String("title", "Heart surgery fund"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{"600 " + validator + " " + deadline(30*24*time.Hour) + " Surgery", "400 " + validator + " " + deadline(time.Hour) + " Aftercare"}),
		tx.Strings("beneficiaries", []string{"stmarys"}))
	do(officer, "open", tx.String("campaign_id", "heart"))
	do(donor, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 500))
	do(kai, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 100), tx.Uint("milestone", 1), tx.String("beneficiary", "stmarys"))
	do(kai, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 250))
	do(officer, "submit_evidence", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1), hash("report"))
	do(validator, "approve_milestone", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1))
	do(officer, "disburse", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1), tx.String("disbursement_id", "d1"),
		tx.String("payee", "stmarys"), tx.Uint("amount", 350), tx.String("purpose", "Surgery"), tx.String("payment_ref", "WIRE-1"), hash("invoice-1"))
	do("stmarys/clerk", "confirm_receipt", tx.String("disbursement_id", "d1"))
	c.Exec.Now = c.Exec.Now.Add(2 * time.Hour)
	do(donor, "settle_milestone", tx.String("campaign_id", "heart"), tx.Uint("milestone", 2))
	do(officer, "create_campaign", tx.String("campaign_id", "kidney"), tx.String("title", "Kidney"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{"300 " + validator + " " + deadline(30*24*time.Hour) + " Transplant", "300 " + validator + " " + deadline(30*24*time.Hour) + " Care"}))
	do(officer, "open", tx.String("campaign_id", "kidney"))
	do(donor, "give", tx.String("campaign_id", "kidney"), tx.Uint("amount", 400))
	do(kai, "give", tx.String("campaign_id", "kidney"), tx.Uint("amount", 200), tx.Uint("milestone", 2))
	do(officer, "submit_evidence", tx.String("campaign_id", "kidney"), tx.Uint("milestone", 2), hash("care"))
	do(validator, "reject_milestone", tx.String("campaign_id", "kidney"), tx.Uint("milestone", 2))
	do(officer, "cancel", tx.String("campaign_id", "kidney"))
	return rmtest.NewHarness(f, c, donations.Module(), func(tb testing.TB, s *readmodel.Store) { conserved(tb, donations.NewReader(s)) }), c
}
