package claims

import (
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
)

// Decision is the insurer's response to c as the ledger has it, for the
// FHIR ClaimResponse and ExplanationOfBenefit of its document
// (claimdoc.FHIRClaim.ClaimResponse): per item the claimed amount and,
// once adjudicated, the approved amount and reason; complete once an
// adjudication stands (adjudicated or paid), queued while the claim is
// filed, in review or under appeal (the items then show the adjudication
// appealed against, if any); the payment; and the time of the claim's
// latest change.
func (c *Claim) Decision() claimdoc.Decision {
	d := claimdoc.Decision{ClaimID: c.ID, Provider: c.Provider, Patient: c.Patient, Insurer: c.Insurer, Currency: c.Currency,
		Complete:  (c.Status == claimvocab.StatusAdjudicated || c.Status == claimvocab.StatusPaid) && c.Outcome != "",
		Cancelled: c.Status == claimvocab.StatusCancelled, Disposition: c.disposition(),
		Created: time.Unix(0, c.Time).UTC()}
	for i, it := range c.Items {
		di := claimdoc.DecisionItem{Claimed: it.Amount}
		if i < len(c.Adjudication) && c.Adjudication[i].Seq != 0 {
			di.Adjudicated, di.Approved, di.Reason = true, c.Adjudication[i].Approved, c.Adjudication[i].Reason
		}
		d.Items = append(d.Items, di)
	}
	for _, h := range c.History {
		d.Created = time.Unix(0, h.Time).UTC()
		if h.Status == claimvocab.StatusPaid && c.PaymentRef != "" {
			d.Payment = &claimdoc.Payment{Ref: c.PaymentRef, Amount: c.PaidAmount, Date: d.Created}
		}
	}
	return d
}

// disposition says in words where c stands.
func (c *Claim) disposition() string {
	outcome := map[string]string{claimvocab.OutcomeApproved: "approved",
		claimvocab.OutcomePartial: "partially approved", claimvocab.OutcomeDenied: "denied"}[c.Outcome]
	if c.Outcome == claimvocab.OutcomeDenied && c.DenialReason != "" {
		outcome += " (" + c.DenialReason + ")"
	}
	appealed, reason := "", ""
	if n := len(c.Appeals); n > 0 {
		reason = " (" + c.Appeals[n-1].Reason + ")"
		appealed = " after appeal" + reason
	}
	switch c.Status {
	case claimvocab.StatusSubmitted:
		return "filed; not yet in review"
	case claimvocab.StatusInReview:
		return "in review" + appealed
	case claimvocab.StatusAdjudicated:
		return outcome + appealed
	case claimvocab.StatusAppealed:
		return "the provider appealed" + reason + " the adjudication below; the insurer reviews the claim again"
	case claimvocab.StatusPaid:
		return outcome + appealed + "; paid"
	case claimvocab.StatusCancelled:
		return "withdrawn by the provider before adjudication"
	}
	return c.Status
}
