// Package record is the record system contract: the ledger side of
// encrypted medical records (DESIGN decisions 4, 6, 7). It holds, per
// record, the patient (a member id), the custodian hospital, a category
// code and, per version, the SHA-256 of the ciphertext — never health
// data. Ciphertexts and data keys stay in the custodian node's private
// store.
//
// Every read is a transaction: "access" names the consent (or, for a
// physician in an emergency, a break-glass reason) it relies on. The
// contract decides it deterministically and commits the decision either
// way — granted accesses and refused attempts are both on the ledger as
// access records and events — so the audit trail is complete by
// construction. The custodian serves a ciphertext only for a committed,
// granted, unexpired access. A patient reads their own records naming
// neither. Each granted break-glass access enters the custodian's review
// queue; its privacy officer closes it with "review_break_glass" and a
// coded outcome. Every method is authorised by the policy (the record is
// owned by its patient and held by its custodian). "erase" marks a record erased (the custodian
// then destroys ciphertexts and keys); the hashes stay as evidence.
//
// State (under "record/"): "r/<id>" -> Record, "v/<id>/<version>" ->
// Version, "a/<access tx id>" -> Access, "bg/<access tx id>" -> Review.
//
// Its name, statuses, events and reason codes are defined once in package
// record/vocab, which the portal imports too.
package record
