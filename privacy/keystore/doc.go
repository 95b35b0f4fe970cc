// Package keystore owns private keys at rest (DESIGN.md decisions 5-7):
// signing seeds, an authority's CP-ABE master secret, a custodian's reader
// keys. Each secret is sealed with AES-256-GCM under a key derived either
// from a passphrase (argon2id, RFC 9106) or from a 32-byte organisation key
// (for unattended nodes whose organisation key comes from an HSM, a KMS or a
// sealed file). [Seal] and [Unseal] work on byte slices; [Store] keeps
// entries in a directory.
//
// # Entry format v1
//
// Integers are big-endian.
//
//	0    4   magic "ALKS"
//	4    1   format version, 0x01
//	5    1   protection: 0x01 passphrase (argon2id), 0x02 organisation key
//	passphrase:
//	6    4   argon2id time (passes)
//	10   4   argon2id memory, KiB
//	14   1   argon2id threads
//	organisation key:
//	6    1   organisation key id length k, 1..64
//	7    k   organisation key id
//	then, from o = 15 (passphrase) or 7+k (organisation key):
//	o    1   salt length s, 16..64 (16 written)
//	o+1  s   salt
//	     1   entry id length n, 1..64
//	     n   entry id
//	     4   entry version, >= 1
//	     16  key check value
//	     12  AES-GCM nonce
//	     ... AES-256-GCM ciphertext of the secret || 16-byte tag
//
// The header, every byte before the ciphertext, is the AES-GCM additional
// data. Keys: R = argon2id(passphrase, salt, time, memory, threads, 32) or
// R = the organisation key; then HKDF-SHA256(R, salt,
// "almoner/keystore/v1\x00" || protection byte) gives 48 bytes: the AES-256
// key and the 16-byte check value. The check value tells a wrong passphrase
// or organisation key ([ErrWrongPassphrase], [ErrWrongOrgKey]) from a
// corrupt or tampered entry ([ErrIntegrity]); it lets an attacker test a
// passphrase guess no faster than the GCM tag would. A corrupted salt, KDF
// parameter or check value changes the derived key and so also reads as a
// wrong passphrase; every other change reads as ErrIntegrity. The entry id
// and version in the header must match the ones asked for, so a file copied
// to another name does not open.
//
// Decoders reject parameters above [MaxKDFTime], [MaxKDFMemoryKiB] and
// [MaxKDFThreads] before deriving anything, so a hostile file cannot make a
// reader allocate more than 1 GiB. Writers use [Options.KDF] (default
// [DefaultKDF], t=3, m=64 MiB, p=4), which [Options.Validate] keeps at or
// above [MinKDF] unless InsecureWeakKDF is set (tests only).
//
// # Store layout, versions and rotation
//
// A [Store] directory (mode 0700, refused if group- or world-writable) holds
// one file per entry version, "<id>@v<N>.key", mode 0600 (refused on read
// if group or others have any access). Writes go to a temporary file that
// is fsynced, then renamed (replacing a version) or hard-linked (creating
// one, so that two writers cannot both create the same version), and the
// directory is fsynced.
//
//   - [Store.Put] creates version 1 of a new id.
//   - [Store.Rotate] is key rotation: it adds version N+1 with a new secret,
//     which becomes current ("id" resolves to it), while earlier versions
//     stay readable as "id@vN" (to verify old signatures, unwrap old
//     records) until [Store.Delete] removes them. All versions of an id are
//     kept under one protector: Rotate must be given the protector that
//     opens the current version.
//   - [Store.Rewrap] changes the protector (new passphrase, new KDF
//     parameters, a passphrase to an organisation key or back) for every
//     version of an id, one atomic file replacement at a time; re-running it
//     after an interruption skips the versions already rewrapped.
//   - [Store.List] reads headers only.
//
// # Secrets in memory, logs and errors
//
// [Secret], [OrgKey] and passphrase protectors redact themselves in String,
// GoString, Format and LogValue; no error contains a secret, a passphrase
// or key material (tests format every error and scan for them). Logs carry
// ids, versions and the protection kind only. Secret.Destroy and
// OrgKey.Destroy wipe the bytes this package holds; copies inside
// crypto/aes and argon2's work area cannot be wiped from Go.
//
// # Imports
//
// The standard library, golang.org/x/crypto/argon2, and the dependency-free
// privacy/integrity (the integrity marker), privacy/fsync (the folder sync)
// and privacy/internal/binread (the strict reader of the entry format) only.
package keystore
