// Package seed loads the dev consortium's demo data through a node's API,
// as real signed transactions of the demo members: donors, an independent
// milestone validator's work, several campaigns with hundreds of gifts,
// approvals, disbursements and refunds; encrypted medical records of a few
// patients (FHIR bundles from a folder, stored on the custodian node),
// consents (granted, requested, revoked), accesses (consented, refused,
// break-glass and its review); and, when the claim contract is present,
// claims in every state with one bill funded by a charity campaign.
//
// It is deterministic for a given seed (member names, amounts, earmarks)
// and refuses to run twice on the same chain. It is for development
// consortia only: it reads the demo members' key files.
package seed
