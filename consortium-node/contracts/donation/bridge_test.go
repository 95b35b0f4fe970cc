package donation_test

import (
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

// bridgeChain is a chain with a charity, a regulator, a hospital and an
// insurer (and the extra test organisations given: chaintest.Orgs), and
// the members a claim funded by a campaign involves.
func bridgeChain(t *testing.T, extra ...string) *chaintest.Chain {
	return chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs(append([]string{"hope", "reg", "stmarys", "acme"}, extra...)...),
		Roles: map[string][]string{
			identityvocab.RoleCharityOfficer:     {"hope/officer"},
			identityvocab.RoleDonor:              {"hope/donor"},
			identityvocab.RoleMilestoneValidator: {"reg/validator"},
			identityvocab.RoleRecordsClerk:       {"stmarys/clerk"},
			identityvocab.RolePatient:            {"stmarys/pat"},
			identityvocab.RoleClaimsAdjuster:     {"acme/adjuster"},
		}})
}

// TestClaimFundedByCampaign: the patient's share of an adjudicated claim
// is paid to the hospital from a patient-assistance campaign; the
// disbursement references the claim, so the donor's lineage ends at the
// (anonymised) bill; the share cannot be overfunded, and the funded claim
// can no longer be appealed.
func TestClaimFundedByCampaign(t *testing.T) {
	c := bridgeChain(t, "city")
	// The claim: 20,000 claimed, 15,000 approved: the patient owes 5,000.
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, c.FileClaim("stmarys/clerk",
		c.ClaimDoc("cl-1", "stmarys", "stmarys/pat", "acme", "EUR", "99213:2026-10-30:15000", "80053:2026-10-30:5000"))...)
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, tx.String(claimvocab.ArgClaimID, "cl-1"))
	c.ReadClaimDocument("acme/adjuster", "cl-1")

	launch(t, c, "assist", ms(c, 10000, "reg/validator", 10))
	g, err := give(c, "hope/donor", "assist", 8000, 0)
	must(t, err)
	releaseFirst(t, c, "assist")
	fund := func(id, payee string, amount uint64) error {
		p := payout{"assist", 1, id, payee, amount, "patient share", "SEPA-" + id, chaintest.Seed(id)}
		return c.Call("hope/officer", donation.Name, donationvocab.MethodDisburse,
			p.args(tx.String(donationvocab.ArgClaim, "cl-1"))...).Err
	}
	wantErr(t, fund("f-0", "stmarys", 1000), contracts.ErrConflict, "adjudication stands")
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, tx.String(claimvocab.ArgClaimID, "cl-1"),
		tx.Strings(claimvocab.ArgAdjudication, []string{"1:15000", "2:0:not-covered"}))
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodPay, tx.String(claimvocab.ArgClaimID, "cl-1"),
		tx.String(claimvocab.ArgPaymentRef, "ACH-1"), tx.Uint(claimvocab.ArgAmount, 15000))

	wantErr(t, fund("f-1", "city", 1000), contracts.ErrInvalid, "its provider")
	wantErr(t, fund("f-1", "stmarys", 5001), contracts.ErrConflict, "share of claim")
	must(t, fund("f-1", "stmarys", 3000))
	wantErr(t, fund("f-2", "stmarys", 2001), contracts.ErrConflict, "3000 is funded already")
	must(t, fund("f-2", "stmarys", 2000))
	d, _ := donation.LoadDisbursement(c.Reader(), "f-1")
	if d.Claim != "cl-1" || len(d.Sources) != 1 || d.Sources[0].Gift != g {
		t.Fatalf("disbursement %+v", d)
	}
	// The gift's lineage ends at the claim's bill.
	if u := gift(t, c, g).Uses; len(u) != 2 || u[0].Disbursement != "f-1" || u[1].Disbursement != "f-2" {
		t.Fatalf("lineage %+v", u)
	}
	conserved(t, c, "assist", []string{g})
}

// TestFundedClaimCannotBeAppealed: once a charity funds a denied claim's
// share, the provider's appeal (which could make the insurer pay too) is
// refused.
func TestFundedClaimCannotBeAppealed(t *testing.T) {
	c := bridgeChain(t)
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, c.FileClaim("stmarys/clerk",
		c.ClaimDoc("cl-2", "stmarys", "stmarys/pat", "acme", "EUR", "99213:2026-10-30:4000"))...)
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodReview, tx.String(claimvocab.ArgClaimID, "cl-2"))
	c.ReadClaimDocument("acme/adjuster", "cl-2")
	c.Must("acme/adjuster", claim.Name, claimvocab.MethodAdjudicate, tx.String(claimvocab.ArgClaimID, "cl-2"),
		tx.Strings(claimvocab.ArgAdjudication, []string{"1:0:not-covered"}),
		tx.String(claimvocab.ArgDenialReason, "not-covered"))
	launch(t, c, "assist", ms(c, 4000, "reg/validator", 10))
	_, err := give(c, "hope/donor", "assist", 4000, 0)
	must(t, err)
	releaseFirst(t, c, "assist")
	p := payout{"assist", 1, "f-1", "stmarys", 4000, "denied bill", "SEPA-1", chaintest.Seed("f")}
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodDisburse,
		p.args(tx.String(donationvocab.ArgClaim, "cl-2"))...).Err)
	err = c.Call("stmarys/clerk", claim.Name, claimvocab.MethodAppeal, tx.String(claimvocab.ArgClaimID, "cl-2"),
		tx.String(claimvocab.ArgReason, "coverage-dispute")).Err
	if !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("appeal of a funded claim: %v", err)
	}
}
