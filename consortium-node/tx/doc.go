// Package tx owns the transaction envelope: its encoding (canonical CBOR from
// package codec, decoded under the transaction limits), signing, limits,
// typed arguments, batch signature checks and the tx id.
//
// A signed transaction is the CBOR array [body, signature]. The signature
// covers "almoner/tx/v1\x00" || CBOR(body). The tx id is SHA-256 of the whole
// signed encoding. Decode accepts only canonical bytes (decoding and
// re-encoding must give the same bytes), so one transaction has exactly one
// id. This is a wire package: the node, its client, the CLI and the portal
// all use it.
package tx
