package abe

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/cloudflare/circl/abe/cpabe/tkn20"
)

// bindDomain separates the header hash inside the ABE plaintext.
const bindDomain = "almoner/abe/wrap/v1\x00"

// WrappedHeader is the clear-text header of a wrapped key. ParseWrapped does
// not authenticate it: UnwrapKey does, because the tkn20 plaintext carries a
// hash of the header.
type WrappedHeader struct {
	Format    uint8
	Scheme    Scheme
	Authority AuthorityID
	RecordID  string
	Version   uint64
}

func appendWrappedHeader(b []byte, h *WrappedHeader) []byte {
	b = append(b, WrappedMagic...)
	b = append(b, h.Format, byte(h.Scheme))
	b = append(b, h.Authority[:]...)
	b = appendRecordID(b, h.RecordID)
	return appendU64(b, h.Version)
}

// parseWrapped splits a wrapped key into its header, the header's length and
// the tkn20 ciphertext.
func parseWrapped(b []byte) (h WrappedHeader, n int, ct []byte, err error) {
	if len(b) > MaxWrappedSize {
		return WrappedHeader{}, 0, nil, fmt.Errorf("%w: wrapped key is %d bytes, limit %d", ErrIntegrity, len(b), MaxWrappedSize)
	}
	r := newReader("wrapped key", b)
	r.Magic(WrappedMagic)
	h.Format = r.Known8("format version", FormatV1)
	h.Scheme = Scheme(r.Known8("scheme id", uint8(SchemeTKN20)))
	copy(h.Authority[:], r.Take(len(h.Authority), "authority id"))
	h.RecordID = r.recordID()
	h.Version = r.U64("record version")
	n = r.Offset()
	if r.Err() == nil && n == len(b) {
		r.Fail("truncated tkn20 ciphertext")
	}
	if r.Err() != nil {
		return WrappedHeader{}, 0, nil, r.Err()
	}
	return h, n, b[n:], nil
}

// ParseWrapped decodes the header of a wrapped key and the policy it was
// wrapped under, without authenticating either. Any format failure wraps
// ErrIntegrity. The policy is returned in tkn20's normalised form, e.g.
// "(org:stmarys and (role:physician or role:nurse))".
func ParseWrapped(wrapped []byte) (WrappedHeader, string, error) {
	h, _, ct, err := parseWrapped(wrapped)
	if err != nil {
		return WrappedHeader{}, "", err
	}
	var p tkn20.Policy
	if err := p.ExtractFromCiphertext(ct); err != nil {
		return WrappedHeader{}, "", fmt.Errorf("%w: wrapped key: tkn20 ciphertext does not decode", ErrIntegrity)
	}
	return h, p.String(), nil
}

// parsePolicy checks policy with CheckPolicy and compiles it with tkn20.
func parsePolicy(policy string) (tkn20.Policy, error) {
	var p tkn20.Policy
	if err := CheckPolicy(policy); err != nil {
		return p, err
	}
	if err := p.FromString(policy); err != nil {
		return p, fmt.Errorf("%w: policy: %v", ErrInvalid, err)
	}
	return p, nil
}

func checkRecord(recordID string) error {
	switch {
	case recordID == "":
		return fmt.Errorf("%w: empty record id", ErrInvalid)
	case len(recordID) > MaxRecordIDLen:
		return fmt.Errorf("%w: record id is %d bytes, limit %d", ErrInvalid, len(recordID), MaxRecordIDLen)
	case !utf8.ValidString(recordID):
		return fmt.Errorf("%w: record id is not UTF-8", ErrInvalid)
	}
	return nil
}

// binding is the 32-byte value that ties the tkn20 plaintext to the header.
func binding(header []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(bindDomain))
	h.Write(header)
	return [32]byte(h.Sum(nil))
}

