// Package envelope owns the encryption of medical records and the wrapping of
// their data keys for readers (DESIGN.md decisions 4-7).
//
// # Record encryption
//
// Each record version is sealed once under a fresh 32-byte data key
// ([NewDataKey], [Seal], [Open]). The AEAD is AES-256-GCM from the Go
// standard library (crypto/aes, crypto/cipher; circl has no AES-GCM of its
// own and its HPKE uses the same code). The AES key and a 32-byte key
// commitment are derived from the data key with HKDF-SHA256 (crypto/hkdf);
// the commitment is stored in the header and checked before decryption.
// AES-GCM alone is not key-committing: without the commitment a dishonest
// custodian could craft one ciphertext (one ledger hash) that opens to two
// different plaintexts under two data keys given to two readers.
//
// Sealed record, format v1 (integers big-endian; offsets with n = len(record id)):
//
//	0      4   magic "ALMR"
//	4      1   format version, 0x01
//	5      1   AEAD id, 0x01 = AES-256-GCM with HKDF-SHA256 key derivation and key commitment
//	6      2   record id length n, 1..MaxIDLen
//	8      n   record id, UTF-8
//	8+n    8   record version
//	16+n   12  GCM nonce
//	28+n   32  key commitment
//	60+n   ... ciphertext || 16-byte GCM tag
//
// The header, bytes [0, 60+n), is the GCM additional data, so changing any
// header byte makes [Open] fail. [CiphertextHash] (SHA-256 of all the sealed
// bytes) is what goes on the ledger.
//
// # Key wrapping
//
// The data key is wrapped for each reader with HPKE (RFC 9180, circl hpke),
// base mode, KEM X-Wing (X25519 + ML-KEM-768, id 0x647a), KDF HKDF-SHA256
// (0x0001), AEAD AES-256-GCM (0x0002) ([Wrap], [Unwrap]). Wrapped keys may sit
// on the ledger for decades, hence the post-quantum KEM.
//
// Wrapped key, format v1 (n = len(record id), m = len(reader id)):
//
//	0        4     magic "ALMK"
//	4        1     format version, 0x01
//	5        2     HPKE KEM id, 0x647a (X-Wing)
//	7        2     HPKE KDF id, 0x0001 (HKDF-SHA256)
//	9        2     HPKE AEAD id, 0x0002 (AES-256-GCM)
//	11       2     record id length n, 1..MaxIDLen
//	13       n     record id, UTF-8
//	13+n     8     record version
//	21+n     2     reader id length m, 1..MaxIDLen
//	23+n     m     reader id, UTF-8
//	23+n+m   1120  HPKE encapsulated key (X-Wing ciphertext)
//	1143+n+m 48    HPKE ciphertext of the 32-byte data key || 16-byte tag
//
// The header, bytes [0, 23+n+m), is both the HPKE info and the HPKE seal
// additional data, so a wrapped key cannot be moved to another record,
// version or reader, nor relabelled.
//
// Reader keys are X-Wing keys: the 32-byte seed that dev key files store is
// also the X-Wing packed private key ([NewReaderKey]); the 1216-byte packed
// public key is what identity.EncryptionKey.Key holds on the ledger.
//
// # Encodings
//
// Both formats are fixed binary layouts rather than CBOR: the additional data
// is then literally the header prefix of the bytes, opening a large record
// needs no copy or re-encoding, and each value has exactly one encoding. The
// decoders ([ParseSealed], [ParseWrapped]) are strict: wrong magic, unknown
// format or algorithm, empty, over-long or non-UTF-8 ids, truncation and
// trailing bytes are all rejected. Golden-byte tests pin both formats. A new
// layout or algorithm gets a new format version or algorithm id; existing ids
// never change meaning.
//
// # Errors and secrets
//
// Every authentication or format failure wraps [ErrIntegrity]; unknown
// format versions and algorithms also wrap [ErrUnsupported]. Bad arguments
// wrap [ErrInvalid], bad key encodings [ErrBadKey]. Errors, String, GoString,
// Format and LogValue never contain key material or plaintext.
// [DataKey.Destroy] and [ReaderKey.Destroy] zeroise the key bytes this package
// holds; copies inside crypto/aes, HPKE contexts and circl's expanded ML-KEM
// key cannot be wiped from Go and are left to the garbage collector.
//
// # Imports
//
// The standard library, github.com/cloudflare/circl, and the dependency-free
// privacy/integrity (the integrity marker) and privacy/internal/binread (the
// strict reader of its formats) only. In particular it does not import
// consortium-node packages, so the portal, the CLI and the
// node can all use it: pass identity.EncryptionKey.Key (after checking its
// Alg is "xwing") to [Wrap].
package envelope
