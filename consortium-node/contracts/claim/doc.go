// Package claim is the claim system contract: insurance claims modelled on
// FHIR R4 Claim and ClaimResponse. A claim names its provider (the
// hospital that files it), the patient (a pseudonymous member id), the
// insurer, its items (a service code, the service date and the amount in
// integer minor units of the claim's one ISO 4217 currency) and the
// records that support it; the insurer's adjudication (per item: the
// approved amount and, when reduced, a reason code), the outcome and the
// payment follow on the same entry. No clinical text is ever stored:
// services are codes, reasons are codes from fixed lists, records are ids.
//
// Lifecycle (every method checks the current status and fails with
// ErrConflict otherwise; every method asks the policy, with the claim as
// Resource{Type: "claim", Owner: patient, Org: provider or insurer}):
//
//	submit      provider staff (Org = provider)       -> submitted
//	review      insurer's adjuster (Org = insurer)    submitted | appealed -> in_review
//	adjudicate  insurer's adjuster                    in_review -> adjudicated
//	            (outcome approved | partially_approved | denied)
//	pay         insurer's adjuster                    adjudicated, not denied -> paid
//	appeal      provider staff                        adjudicated, denied or partially_approved -> appealed
//	cancel      provider staff                        submitted | in_review -> cancelled
//
// An appeal does not reopen the claim by itself: it puts the claim in the
// insurer's queue as "appealed" (with a reason code), and the insurer's
// review moves it back to in_review for a new adjudication, which replaces
// the one appealed against. A claim is appealed at most MaxAppeals times.
// A paid claim is final; so a partially approved claim is either paid or
// appealed, not both.
//
// Duplicate reimbursement: the claim's fingerprint is the SHA-256 of a
// domain-separated canonical encoding of the provider, the patient and the
// sorted (service code, date) pairs. "fp/<hex>" maps it to the claim, and
// every item also reserves its own key "fi/<hex>" (provider, patient,
// code, date, occurrence), so a second claim for the same services — or
// for any of them — fails at every insurer with an ErrConflict that says
// only that a claim for these services was already filed. A cancelled
// claim releases its keys; a denied one keeps them (appeal instead).
//
// The patient's share (claimed minus approved) stands once the claim is
// adjudicated or paid (PatientShare); the claim_adjudicated event carries
// it too, so a charity campaign (the donation contract) can fund it.
//
// An adjuster reads a linked record only through the record contract's
// access, naming a consent of the patient for purpose "claims"
// (AccessArgs builds the call).
//
// State (under "claim/"): "c/<id>" -> Claim, "fp/<hex>" -> claim id,
// "fi/<hex>" -> claim id. Events: claim_submitted, claim_in_review,
// claim_adjudicated, claim_paid, claim_appealed, claim_cancelled.
package claim
