package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"

	"github.com/almoner/almoner/privacy/internal/binread"
)

// Format constants.
const (
	// Magic starts every entry.
	Magic = "ALKS"
	// FormatV1 is the only format version written by this package.
	FormatV1 = 1
	// SaltSize is the salt length written; entries with 16..64 bytes read.
	SaltSize = 16
	// CheckSize is the size of the key check value.
	CheckSize = 16
	// NonceSize is the AES-GCM nonce size.
	NonceSize = 12
	// TagSize is the AES-GCM tag size.
	TagSize = 16
	// MaxSecretSize is the largest secret an entry holds.
	MaxSecretSize = 64 << 10
	// MaxNameLen is the longest entry id or organisation key id.
	MaxNameLen = 64

	minSalt = 16
	maxSalt = 64
	// maxHeader bounds the header: fixed fields plus the longest ids and salt.
	maxHeader = 4 + 1 + 1 + 1 + MaxNameLen + 1 + maxSalt + 1 + MaxNameLen + 4 + CheckSize + NonceSize
	// MaxEntrySize is the largest entry a decoder accepts.
	MaxEntrySize = maxHeader + MaxSecretSize + TagSize
)

// kdfInfo is the HKDF info prefix; the protection byte follows it.
const kdfInfo = "almoner/keystore/v1\x00"

// Header is the clear-text part of an entry. ParseHeader does not
// authenticate it; Unseal does (it is the AES-GCM additional data).
type Header struct {
	Format     uint8
	Protection Protection
	// KDF is set for ProtectPassphrase.
	KDF KDFParams
	// OrgKeyID is set for ProtectOrgKey.
	OrgKeyID string
	Salt     []byte
	ID       string
	Version  uint32
	Check    [CheckSize]byte
	Nonce    [NonceSize]byte
}

func appendHeader(b []byte, h *Header) []byte {
	b = append(b, Magic...)
	b = append(b, h.Format, byte(h.Protection))
	switch h.Protection {
	case ProtectPassphrase:
		b = binary.BigEndian.AppendUint32(b, h.KDF.Time)
		b = binary.BigEndian.AppendUint32(b, h.KDF.MemoryKiB)
		b = append(b, h.KDF.Threads)
	case ProtectOrgKey:
		b = append(b, byte(len(h.OrgKeyID)))
		b = append(b, h.OrgKeyID...)
	}
	b = append(b, byte(len(h.Salt)))
	b = append(b, h.Salt...)
	b = append(b, byte(len(h.ID)))
	b = append(b, h.ID...)
	b = binary.BigEndian.AppendUint32(b, h.Version)
	b = append(b, h.Check[:]...)
	return append(b, h.Nonce[:]...)
}

// reader decodes an entry: the strict reader of privacy's formats
// (binread), whose first failure sticks, plus the entry's names.
type reader struct{ *binread.Reader }

func newReader(b []byte) reader {
	return reader{binread.New(b, binread.Format{Integrity: ErrIntegrity, Unsupported: ErrUnsupported})}
}

// name reads a 1-byte-length-prefixed entry or key id.
func (r reader) name(field string) string {
	s := r.Bytes8(field)
	if r.Err() != nil {
		return ""
	}
	if err := checkName(field, string(s)); err != nil {
		r.Fail("bad %s", field)
		return ""
	}
	return string(s)
}

// parseEntry splits an entry into its header, the header's length and the
// AES-GCM ciphertext.
func parseEntry(b []byte) (h Header, n int, ct []byte, err error) {
	if len(b) > MaxEntrySize {
		return Header{}, 0, nil, fmt.Errorf("%w: entry is %d bytes, limit %d", ErrIntegrity, len(b), MaxEntrySize)
	}
	r := newReader(b)
	r.Magic(Magic)
	h.Format = r.Known8("format version", FormatV1)
	h.Protection = Protection(r.U8("protection"))
	switch {
	case r.Err() != nil:
	case h.Protection == ProtectPassphrase:
		h.KDF.Time = r.U32("argon2id time")
		h.KDF.MemoryKiB = r.U32("argon2id memory")
		h.KDF.Threads = r.U8("argon2id threads")
		if r.Err() == nil {
			if err := h.KDF.check(); err != nil {
				r.Fail("%v", err)
			}
		}
	case h.Protection == ProtectOrgKey:
		h.OrgKeyID = r.name("organisation key id")
	default:
		r.Unsupported("protection %d", uint8(h.Protection))
	}
	sl := int(r.U8("salt length"))
	if r.Err() == nil && (sl < minSalt || sl > maxSalt) {
		r.Fail("salt length %d out of range %d..%d", sl, minSalt, maxSalt)
	}
	h.Salt = r.Take(sl, "salt")
	h.ID = r.name("entry id")
	h.Version = r.U32("entry version")
	if r.Err() == nil && h.Version == 0 {
		r.Fail("entry version 0")
	}
	copy(h.Check[:], r.Take(CheckSize, "key check"))
	copy(h.Nonce[:], r.Take(NonceSize, "nonce"))
	n = r.Offset()
	if r.Err() == nil && len(b)-n < TagSize+1 {
		r.Fail("truncated ciphertext")
	}
	if r.Err() != nil {
		return Header{}, 0, nil, r.Err()
	}
	return h, n, b[n:], nil
}

