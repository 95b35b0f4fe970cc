// Package claim is the claim system contract: insurance claims modelled on
// FHIR R4 Claim and ClaimResponse. A claim names its provider (the
// hospital that files it), the patient (a pseudonymous member id), the
// insurer, its items' amounts (integer minor units of the claim's one ISO
// 4217 currency), its document and the records that support it; the
// insurer's adjudication (per item: the approved amount and, when
// reduced, a reason code), the outcome and the payment follow on the same
// entry.
//
// No health data is on the ledger. Which services a patient received, and
// when, is health data, so service codes and dates are not in the
// contract's state or arguments: the itemised claim (a FHIR Claim, built
// by package claimdoc) is an encrypted record of category "claim" held by
// the provider — the claim's document — read by the insurer's adjuster
// through the record contract under the patient's consent, like any
// record. Reasons are codes from fixed lists; records are ids.
//
// Lifecycle (every method checks the current status and fails with
// ErrConflict otherwise; every method asks the policy, with the claim as
// Resource{Type: "claim", Owner: patient, Org: provider or insurer}):
//
//	submit      provider staff (Org = provider)       -> submitted
//	review      insurer's adjuster (Org = insurer)    submitted | appealed -> in_review
//	adjudicate  insurer's adjuster                    in_review -> adjudicated
//	            (outcome approved | partially_approved | denied),
//	            once the insurer has read the claim's document
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
// Duplicate reimbursement: the claim's fingerprint is a keyed hash
// (HMAC-SHA256 under the provider's claims fingerprint key, which only
// that hospital holds; duplicates are the same provider's) of the provider,
// the patient and the sorted (service code, date) pairs, and every item
// has its own keyed fingerprint (provider, patient, code, date,
// occurrence). A plain hash would let anyone who reads the ledger test
// guesses ("did this patient have code 99213 on 30 October?") against
// it; a keyed one reveals nothing to insurers, other hospitals,
// charities, regulators or the public. The filer computes them
// (claimdoc.Key); the contract checks that they were made with the
// provider's key (its id is in state under "key/<org>", set at genesis),
// then "fp/<hex>" maps the claim fingerprint to
// the claim and "fi/<hex>" each item fingerprint, so a second claim for
// the same services — or for any of them — fails at every insurer with
// an ErrConflict that says only that a claim for these services was
// already filed. A cancelled claim releases its keys; a denied one keeps
// them (appeal instead). The key id on the ledger commits the hospital to
// its key, so an audit can recompute the fingerprints from the documents
// (claimdoc.Verify) with the document's ciphertext hash as evidence; an
// insurer's portal checks the document's content (claimdoc.VerifyContent).
//
// The patient's share (claimed minus approved) stands once the claim is
// adjudicated or paid (PatientShare); the claim_adjudicated event carries
// it too, so a charity campaign (the donation contract) can fund it.
//
// An adjuster reads the document and the linked records only through the
// record contract's access, naming a consent of the patient for purpose
// "claims" (AccessArgs builds the call).
//
// Nobody adjudicates blind: adjudicate fails with ErrDocumentNotRead (an
// ErrConflict) unless a member of the claim's insurer holds an access to
// the claim's document at its filed version, granted under a consent for
// purpose "claims" and not reported by its reader as undelivered. The
// record contract marks the first such access under
// claimdoc.DocumentReadKey (in its own state) and removes the mark when
// the reader reports that access undelivered; adjudicate reads the mark
// and names the access in claim_adjudicated (document_access). The filed
// version never changes, so the adjudication after an appeal relies on
// the same read. Pay needs an adjudicated claim, so it needs the read
// too (decision 0017).
//
// State (under "claim/"): "key/<org>" -> the hospital's fingerprint key id, "c/<id>" -> Claim,
// "fp/<hex>" -> claim id, "fi/<hex>" -> claim id, "doc/<record>" -> claim
// id (a document supports one claim). Events: claim_submitted, claim_in_review,
// claim_adjudicated, claim_paid, claim_appealed, claim_cancelled.
//
// Its name, statuses, events and reason codes are defined once in package
// claim/vocab, which the portal imports too.
package claim
