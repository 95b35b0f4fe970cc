// Package sign owns Almoner's signature key types. Every key and signature
// carries an algorithm tag so that ML-DSA-65 or a hybrid can be added without
// changing the ledger formats. Today the only algorithm is Ed25519, verified
// with circl's sign/ed25519 on every node so all nodes accept exactly the
// same signatures.
//
// Private keys never appear in String, GoString, error messages or logs.
package sign
