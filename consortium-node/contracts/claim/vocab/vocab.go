// Package vocab is the claim contract's vocabulary, defined once: its name,
// the statuses it writes for a claim, the outcomes of an adjudication, the
// reason codes an insurer or a provider gives, the arguments its methods
// read (Arg*), and the events the portal's read model follows and their
// attributes (Attr*), declared per method and event by Shape. The claim
// contract (consortium-node/contracts/claim), the claim document package
// (claim/claimdoc), the portal's read model (portal/claims) and its GraphQL
// module (graphql/claimgql) import it; it imports only contracts/vocab, so
// a portal may use it without reaching into the node. Tests on each side
// check that every status the contract can write is known to them.
package vocab

import "github.com/almoner/almoner/consortium-node/contracts/vocab"

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

// Methods of the contract.
const (
	MethodSubmit     = "submit"
	MethodReview     = "review"
	MethodAdjudicate = "adjudicate"
	MethodPay        = "pay"
	MethodAppeal     = "appeal"
	MethodCancel     = "cancel"
)

// Arguments of the contract's methods.
const (
	ArgClaimID                = "claim_id"
	ArgPatient                = "patient"
	ArgInsurer                = "insurer"
	ArgCurrency               = "currency"
	ArgAmounts                = "amounts" // each item's amount in minor units
	ArgDocument               = "document"
	ArgDocumentVersion        = "document_version"
	ArgDocumentCiphertextHash = "document_ciphertext_hash"
	ArgKeyID                  = "key_id"
	ArgFingerprint            = "fingerprint"
	ArgItemFingerprints       = "item_fingerprints"
	ArgRecords                = "records"
	ArgProvider               = "provider"
	ArgAdjudication           = "adjudication"
	ArgDenialReason           = "denial_reason"
	ArgPaymentRef             = "payment_ref"
	ArgAmount                 = "amount"
	ArgReason                 = "reason"
)

// Attributes of the contract's events.
const (
	AttrOrg             = "org"
	AttrKeyID           = "key_id"
	AttrClaim           = "claim"
	AttrProvider        = "provider"
	AttrInsurer         = "insurer"
	AttrPatient         = "patient"
	AttrBy              = "by"
	AttrTotal           = "total"
	AttrCurrency        = "currency"
	AttrItems           = "items"
	AttrRecords         = "records"
	AttrDocument        = "document"
	AttrDocumentVersion = "document_version"
	AttrAppeals         = "appeals"
	AttrOutcome         = "outcome"
	AttrApproved        = "approved"
	AttrClaimed         = "claimed"
	AttrPatientShare    = "patient_share"
	AttrDocumentAccess  = "document_access"
	AttrDenialReason    = "denial_reason"
	AttrPaymentRef      = "payment_ref"
	AttrAmount          = "amount"
	AttrReason          = "reason"
	AttrAppeal          = "appeal"
)

// Shape declares the arguments each method reads and the attributes each
// event carries (every claim event starts with the claim, its provider,
// insurer and patient, and who acted).
func Shape() vocab.Shape {
	claim := func(more ...string) []string {
		return append([]string{AttrClaim, AttrProvider, AttrInsurer, AttrPatient, AttrBy}, more...)
	}
	return vocab.Shape{
		Methods: map[string][]string{
			MethodSubmit: {ArgClaimID, ArgPatient, ArgInsurer, ArgCurrency, ArgAmounts, ArgDocument, ArgDocumentVersion,
				ArgDocumentCiphertextHash, ArgKeyID, ArgFingerprint, ArgItemFingerprints, ArgRecords, ArgProvider},
			MethodReview:     {ArgClaimID},
			MethodAdjudicate: {ArgClaimID, ArgAdjudication, ArgDenialReason},
			MethodPay:        {ArgClaimID, ArgPaymentRef, ArgAmount},
			MethodAppeal:     {ArgClaimID, ArgReason},
			MethodCancel:     {ArgClaimID},
		},
		Events: map[string][]string{
			EventClaimsKeyRegistered: {AttrOrg, AttrKeyID},
			EventSubmitted: claim(AttrTotal, AttrCurrency, AttrItems, AttrRecords, AttrDocument,
				AttrDocumentVersion),
			EventInReview: claim(AttrAppeals),
			EventAdjudicated: claim(AttrOutcome, AttrApproved, AttrClaimed, AttrPatientShare, AttrCurrency,
				AttrDocumentAccess, AttrDenialReason),
			EventPaid:      claim(AttrPaymentRef, AttrAmount, AttrCurrency),
			EventAppealed:  claim(AttrReason, AttrAppeal, AttrOutcome),
			EventCancelled: claim(),
		},
		Optional: map[string][]string{EventAdjudicated: {AttrDenialReason}}, // a denial's
	}
}
