// Package records is the portal's side of encrypted medical records
// (DESIGN decisions 4-7): it seals a record for its custodian
// organisation's node and uploads it, signed by the acting member; and it
// fetches a record under a committed, granted access and opens it with
// the reader's key. Both keys come from the portal keystore and never
// leave the portal; the plaintext goes only to the member it was
// released to. Nothing here logs a record's content.
//
// The ledger side (register, access) is the caller's: Store returns the
// ciphertext hash that record.register needs, and Open needs the id of a
// committed record.access transaction.
package records
