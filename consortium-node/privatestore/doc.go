// Package privatestore is a custodian node's private store of medical
// record ciphertexts (DESIGN decisions 4, 6): it lives in the node's
// goleveldb under its own prefix. Raft and block sync never touch it; its
// versions are copied only among the custodian organisation's own nodes,
// each copy's data key wrapped for the receiving node (node/replicate.go,
// docs/decisions/0015).
//
// Per record version it keeps the sealed ciphertext (privacy/envelope)
// and the record's data key as the uploading staff member (or, for a
// copy, the sending node) sent it: wrapped with HPKE (X-Wing) to this
// node's encryption key and bound to the record, version and node, so
// data keys are encrypted at rest. A release unwraps the key and wraps it
// for the reader. Erasure destroys ciphertexts and keys (crypto-shredding)
// and leaves a tombstone, so later reads, uploads and copies fail with
// ErrErased.
package privatestore
