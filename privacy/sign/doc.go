// Package sign owns Almoner's signature key types. Every key and signature
// carries an algorithm tag so that ML-DSA-65 or a hybrid can be added without
// changing the ledger formats. Today the only algorithm is Ed25519: keys are
// made and messages signed with circl's sign/ed25519, and signatures are
// verified by the ZIP-215 rules (github.com/hdevalence/ed25519consensus),
// one by one or in batches (BatchVerifier), which accept exactly the same
// signatures, so all nodes do whichever way they verify
// (docs/decisions/0042-ed25519-zip215-batch.md).
//
// Private keys never appear in String, GoString, error messages or logs.
package sign