// ParseHeader decodes an entry's header without authenticating it or
// opening it. Any format failure wraps ErrIntegrity.
func ParseHeader(entry []byte) (Header, error) {
	h, _, _, err := parseEntry(entry)
	if err != nil {
		return Header{}, err
	}
	h.Salt = append([]byte(nil), h.Salt...)
	return h, nil
}

// deriveKeys returns the AES-256 key and the key check value for an entry.
func deriveKeys(h *Header, p Protector) (aesKey []byte, check [CheckSize]byte, err error) {
	var root []byte
	switch pk := p.(type) {
	case passphrase:
		if err := pk.check(); err != nil {
			return nil, check, err
		}
		root = argon2.IDKey(pk.bytes(), h.Salt, h.KDF.Time, h.KDF.MemoryKiB, h.KDF.Threads, 32)
	case *OrgKey:
		if err := pk.check(); err != nil {
			return nil, check, err
		}
		root = append([]byte(nil), (*pk.s).key[:]...)
	default:
		return nil, check, fmt.Errorf("%w: unknown protector", ErrInvalid)
	}
	defer clear(root)
	okm, err := hkdf.Key(sha256.New, root, h.Salt, kdfInfo+string([]byte{byte(h.Protection)}), 32+CheckSize)
	if err != nil {
		return nil, check, fmt.Errorf("keystore: hkdf: %w", err)
	}
	copy(check[:], okm[32:])
	clear(okm[32:])
	return okm[:32:32], check, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keystore: aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts secret as version of entry id under p. A passphrase entry
// uses opts.KDF, which must pass opts.Validate; randomness comes from
// opts.Rand.
func Seal(opts Options, p Protector, id string, version uint32, secret []byte) ([]byte, error) {
	if err := checkName("entry id", id); err != nil {
		return nil, err
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: entry version must be at least 1", ErrInvalid)
	}
	if len(secret) == 0 || len(secret) > MaxSecretSize {
		return nil, fmt.Errorf("%w: secret must be 1..%d bytes", ErrInvalid, MaxSecretSize)
	}
	h := Header{Format: FormatV1, ID: id, Version: version, Salt: make([]byte, SaltSize)}
	switch pk := p.(type) {
	case passphrase:
		if err := opts.Validate(); err != nil {
			return nil, err
		}
		h.Protection, h.KDF = ProtectPassphrase, opts.KDF
	case *OrgKey:
		if err := pk.check(); err != nil {
			return nil, err
		}
		h.Protection, h.OrgKeyID = ProtectOrgKey, pk.ID()
	default:
		return nil, fmt.Errorf("%w: nil or unknown protector", ErrInvalid)
	}
	if _, err := io.ReadFull(opts.rand(), h.Salt); err != nil {
		return nil, fmt.Errorf("keystore: reading randomness: %w", err)
	}
	if _, err := io.ReadFull(opts.rand(), h.Nonce[:]); err != nil {
		return nil, fmt.Errorf("keystore: reading randomness: %w", err)
	}
	key, check, err := deriveKeys(&h, p)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	h.Check = check
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := appendHeader(make([]byte, 0, maxHeader+len(secret)+TagSize), &h)
	return aead.Seal(out, h.Nonce[:], secret, out), nil
}

// Unseal decrypts an entry written by Seal for entry id and version. It
// fails with ErrWrongPassphrase or ErrWrongOrgKey when p is not the key the
// entry was sealed under, ErrWrongProtector when the entry is protected the
// other way, and ErrIntegrity when the entry is corrupt, tampered with, or
// was written for another id or version.
func Unseal(entry []byte, p Protector, id string, version uint32) (*Secret, error) {
	h, n, ct, err := parseEntry(entry)
	if err != nil {
		return nil, err
	}
	if h.ID != id || h.Version != version {
		return nil, fmt.Errorf("%w: entry is %s@v%d, not %s@v%d", ErrIntegrity, h.ID, h.Version, id, version)
	}
	wrong := ErrWrongPassphrase
	switch pk := p.(type) {
	case passphrase:
		if h.Protection != ProtectPassphrase {
			return nil, fmt.Errorf("%w: %s@v%d needs organisation key %q", ErrWrongProtector, id, version, h.OrgKeyID)
		}
	case *OrgKey:
		if h.Protection != ProtectOrgKey {
			return nil, fmt.Errorf("%w: %s@v%d needs a passphrase", ErrWrongProtector, id, version)
		}
		if err := pk.check(); err != nil {
			return nil, err
		}
		if pk.ID() != h.OrgKeyID {
			return nil, fmt.Errorf("%w: %s@v%d is sealed under organisation key %q, not %q", ErrWrongOrgKey, id, version, h.OrgKeyID, pk.ID())
		}
		wrong = ErrWrongOrgKey
	default:
		return nil, fmt.Errorf("%w: nil or unknown protector", ErrInvalid)
	}
	key, check, err := deriveKeys(&h, p)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	if subtle.ConstantTimeCompare(check[:], h.Check[:]) != 1 {
		return nil, fmt.Errorf("%w: %s@v%d", wrong, id, version)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, h.Nonce[:], ct, entry[:n])
	if err != nil {
		return nil, fmt.Errorf("%w: %s@v%d does not authenticate", ErrIntegrity, id, version)
	}
	return newSecret(pt), nil
}
