// Package codec owns Almoner's canonical CBOR: the one encoding of
// everything that is signed, hashed, stored or sent between nodes (RFC 8949
// core deterministic encoding, via github.com/fxamacker/cbor/v2).
//
// Marshal encodes. Decoding is strict whatever the use: no indefinite
// lengths, no tags, no duplicate map keys, no unknown struct fields, and the
// decoded value must re-encode to exactly the input (one value, one
// encoding). What differs between uses is how much a decoder accepts: the
// bytes, the nesting depth, the array and map sizes. Each use decodes with
// its own limits: the presets [State], [Ledger], [Peer] and [API] (see
// limits.go for what each covers and why), or a [Decoder] built from
// [Limits] by the package that owns a format (package tx for transactions).
//
// # Imports
//
// The standard library and fxamacker/cbor only, so the node, its client,
// the CLI and the portal may all import it.
package codec
