package scenario

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/fxamacker/cbor/v2"

	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

// views are the read-only commands, for the error message.
var views = []string{"claim", "campaign", "gift", "disbursement", "consent", recordvocab.Name,
	recordvocab.MethodAccess, "serve", "review", "proposal", "state"}

// shown prints a view of what a lookup found with show, or the lookup's
// error.
func shown[T any](show func(*T) string) func(*T, error) string {
	return func(v *T, err error) string {
		if err != nil {
			return err.Error()
		}
		return show(v)
	}
}

// view prints a view of the committed state; ok is false for an unknown
// command. A missing object prints the lookup's error: "not found" can be
// the point of a step.
func (e *env) view(t *testing.T, d *datadriven.TestData) (string, bool) {
	var name string
	if d.Cmd != "" && len(d.CmdArgs) > 0 && len(d.CmdArgs[0].Vals) == 0 {
		name = d.CmdArgs[0].Key
	}
	need := func() {
		if name == "" {
			d.Fatalf(t, "%s <id or label>", d.Cmd)
		}
	}
	txID := func() tx.ID {
		need()
		if id, ok := e.ids[name]; ok {
			return id
		}
		d.Fatalf(t, "%s %s: no transaction is labelled %q (labels so far: %s)", d.Cmd, name, name, strings.Join(e.order, ", "))
		return tx.ID{}
	}
	r := e.c.Reader()
	switch d.Cmd {
	case "claim":
		need()
		return shown(claimView)(claim.LoadClaim(r, name)), true
	case "campaign":
		need()
		return shown(campaignView)(donation.LoadCampaign(r, name)), true
	case "gift":
		return shown(e.lineage)(donation.LoadGift(r, txID().String())), true
	case "disbursement":
		need()
		return shown(disbursementView)(donation.LoadDisbursement(r, name)), true
	case "consent":
		need()
		return shown(consentView)(consent.Load(r, name)), true
	case "record":
		need()
		return shown(recordView)(record.LoadRecord(r, name)), true
	case "access":
		return shown(accessView)(record.LoadAccess(r, txID())), true
	case "serve":
		id := txID()
		var reader string
		for _, a := range d.CmdArgs[1:] {
			if a.Key == "reader" && len(a.Vals) == 1 {
				reader = a.Vals[0]
			}
		}
		if reader == "" {
			d.Fatalf(t, "serve <access label> reader=<member>")
		}
		// The custodian checks at the time of the next block.
		a, rec, err := record.Servable(r, id, reader, e.c.Now)
		if err != nil {
			return fmt.Sprintf("at %s: refused: %v", stamp(e.c.Now.Unix()), err), true
		}
		return fmt.Sprintf("at %s: served: record %s version %d to %s", stamp(e.c.Now.Unix()), rec.ID, a.Version, reader), true
	case "review":
		return shown(reviewView)(record.LoadReview(r, txID())), true
	case "proposal":
		return shown(proposalView)(governance.Status(r, txID().String(), e.c.Now)), true
	case "state":
		need()
		b, ok := r.Get(name)
		if !ok {
			return fmt.Sprintf("%s: absent", name), true
		}
		s, err := cbor.Diagnose(b)
		if err != nil {
			return fmt.Sprintf("%s: not CBOR (%v): %x", name, err, b), true
		}
		return fmt.Sprintf("%s: %s", name, s), true
	}
	return "", false
}

