// Package privatestore is a custodian node's private store of medical
// record ciphertexts (DESIGN decisions 4, 6): it lives in the node's
// goleveldb under its own prefix and is never replicated (raft carries
// transactions, block sync carries blocks; neither touches it).
//
// Per record version it keeps the sealed ciphertext (privacy/envelope)
// and the record's data key exactly as the uploading staff member sent it:
// wrapped with HPKE (X-Wing) to this node's encryption key and bound to
// the record, version and node, so data keys are encrypted at rest. A
// release unwraps the key and wraps it for the reader. Erasure destroys
// ciphertexts and keys (crypto-shredding) and leaves a tombstone, so later
// reads fail with ErrErased.
package privatestore
