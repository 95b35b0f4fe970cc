package claims

import (
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
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
		Complete:  (c.Status == StatusAdjudicated || c.Status == StatusPaid) && c.Outcome != "",
		Cancelled: c.Status == StatusCancelled, Disposition: c.disposition(), Created: time.Unix(0, c.Time).UTC()}
	for i, it := range c.Items {
		di := claimdoc.DecisionItem{Claimed: it.Amount}
		if i < len(c.Adjudication) && c.Adjudication[i].Seq != 0 {
			di.Adjudicated, di.Approved, di.Reason = true, c.Adjudication[i].Approved, c.Adjudication[i].Reason
		}
		d.Items = append(d.Items, di)
	}
	for _, h := range c.History {
		d.Created = time.Unix(0, h.Time).UTC()
		if h.Status == StatusPaid && c.PaymentRef != "" {
			d.Payment = &claimdoc.Payment{Ref: c.PaymentRef, Amount: c.PaidAmount, Date: d.Created}
		}
	}
	return d
}

// disposition says in words where c stands.
func (c *Claim) disposition() string {
	outcome := map[string]string{OutcomeApproved: "approved", OutcomePartial: "partially approved", OutcomeDenied: "denied"}[c.Outcome]
	if c.Outcome == OutcomeDenied && c.DenialReason != "" {
		outcome += " (" + c.DenialReason + ")"
	}
	appealed, reason := "", ""
	if n := len(c.Appeals); n > 0 {
		reason = " (" + c.Appeals[n-1].Reason + ")"
		appealed = " after appeal" + reason
	}
	switch c.Status {
	case StatusSubmitted:
		return "filed; not yet in review"
	case StatusInReview:
		return "in review" + appealed
	case StatusAdjudicated:
		return outcome + appealed
	case StatusAppealed:
		return "the provider appealed" + reason + " the adjudication below; the insurer reviews the claim again"
	case StatusPaid:
		return outcome + appealed + "; paid"
	case StatusCancelled:
		return "withdrawn by the provider before adjudication"
	}
	return c.Status
}