func campaignView(c *donation.Campaign) string {
	var b strings.Builder
	fmt.Fprintf(&b, "campaign %s %q of %s: %s; raised %d of %d %s", c.ID, c.Title, c.Charity, c.Status, c.Raised, c.Goal, c.Currency)
	if len(c.Beneficiaries) > 0 {
		fmt.Fprintf(&b, "; beneficiaries %s", strings.Join(c.Beneficiaries, ", "))
	}
	b.WriteString("\n")
	for _, m := range c.Milestones {
		fmt.Fprintf(&b, "  milestone %d %q: %s; amount %d, funded %d, disbursed %d, refunded %d, escrow %d; validator %s, deadline %s",
			m.Seq, m.Title, m.Status, m.Amount, m.Funded, m.Disbursed, m.Refunded, m.Funded-m.Disbursed-m.Refunded, m.Validator, stamp(m.Deadline))
		if len(m.Evidence) > 0 {
			fmt.Fprintf(&b, "; evidence %x", m.Evidence[:4])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// lineage prints a gift's path: campaign, milestone allocations, and each
// use — a disbursement with its payee and confirmation, or a refund with
// why (the milestone's fate).
func (e *env) lineage(g *donation.Gift) string {
	r := e.c.Reader()
	var b strings.Builder
	fmt.Fprintf(&b, "gift %s: %d %s from %s to campaign %s at height %d", g.ID, g.Amount, g.Currency, g.Donor, g.Campaign, g.Height)
	if g.Beneficiary != "" {
		fmt.Fprintf(&b, " for %s", g.Beneficiary)
	}
	b.WriteString("\n")
	for _, a := range g.Allocations {
		mark := ""
		if a.Earmarked {
			mark = " (earmarked)"
		}
		fmt.Fprintf(&b, "  allocated %d to milestone %d%s; %d left in escrow\n", a.Amount, a.Milestone, mark, a.Left)
	}
	c, cerr := donation.LoadCampaign(r, g.Campaign)
	for _, u := range g.Uses {
		if u.Disbursement == "" {
			why := "?"
			if cerr == nil && u.Milestone >= 1 && u.Milestone <= uint64(len(c.Milestones)) {
				switch st := c.Milestones[u.Milestone-1].Status; {
				case st == donationvocab.MilestoneRejected || st == donationvocab.MilestoneMissed:
					why = "milestone " + st
				case c.Status == donationvocab.StatusCancelled:
					why = "campaign cancelled"
				default:
					why = "milestone " + st
				}
			}
			fmt.Fprintf(&b, "  refunded %d from milestone %d at height %d (%s)\n", u.Amount, u.Milestone, u.Height, why)
			continue
		}
		fmt.Fprintf(&b, "  disbursed %d from milestone %d at height %d in %s", u.Amount, u.Milestone, u.Height, u.Disbursement)
		if d, err := donation.LoadDisbursement(r, u.Disbursement); err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		} else {
			fmt.Fprintf(&b, " -> %s, %s", d.Payee, confirmed(d))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func confirmed(d *donation.Disbursement) string {
	if d.Confirmed {
		return "receipt confirmed"
	}
	return "receipt not confirmed"
}

func disbursementView(d *donation.Disbursement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "disbursement %s: %d from campaign %s milestone %d to %s for %q, payment %s, invoice %x, at height %d, %s",
		d.ID, d.Amount, d.Campaign, d.Milestone, d.Payee, d.Purpose, d.PaymentRef, d.Evidence[:min(4, len(d.Evidence))], d.Height, confirmed(d))
	if d.Claim != "" {
		fmt.Fprintf(&b, "; pays claim %s", d.Claim)
	}
	b.WriteString("\n")
	for _, s := range d.Sources {
		fmt.Fprintf(&b, "  from gift %s: %d\n", s.Gift, s.Amount)
	}
	return b.String()
}

func consentView(c *consent.Consent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "consent %s: %s; patient %s, grantee %s, action %s, purpose %s, records [%s], categories [%s], period %s to %s, version %d",
		c.ID, c.Status, c.Patient, c.Grantee, c.Action, c.Purpose, strings.Join(c.Records, " "), strings.Join(c.Categories, " "),
		stamp(c.Start), stamp(c.End), c.Version)
	fmt.Fprintf(&b, "; scope %s, category %s, actor role %s", c.Scope, c.Category, c.ActorRole)
	if c.Requester != "" {
		fmt.Fprintf(&b, "; requested by %s", c.Requester)
	}
	if c.GrantedHeight != 0 {
		fmt.Fprintf(&b, "; since height %d", c.GrantedHeight)
	}
	if c.RevokedHeight != 0 {
		fmt.Fprintf(&b, "; revoked at height %d", c.RevokedHeight)
	}
	return b.String()
}

func recordView(rec *record.Record) string {
	return fmt.Sprintf("record %s: patient %s, custodian %s, category %s, version %d, created %s, erased %t",
		rec.ID, rec.Patient, rec.Custodian, rec.Category, rec.Latest, stamp(rec.Created), rec.Erased)
}

func reviewView(rv *record.Review) string {
	note := ""
	if len(rv.NoteHash) > 0 {
		note = fmt.Sprintf(", note %x", rv.NoteHash[:4])
	}
	return fmt.Sprintf("review of %s: %s by %s at height %d%s", rv.Access, rv.Outcome, rv.Reviewer, rv.Height, note)
}

func accessView(a *record.Access) string {
	var b strings.Builder
	fmt.Fprintf(&b, "access %s by %s to record %s version %d for %s at height %d: ", a.TxID, a.Reader, a.Record, a.Version, a.Purpose, a.Height)
	if a.Granted {
		fmt.Fprintf(&b, "granted until %s", stamp(a.Expires))
	} else {
		fmt.Fprintf(&b, "refused: %s", a.Refusal)
	}
	switch {
	case a.Consent != "":
		fmt.Fprintf(&b, "; relies on consent %s", a.Consent)
	case a.BreakGlass != "":
		fmt.Fprintf(&b, "; break-glass %s", a.BreakGlass)
	}
	return b.String()
}

func proposalView(v *governance.View) string {
	votes := func(vs []governance.Vote) string {
		var s []string
		for _, x := range vs {
			s = append(s, fmt.Sprintf("%s (%s, height %d)", x.Org, x.Member, x.Height))
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "proposal %s: %s; %s by %s at height %d, expires %s\n", v.ID, v.State, v.Kind, v.Proposer, v.Height, stamp(v.Expires))
	fmt.Fprintf(&b, "  approvals %s, rejections %s\n", votes(v.Approvals), votes(v.Rejections))
	fmt.Fprintf(&b, "  needed %d of %d organisations (over %d%%); missing [%s]\n", v.Tally.Needed, len(v.Tally.Orgs), v.Tally.Percent, strings.Join(sortedCopy(v.Tally.Missing), " "))
	if v.Result != "" {
		fmt.Fprintf(&b, "  result: %s\n", v.Result)
	}
	return b.String()
}

// claimView prints a claim as the ledger holds it: no service codes or
// dates (they are in its document), the amounts, the decision, the share.
func claimView(c *claim.Claim) string {
	var b strings.Builder
	share, _ := claim.PatientShare(c)
	fmt.Fprintf(&b, "claim %s: %s, provider %s, insurer %s, patient %s, %s\n", c.ID, c.Status, c.Provider, c.Insurer, c.Patient, c.Currency)
	fmt.Fprintf(&b, "document %s v%d; linked %v; %d item fingerprints\n", c.Document, c.DocumentVersion, c.LinkedRecords, len(c.ItemKeys))
	for i, it := range c.Items {
		fmt.Fprintf(&b, "item %d: claimed %d", it.Seq, it.Amount)
		if i < len(c.Adjudication) {
			fmt.Fprintf(&b, ", approved %d", c.Adjudication[i].Approved)
			if r := c.Adjudication[i].Reason; r != "" {
				fmt.Fprintf(&b, " (%s)", r)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "claimed %d, approved %d, patient share %d", c.Claimed(), c.Approved(), share)
	if c.Outcome != "" {
		fmt.Fprintf(&b, "; %s", c.Outcome)
	}
	if c.DenialReason != "" {
		fmt.Fprintf(&b, " (%s)", c.DenialReason)
	}
	if c.Appeals > 0 {
		fmt.Fprintf(&b, "; appealed %d times (%s)", c.Appeals, c.AppealReason)
	}
	if c.PaymentRef != "" {
		fmt.Fprintf(&b, "; paid %d ref %s", c.PaidAmount, c.PaymentRef)
	}
	return b.String()
}