// WrapKey wraps a 32-byte data key under policy for the authority whose
// public parameters are pub, bound to recordID and version. It reads
// randomness from r (crypto/rand when r is nil).
//
// The policy grammar (tkn20's, checked strictly by CheckPolicy):
//
//	policy  = or
//	or      = and { "or" and }
//	and     = not { "and" not }
//	not     = "not" not | "(" or ")" | literal
//	literal = label ":" value
//
// Labels and values are [A-Za-z0-9_]+ and case-sensitive; "and" binds
// tighter than "or"; whitespace is free. "not role: nurse" is satisfied by a
// key that has a "role" attribute with another value, never by a key with no
// "role" at all. For example:
//
//	org: stmarys and (role: physician or role: nurse)
//	org: stmarys and dept: cardiology and not role: student
//
// The policy is visible to anyone who sees the wrapped key.
func WrapKey(r io.Reader, pub *PublicParams, policy string, dataKey []byte, recordID string, version uint64) ([]byte, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: nil public parameters", ErrInvalid)
	}
	if len(dataKey) != DataKeySize {
		return nil, fmt.Errorf("%w: data key is %d bytes, want %d", ErrInvalid, len(dataKey), DataKeySize)
	}
	if err := checkRecord(recordID); err != nil {
		return nil, err
	}
	p, err := parsePolicy(policy)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = rand.Reader
	}
	h := WrappedHeader{Format: FormatV1, Scheme: SchemeTKN20, Authority: pub.id, RecordID: recordID, Version: version}
	out := appendWrappedHeader(make([]byte, 0, 8<<10), &h)
	bind := binding(out)
	var msg [len(bind) + DataKeySize]byte
	copy(msg[:], bind[:])
	copy(msg[len(bind):], dataKey)
	ct, err := pub.pk.Encrypt(r, p, msg[:])
	clear(msg[:])
	if err != nil {
		return nil, fmt.Errorf("abe: tkn20 encryption: %w", err)
	}
	out = append(out, ct...)
	if len(out) > MaxWrappedSize {
		return nil, fmt.Errorf("%w: wrapped key would be %d bytes, limit %d", ErrInvalid, len(out), MaxWrappedSize)
	}
	return out, nil
}

// UnwrapKey recovers the data key wrapped by WrapKey for recordID and
// version. It fails with ErrPolicy when key's attributes do not satisfy the
// policy, ErrPolicy and ErrWrongAuthority when key was issued by another
// authority, and ErrIntegrity when the bytes were tampered with or were
// wrapped for another record or version. The caller should wipe the
// returned key after use.
func UnwrapKey(key *AttributeKey, wrapped []byte, recordID string, version uint64) ([]byte, error) {
	if key == nil || key.s == nil {
		return nil, fmt.Errorf("%w: nil attribute key", ErrInvalid)
	}
	h, n, ct, err := parseWrapped(wrapped)
	if err != nil {
		return nil, err
	}
	if h.RecordID != recordID || h.Version != version {
		return nil, fmt.Errorf("%w: wrapped key is for another record or version", ErrIntegrity)
	}
	if h.Authority != key.st().authority {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, ErrWrongAuthority)
	}
	var p tkn20.Policy
	if err := p.ExtractFromCiphertext(ct); err != nil {
		return nil, fmt.Errorf("%w: wrapped key: tkn20 ciphertext does not decode", ErrIntegrity)
	}
	if !p.Satisfaction(key.st().tattrs) {
		return nil, ErrPolicy
	}
	msg, err := key.st().ak.Decrypt(ct)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped key does not decrypt", ErrIntegrity)
	}
	defer clear(msg)
	bind := binding(wrapped[:n])
	if len(msg) != len(bind)+DataKeySize || subtle.ConstantTimeCompare(msg[:len(bind)], bind[:]) != 1 {
		return nil, fmt.Errorf("%w: wrapped key is not bound to its header", ErrIntegrity)
	}
	return append([]byte(nil), msg[len(bind):]...), nil
}
