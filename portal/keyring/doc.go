// Package keyring holds the signing keys of the portal's users in the
// project keystore (privacy/keystore) and signs transactions with them on
// the user's behalf (DESIGN.md decision 10). Keys are sealed under the
// portal's organisation key (an unattended service has no one to type a
// passphrase; the key file, or an HSM/KMS in production, protects them)
// and are never returned to callers: the operations use them in place
// (Sign, SignPrivate) or hand out only what one read needs (ReaderKey).
// EnsureKeys generates a new member's keys and returns only the public
// halves; Discard destroys keys the ledger never accepted.
//
// Imports: privacy/keystore, privacy/envelope, privacy/sign, privacy/fsync,
// the node's wire packages (tx, api, genesis for the key-file format) and
// portal/defaults.
package keyring
