// Package merkle computes RFC 6962 (Certificate Transparency) Merkle tree
// roots and inclusion proofs over SHA-256, for the transaction and receipt
// roots in block headers.
//
// Hashing uses github.com/transparency-dev/merkle/rfc6962 and verification
// uses that library's proof verifier, so a proof produced here is checked by
// independent code; only proof generation (RFC 6962 section 2.1.1 PATH) is
// ours.
package merkle
