// Package claims is the portal's read model of the claim contract
// (consortium-node/contracts/claim): every claim with its items, linked
// records, the insurer's adjudication per item, the outcome, the amounts
// claimed, approved and left to the patient, the payment, its appeals and
// the history of its status changes; and per-insurer queues (all claims,
// and per status), per-provider and per-patient lists, newest first.
//
// The index is built from committed blocks only: the claim events, plus
// the arguments of the same successful transaction for what the events do
// not carry (items, linked records, per-item adjudication), and the record
// contract's access_granted and access_undelivered events of claims'
// documents, to know, as the ledger does, whether the insurer read a
// claim's document (claim.adjudicate requires it: DocumentRead). Deleting
// the read model rebuilds it identically.
//
// Keys under "x/claims/" ("<seq>" is "<height hex16>.<tx index hex6>" of
// the submitting transaction, so key order is submission order):
//
//	c/<claim>                          claim
//	i/<insurer>/<seq>                  claim id (the insurer's queue)
//	is/<insurer>/<status>/<seq>        claim id (the queue per status)
//	p/<provider>/<seq>                 claim id
//	pt/<patient>/<seq>                 claim id
//	d/<record>                         claim id: the record is a claim's document
//	rd/<record>/<version>/<org>        access id: the first read of that version of a
//	                                   claim's document by a member of org under a
//	                                   consent for "claims", not reported undelivered
//	ra/<access>                        its rd/ key (to unmark it on a report)
//
// Claim.Decision renders a claim's state for its FHIR ClaimResponse and
// ExplanationOfBenefit (claimdoc.FHIRClaim.ClaimResponse).
//
// Imports: portal/readmodel and the node's wire packages only.
package claims
