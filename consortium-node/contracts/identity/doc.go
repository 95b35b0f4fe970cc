// Package identity is the identity system contract: the consortium's
// organisations (hospital, insurer, charity, regulator) and their members,
// each with roles, an Ed25519 signing key and an X-Wing encryption key. An
// organisation admin adds members to their own organisation, changes their
// roles, rotates their keys and revokes them; a member may rotate their own
// keys. It also authenticates every transaction's sender (Authenticate; in
// block execution an Authenticator, which decodes a sender's member record
// again only when its bytes change).
//
// State (under "identity/"): "org/<id>" -> Org, "member/<id>" -> Member,
// both CBOR. Member ids are "<org>/<name>", so a member's organisation is
// visible in every id. Patients and donors are members too; no personal data
// is stored, only ids, roles and public keys.
//
// Its vocabulary (name, statuses or kinds, events, records, state keys and
// genesis writes) is defined once in package identity/vocab, which the portal
// imports too; this package names it and adds the execution. It imports
// the contract runtime (package contracts) and the vocabulary packages.
package identity
