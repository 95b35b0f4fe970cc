package donation_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

func newChain(t *testing.T) *chaintest.Chain {
	return chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs("hope", "reg", "stmarys", "other"), Roles: map[string][]string{
		identityvocab.RoleCharityOfficer:     {"hope/officer", "other/officer"},
		identityvocab.RoleDonor:              {"hope/donor1", "hope/donor2"},
		identityvocab.RoleMilestoneValidator: {"reg/validator", "reg/validator2", "hope/inhouse"},
		identityvocab.RoleRecordsClerk:       {"stmarys/clerk"},
	}})
}

func create(c *chaintest.Chain, who, id string, milestones ...string) error {
	return c.Call(who, donation.Name, donationvocab.MethodCreateCampaign, tx.String(donationvocab.ArgCampaignID, id),
		tx.String(donationvocab.ArgTitle, "Heart surgery fund"),
		tx.String(donationvocab.ArgCurrency, "EUR"), tx.Strings(donationvocab.ArgMilestones, milestones),
		tx.Strings(donationvocab.ArgBeneficiaries, []string{"stmarys"})).Err
}

// launch has hope/officer create campaign id with milestones and open it.
func launch(t *testing.T, c *chaintest.Chain, id string, milestones ...string) {
	t.Helper()
	must(t, create(c, "hope/officer", id, milestones...))
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodOpen, tx.String(donationvocab.ArgCampaignID, id)).Err)
}

// releaseFirst has hope/officer submit evidence for milestone 1 of
// campaign and reg/validator approve it, so that its escrow may be
// disbursed.
func releaseFirst(t *testing.T, c *chaintest.Chain, campaign string) {
	t.Helper()
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodSubmitEvidence,
		tx.String(donationvocab.ArgCampaignID, campaign), tx.Uint(donationvocab.ArgMilestone, 1),
		tx.Bytes(donationvocab.ArgEvidenceHash, chaintest.Seed("e"))).Err)
	must(t, c.Call("reg/validator", donation.Name, donationvocab.MethodApproveMilestone,
		tx.String(donationvocab.ArgCampaignID, campaign), tx.Uint(donationvocab.ArgMilestone, 1)).Err)
}

// payout is a disbursement from a campaign's milestone.
type payout struct {
	campaign  string
	milestone uint64
	id, payee string
	amount    uint64
	purpose   string
	ref       string
	evidence  []byte
}

// args are the arguments of the donation.disburse of p, then more.
func (p payout) args(more ...tx.Arg) []tx.Arg {
	return append([]tx.Arg{tx.String(donationvocab.ArgCampaignID, p.campaign), tx.Uint(donationvocab.ArgMilestone, p.milestone),
		tx.String(donationvocab.ArgDisbursementID, p.id), tx.String(donationvocab.ArgPayee, p.payee),
		tx.Uint(donationvocab.ArgAmount, p.amount), tx.String(donationvocab.ArgPurpose, p.purpose),
		tx.String(donationvocab.ArgPaymentRef, p.ref), tx.Bytes(donationvocab.ArgEvidenceHash, p.evidence)}, more...)
}

func ms(c *chaintest.Chain, amount int, validator string, days int) string {
	return fmt.Sprintf("%d %s %d Stage %d", amount, validator, c.Now.Add(time.Duration(days)*24*time.Hour).Unix(), amount)
}

func give(c *chaintest.Chain, donor, campaign string, amount uint64, milestone uint64) (string, error) {
	args := []tx.Arg{tx.String(donationvocab.ArgCampaignID, campaign), tx.Uint(donationvocab.ArgAmount, amount)}
	if milestone != 0 {
		args = append(args, tx.Uint(donationvocab.ArgMilestone, milestone))
	}
	r := c.Call(donor, donation.Name, donationvocab.MethodGive, args...)
	return r.ID.String(), r.Err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if !errors.Is(err, want) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v, want %v containing %q", err, want, msg)
	}
}

func campaign(t *testing.T, c *chaintest.Chain, id string) *donation.Campaign {
	t.Helper()
	return chaintest.Load(t, c, donation.LoadCampaign, id)
}

func gift(t *testing.T, c *chaintest.Chain, id string) *donation.Gift {
	t.Helper()
	return chaintest.Load(t, c, donation.LoadGift, id)
}

