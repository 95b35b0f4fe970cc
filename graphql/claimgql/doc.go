// Package claimgql is the GraphQL module of insurance claims: an
// insurer's claim queue (claimQueue, newest first, by status), a
// provider's filed claims (providerClaims), a patient's own (myClaims),
// claim(id) with items, per-item adjudication, outcome, amounts, payment
// and appeals, the claimStatus subscription, and the signed mutations of
// the claim contract (submitClaim, submitFhirClaim, reviewClaim,
// adjudicateClaim, payClaim, appealClaim, cancelClaim).
//
// submitFhirClaim files a hospital's own FHIR R4 Claim as it is: refused
// with every problem by path (extensions.problems) when claimdoc.ParseFHIR
// does not accept it, else kept as the claim's encrypted document with
// the ledger's amounts and keyed fingerprints derived from it.
// openClaimDocument answers the document with the claim's FHIR
// ClaimResponse and ExplanationOfBenefit (they show services, so each
// fetch is a read of the document on the ledger).
//
// Reads are authorised with the ledger's policy (schema.Config.Allowed) the
// way the contract asks it: obj "claim", act "read", owner the patient,
// org the insurer or the provider; so the insurer's adjusters, the
// provider's staff, the patient and auditors read a claim, anyone else gets
// FORBIDDEN. Mutations (schema.TxMutation) are checked the same way before signing (act
// submit, review, adjudicate, pay, appeal, cancel); the ledger decides.
package claimgql
