// Package session owns the portal's accounts and credentials: accounts
// with argon2id password hashes (RFC 9106, PHC string format), browser
// sessions (a random token in an HttpOnly cookie plus a per-session CSRF
// token), and bearer API tokens for machine clients (scoped, revocable,
// expiring). Session and API token secrets are 256-bit random values
// stored only as SHA-256 hashes; passwords only as argon2id hashes.
//
// An account is named after the ledger member it acts as; the member's
// signing key lives in portal/keyring, never here.
//
// The data is in its own goleveldb folder (not the read model's, which is
// rebuildable and may be deleted at any time); a record that does not
// decode is ErrCorrupt, the integrity marker. Imports: goleveldb (opened
// through portal/internal/smalldb), golang.org/x/crypto/argon2,
// privacy/integrity and portal/defaults only.
package session