// conserved checks that no money appears or vanishes: every gift's
// amount is its allocations, each allocation is disbursed, refunded or
// still in escrow, and the campaign's milestone totals agree.
func conserved(t *testing.T, c *chaintest.Chain, id string, gifts []string) {
	t.Helper()
	k := campaign(t, c, id)
	funded := map[uint64]uint64{}
	used := map[uint64]uint64{}
	left := map[uint64]uint64{}
	var raised uint64
	for _, gid := range gifts {
		g := gift(t, c, gid)
		raised += g.Amount
		var alloc, uses, l uint64
		for _, a := range g.Allocations {
			alloc += a.Amount
			l += a.Left
			funded[a.Milestone] += a.Amount
			left[a.Milestone] += a.Left
		}
		for _, u := range g.Uses {
			uses += u.Amount
			used[u.Milestone] += u.Amount
		}
		if alloc != g.Amount || uses+l != g.Amount {
			t.Fatalf("gift %s: amount %d, allocated %d, used %d, left %d", gid, g.Amount, alloc, uses, l)
		}
	}
	if raised != k.Raised {
		t.Fatalf("raised %d, gifts sum to %d", k.Raised, raised)
	}
	for _, m := range k.Milestones {
		if m.Funded != funded[m.Seq] || m.Disbursed+m.Refunded != used[m.Seq] || m.Funded-m.Disbursed-m.Refunded != left[m.Seq] {
			t.Fatalf("milestone %d: %+v; gifts say funded %d used %d left %d", m.Seq, m, funded[m.Seq], used[m.Seq], left[m.Seq])
		}
	}
}

