// Package claimdoc owns the off-ledger half of an insurance claim: the
// itemised claim document and the keyed fingerprints that keep duplicate
// claims out without putting health data on the ledger.
//
// A Document is what the provider files: the services (code and date),
// their amounts, the parties and the supporting records. Its document is
// a FHIR R4 Claim stored as an encrypted record of category "claim" held
// by the provider; the claim contract keeps only the amounts, the
// document's record id and the fingerprints. The FHIR Claim is either the
// hospital's own (ParseFHIR validates any R4 Claim a billing system
// writes and says what is wrong, path by path, in a ClaimError; the
// consortium's parties are the filing's, FHIRClaim.Document) or one made
// by MarshalFHIR (which names the parties by identifier; Parse). Read
// reads either for a filed claim.
//
// A service is its canonical service code (ServiceCode: code system,
// code, modifiers and body sites, normalised) and its date; service.go
// says what makes two services the same, which is what the item
// fingerprints compare (decision 0019).
//
// ClaimResponse and ExplanationOfBenefit render the insurer's decision as
// the ledger has it (a Decision) on a claim's FHIR document.
//
// Key is a hospital's claims fingerprint key: 32 secret bytes that the
// hospital's filing service holds (a file, mode 0600; `consortium-node
// init --dev` writes claims-keys/<org>.key for each hospital) and nobody
// else does. Duplicates are the same provider's by definition (the
// provider is in every fingerprint), so one key per provider is enough,
// and only the provider — which knows its own bills — could invert its
// fingerprints by guessing. Its id (an HMAC of a fixed label, which
// commits the hospital to the key for audits) is on the ledger, so a
// filing service with the wrong key is refused with a clear error.
// Fingerprints are HMAC-SHA256 under the key over a domain-separated
// canonical CBOR encoding: the claim's over (provider, patient, sorted
// services), each item's over (provider, patient, code, date,
// occurrence). Without the key, nobody can test a guess of a patient's
// services against them.
//
// SubmitArgs builds the claim.submit arguments from a document; Verify
// checks a claim on the ledger against the document an adjuster read.
package claimdoc
