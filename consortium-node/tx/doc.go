// Package tx owns the transaction envelope: its deterministic CBOR encoding
// (RFC 8949 core deterministic), signing, limits, and the tx id.
//
// A signed transaction is the CBOR array [body, signature]. The signature
// covers "almoner/tx/v1\x00" || CBOR(body). The tx id is SHA-256 of the whole
// signed encoding. Decode accepts only canonical bytes (decoding and
// re-encoding must give the same bytes), so one transaction has exactly one
// id. This is a wire package: the node, its client, the CLI and the portal
// all use it.
package tx
