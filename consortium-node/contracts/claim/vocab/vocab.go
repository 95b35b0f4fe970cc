// Package vocab is the claim contract's vocabulary, defined once: its name,
// the statuses it writes for a claim, the outcomes of an adjudication, the
// reason codes an insurer or a provider gives, and the events the portal's
// read model follows. The claim contract (consortium-node/contracts/claim),
// the claim document package (claim/claimdoc), the portal's read model
// (portal/claims) and its GraphQL enums (graphql/claimgql) import it; it
// imports nothing, so a portal may use it without reaching into the node.
// Tests on each side check that every status the contract can write is
// known to them.
package vocab

// Name is the claim contract's name.
const Name = "claim"

// Statuses of a claim.
const (
	StatusSubmitted   = "submitted"
	StatusInReview    = "in_review"
	StatusAdjudicated = "adjudicated"
	StatusAppealed    = "appealed"
	StatusPaid        = "paid"
	StatusCancelled   = "cancelled"
)

// Statuses lists every status a claim can have.
func Statuses() []string {
	return []string{StatusSubmitted, StatusInReview, StatusAdjudicated, StatusAppealed, StatusPaid, StatusCancelled}
}

// Outcomes of an adjudication (FHIR ClaimResponse: complete or partial).
const (
	OutcomeApproved = "approved"
	OutcomePartial  = "partially_approved"
	OutcomeDenied   = "denied"
)

// Outcomes lists every outcome.
func Outcomes() []string { return []string{OutcomeApproved, OutcomePartial, OutcomeDenied} }

// AdjudicationReasons are the codes an insurer gives for a reduced item or
// a denied claim (after the X12 claim adjustment reason groups). Free text
// could carry health data onto an immutable ledger, so the ledger holds a
// code.
func AdjudicationReasons() []string {
	return []string{
		"not-covered", "plan-limit", "not-medically-necessary", "prior-authorization-required", "out-of-network",
		"patient-ineligible", "coding-error", "missing-documentation", "contractual-adjustment", "duplicate-service",
		"timely-filing",
	}
}

// AppealReasons are the codes a provider gives for an appeal.
func AppealReasons() []string {
	return []string{
		"coding-corrected", "documentation-added", "medical-necessity", "prior-authorization-obtained",
		"coverage-dispute", "contract-rate-dispute",
	}
}

// Events the contract emits that others read.
const (
	EventSubmitted           = "claim_submitted"
	EventInReview            = "claim_in_review"
	EventAdjudicated         = "claim_adjudicated"
	EventPaid                = "claim_paid"
	EventAppealed            = "claim_appealed"
	EventCancelled           = "claim_cancelled"
	EventClaimsKeyRegistered = "claims_key_registered"
)

// Events lists every event the contract emits.
func Events() []string {
	return []string{EventSubmitted, EventInReview, EventAdjudicated, EventPaid, EventAppealed, EventCancelled,
		EventClaimsKeyRegistered}
}