func TestCampaignJourney(t *testing.T) {
	c := newChain(t)
	must(t, create(c, "hope/officer", "heart", ms(c, 1000, "reg/validator", 1), ms(c, 500, "reg/validator2", 2)))
	if _, err := give(c, "hope/donor1", "heart", 100, 0); err == nil {
		t.Fatal("a draft campaign took a gift")
	}
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodOpen, tx.String(donationvocab.ArgCampaignID, "heart")).Err)

	g1, err := give(c, "hope/donor1", "heart", 300, 0)
	must(t, err)
	g2, err := give(c, "hope/donor2", "heart", 200, 2) // earmarked to milestone 2
	must(t, err)
	g3, err := give(c, "hope/donor1", "heart", 800, 0) // 700 fills milestone 1, 100 goes to 2
	must(t, err)
	if a := gift(t, c, g3).Allocations; len(a) != 2 || a[0].Amount != 700 || a[1].Milestone != 2 || a[1].Amount != 100 {
		t.Fatalf("gift 3 allocations %+v", a)
	}
	_, err = give(c, "hope/donor2", "heart", 300, 0)
	wantErr(t, err, contracts.ErrConflict, "still needs 2.00 EUR")
	g4, err := give(c, "hope/donor2", "heart", 200, 0)
	must(t, err)
	if k := campaign(t, c, "heart"); k.Status != donationvocab.StatusFunded || k.Raised != 1500 {
		t.Fatalf("campaign after full funding: %s raised %d", k.Status, k.Raised)
	}
	gifts := []string{g1, g2, g3, g4}
	conserved(t, c, "heart", gifts)

	disb := func(who, id string, seq, amount uint64) error {
		return c.Call(who, donation.Name, donationvocab.MethodDisburse,
			payout{"heart", seq, id, "stmarys", amount, "surgery invoice 17", "SEPA-0017", chaintest.Seed(id)}.args()...).Err
	}
	// Unvalidated milestone: no release.
	wantErr(t, disb("hope/officer", "d-1", 1, 600), contracts.ErrConflict, "released only when its validator approves")
	mile := func(who, method string, seq uint64, extra ...tx.Arg) error {
		return c.Call(who, donation.Name, method,
			append([]tx.Arg{tx.String(donationvocab.ArgCampaignID, "heart"),
				tx.Uint(donationvocab.ArgMilestone, seq)}, extra...)...).Err
	}
	wantErr(t, mile("reg/validator", "approve_milestone", 1), contracts.ErrConflict, "submit evidence first")
	must(t, mile("hope/officer", "submit_evidence", 1, tx.Bytes(donationvocab.ArgEvidenceHash, chaintest.Seed("scan"))))
	// Separation of duties: the charity cannot approve its own milestone,
	// nor can a validator not named on it.
	wantErr(t, mile("hope/officer", "approve_milestone", 1), contracts.ErrDenied, `"approve" on milestone`)
	wantErr(t, mile("reg/validator2", "approve_milestone", 1), contracts.ErrDenied, "belonging to reg/validator")
	must(t, mile("reg/validator", "approve_milestone", 1))

	// Only the charity's own officers disburse.
	wantErr(t, disb("other/officer", "d-1", 1, 600), contracts.ErrDenied, "held by hope")
	wantErr(t, disb("hope/officer", "d-1", 1, 1001), contracts.ErrConflict, "has 10.00 EUR")
	must(t, disb("hope/officer", "d-1", 1, 600))
	d, err := donation.LoadDisbursement(c.Reader(), "d-1")
	must(t, err)
	// First in, first out: gift 1 (300), then 300 of gift 3.
	if want := []donation.Source{{Gift: g1, Amount: 300}, {Gift: g3, Amount: 300}}; len(d.Sources) != 2 ||
		d.Sources[0].Gift != want[0].Gift || d.Sources[0].Amount != 300 || d.Sources[1].Gift != g3 || d.Sources[1].Amount != 300 {
		t.Fatalf("sources %+v", d.Sources)
	}
	if u := gift(t, c, g1).Uses; len(u) != 1 || u[0].Disbursement != "d-1" {
		t.Fatalf("gift 1's lineage: %+v", u)
	}
	wantErr(t, c.Call("hope/donor1", donation.Name, donationvocab.MethodConfirmReceipt, tx.String(donationvocab.ArgDisbursementID, "d-1")).Err, contracts.ErrDenied, `"confirm" on disbursement`)
	must(t, c.Call("stmarys/clerk", donation.Name, donationvocab.MethodConfirmReceipt, tx.String(donationvocab.ArgDisbursementID, "d-1")).Err)
	conserved(t, c, "heart", gifts)

	// Milestone 2 misses its deadline: anyone settles it, its donors are
	// refunded; approving it afterwards is impossible.
	wantErr(t, mile("hope/donor2", "settle_milestone", 2), contracts.ErrConflict, "past its deadline")
	c.Now = c.Now.Add(3 * 24 * time.Hour)
	must(t, mile("hope/donor2", "settle_milestone", 2))
	if m := campaign(t, c, "heart").Milestones[1]; m.Status != donationvocab.MilestoneMissed || m.Refunded != 500 {
		t.Fatalf("missed milestone %+v", m)
	}
	if u := gift(t, c, g2).Uses; len(u) != 1 || u[0].Disbursement != "" || u[0].Amount != 200 {
		t.Fatalf("earmarked gift's refund: %+v", u)
	}
	conserved(t, c, "heart", gifts)

	// Closing needs the escrow empty; cancelling refunds what is left.
	wantErr(t, c.Call("hope/officer", donation.Name, donationvocab.MethodClose, tx.String(donationvocab.ArgCampaignID, "heart")).Err,
		contracts.ErrConflict, "400 in escrow")
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodCancel, tx.String(donationvocab.ArgCampaignID, "heart")).Err)
	if k := campaign(t, c,
		"heart"); k.Milestones[0].Status != donationvocab.MilestoneApproved || k.Milestones[1].Status != donationvocab.MilestoneMissed {
		t.Fatalf("milestones after cancel: %+v", k.Milestones)
	}
	g := gift(t, c, g3)
	if len(g.Uses) != 3 || g.Uses[2].Amount != 400 || g.Uses[2].Disbursement != "" {
		t.Fatalf("gift 3 lineage after cancel: %+v", g.Uses)
	}
	conserved(t, c, "heart", gifts)
	if _, err := give(c, "hope/donor1", "heart", 1, 0); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("gift to a cancelled campaign: %v", err)
	}
}

func TestEarmarkedFirstAndRejection(t *testing.T) {
	c := newChain(t)
	launch(t, c, "ward", ms(c, 300, "reg/validator", 5))
	a, err := give(c, "hope/donor1", "ward", 100, 0)
	must(t, err)
	b, err := give(c, "hope/donor2", "ward", 100, 1)
	must(t, err)
	releaseFirst(t, c, "ward")
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodDisburse,
		payout{"ward", 1, "w-1", "stmarys", 150, "beds", "R1", chaintest.Seed("inv")}.args()...).Err)
	d, _ := donation.LoadDisbursement(c.Reader(), "w-1")
	if len(d.Sources) != 2 || d.Sources[0].Gift != b || d.Sources[0].Amount != 100 || d.Sources[1].Gift != a || d.Sources[1].Amount != 50 {
		t.Fatalf("earmarked gift not drawn first: %+v", d.Sources)
	}
	conserved(t, c, "ward", []string{a, b})

	// A validator's rejection refunds the milestone's escrow.
	launch(t, c, "roof", ms(c, 100, "reg/validator", 5))
	r1, err := give(c, "hope/donor1", "roof", 60, 0)
	must(t, err)
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodSubmitEvidence, tx.String(donationvocab.ArgCampaignID, "roof"), tx.Uint(donationvocab.ArgMilestone, 1),
		tx.Bytes(donationvocab.ArgEvidenceHash, chaintest.Seed("e2"))).Err)
	must(t, c.Call("reg/validator", donation.Name, donationvocab.MethodRejectMilestone, tx.String(donationvocab.ArgCampaignID, "roof"), tx.Uint(donationvocab.ArgMilestone, 1)).Err)
	if g := gift(t, c, r1); len(g.Uses) != 1 || g.Uses[0].Amount != 60 {
		t.Fatalf("rejected milestone's gift: %+v", g.Uses)
	}
	conserved(t, c, "roof", []string{r1})
}

