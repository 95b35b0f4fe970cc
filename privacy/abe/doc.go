// Package abe owns role-based key wrapping inside one organisation with
// ciphertext-policy attribute-based encryption (DESIGN.md decision 5): a
// record's 32-byte data key is wrapped under a policy such as
//
//	org: stmarys and (role: physician or role: nurse)
//
// and any member of staff whose attribute key satisfies the policy can unwrap
// it, without the custodian wrapping it for each of them. The scheme is
// circl's abe/cpabe/tkn20 (Tomida, Kawahara, Nishimaki, PKC 2020, in its
// CCA-secure form). The package wraps an opaque data key; sealing records and
// HPKE wrapping for named readers belong to privacy/envelope.
//
// # Authorities and keys
//
// Each hospital is its own attribute authority ([Setup]): its public
// parameters ([PublicParams], identified by an [AuthorityID]) are published,
// its master secret ([Authority.MarshalSecret]) is kept in a keystore, and it
// issues [AttributeKey]s to its staff ([Authority.IssueKey]). Attribute keys
// of two authorities never decrypt each other's wrapped keys. Revoking an
// attribute key means wrapping new record versions under a new authority (or
// a policy with a fresh attribute); CP-ABE has no per-key revocation.
//
// # Policies
//
// See [WrapKey] for the grammar. tkn20's own parser silently ignores trailing
// input it cannot parse, so [CheckPolicy] validates the whole string against
// the grammar first. "not label: value" needs the key to carry the label with
// another value. A key carries one value per label, so use separate labels
// for independent facts (role, dept, site). A policy has at most
// [MaxPolicyLiterals] literals; the wrapped key grows by about 1.1 KiB per
// literal. The policy is not secret: it travels in clear in the wrapped key.
//
// # Wrapped key, format v1
//
// Integers are big-endian; n = len(record id):
//
//	0      4   magic "ALAW"
//	4      1   format version, 0x01
//	5      1   scheme id, 0x01 = tkn20
//	6      32  authority id
//	38     2   record id length n, 1..MaxRecordIDLen
//	40     n   record id, UTF-8
//	40+n   8   record version
//	48+n   ... tkn20 ciphertext (circl >= v1.3.8 format, carries the policy)
//
// The tkn20 plaintext is SHA-256("almoner/abe/wrap/v1\x00" || header) ||
// data key, where the header is bytes [0, 48+n). [UnwrapKey] checks the
// header against the record id and version it is asked for, decrypts, and
// checks the hash, so a wrapped key cannot be moved to another record,
// version or authority, nor relabelled. tkn20's CCA transform makes the
// ciphertext itself non-malleable.
//
// Key encodings (see [PublicParams.MarshalBinary], [Authority.MarshalSecret],
// [AttributeKey.MarshalSecret]) start with the magics "ALAP", "ALAS" and
// "ALAK", a format version and the scheme id. The layouts are binary rather
// than CBOR so that the header hashed into the plaintext is literally a
// prefix of the bytes, like privacy/envelope's formats.
//
// # Errors and secrets
//
// [ErrPolicy] means the key does not satisfy the policy (with
// [ErrWrongAuthority] when it belongs to another authority); every format or
// authentication failure wraps [ErrIntegrity] (and [ErrUnsupported] for an
// unknown format version or scheme). Authority and AttributeKey redact
// themselves in String, GoString, Format and LogValue, and no error contains
// key material. tkn20 keeps keys in big-integer and curve-point form that Go
// cannot reliably wipe; they are left to the garbage collector.
//
// # Imports
//
// The standard library, github.com/cloudflare/circl, and the dependency-free
// privacy/integrity (the integrity marker) and privacy/internal/binread (the
// strict reader of its formats) only, so the node, the portal and the CLI can
// all use it.
package abe