func TestCampaignValidation(t *testing.T) {
	c := newChain(t)
	for _, tc := range []struct {
		name, who string
		ms        []string
		want      error
		msg       string
	}{
		{"donor creates", "hope/donor1", []string{ms(c, 10, "reg/validator", 1)}, contracts.ErrDenied, `"create" on campaign`},
		{"in-house validator", "hope/officer", []string{ms(c, 10, "hope/inhouse", 1)}, contracts.ErrInvalid, "independent"},
		{"validator without the role", "hope/officer", []string{ms(c, 10, "stmarys/clerk", 1)}, contracts.ErrInvalid, "milestone_validator"},
		{"past deadline", "hope/officer", []string{ms(c, 10, "reg/validator", -1)}, contracts.ErrInvalid, "deadline has passed"},
		{"zero amount", "hope/officer", []string{ms(c, 0, "reg/validator", 1)}, contracts.ErrInvalid, "amount"},
		{"malformed", "hope/officer", []string{"lots"}, contracts.ErrInvalid, "must be"},
		{"none", "hope/officer", nil, contracts.ErrInvalid, "1 to 20 milestones"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, create(c, tc.who, "x-"+strings.ReplaceAll(tc.name, " ", "-"), tc.ms...), tc.want, tc.msg)
		})
	}
	err := c.Call("hope/officer", donation.Name, donationvocab.MethodCreateCampaign,
		tx.String(donationvocab.ArgCampaignID, "bad-cur"),
		tx.String(donationvocab.ArgTitle, "t"),
		tx.String(donationvocab.ArgCurrency, "euro"),
		tx.Strings(donationvocab.ArgMilestones, []string{ms(c, 10, "reg/validator", 1)})).Err
	wantErr(t, err, contracts.ErrInvalid, "ISO 4217")
	must(t, create(c, "hope/officer", "dup", ms(c, 10, "reg/validator", 1)))
	wantErr(t, create(c, "hope/officer", "dup", ms(c, 10, "reg/validator", 1)), contracts.ErrConflict, "dup")
	wantErr(t, c.Call("other/officer", donation.Name, donationvocab.MethodOpen, tx.String(donationvocab.ArgCampaignID, "dup")).Err,
		contracts.ErrDenied, "held by hope")
	if !slices.Contains(campaign(t, c, "dup").Beneficiaries, "stmarys") {
		t.Fatal("beneficiaries not kept")
	}
	must(t, c.Call("hope/officer", donation.Name, donationvocab.MethodCancel, tx.String(donationvocab.ArgCampaignID, "dup")).Err)
	if k := campaign(t, c,
		"dup"); k.Status != donationvocab.StatusCancelled || k.Milestones[0].Status != donationvocab.MilestoneCancelled {
		t.Fatalf("cancelled draft: %+v", k)
	}
}

// TestNoGiftsToAMissedMilestone: once a milestone's deadline has passed
// (settled or not), it takes no gifts: earmarked ones are refused with a
// clear reason, unearmarked ones go to the milestones still open.
func TestNoGiftsToAMissedMilestone(t *testing.T) {
	c := newChain(t)
	launch(t, c, "heart", ms(c, 1000, "reg/validator", 1), ms(c, 2000, "reg/validator", 30))
	c.Now = c.Now.Add(2 * 24 * time.Hour) // milestone 1 missed, not yet settled
	_, err := give(c, "hope/donor1", "heart", 100, 1)
	wantErr(t, err, contracts.ErrConflict, "milestone 1's deadline has passed")
	id, err := give(c, "hope/donor1", "heart", 500, 0)
	must(t, err)
	g, err := donation.LoadGift(c.Reader(), id)
	if err != nil || len(g.Allocations) != 1 || g.Allocations[0].Milestone != 2 {
		t.Fatalf("an unearmarked gift after milestone 1's deadline: %+v %v", g, err)
	}
}
