package abe

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/cloudflare/circl/abe/cpabe/tkn20"

	"github.com/almoner/almoner/privacy/integrity"
	"github.com/almoner/almoner/privacy/internal/redact"
)

// Errors returned by this package. Test with errors.Is.
var (
	// ErrIntegrity marks every authentication or format failure: tampered,
	// truncated or relabelled bytes, or a wrapped key presented for another
	// record or version. It is integrity.ErrFailed.
	ErrIntegrity = integrity.New("abe: integrity check failed")
	// ErrPolicy means the attribute key does not satisfy the policy the data
	// key was wrapped under (including a key of another authority).
	ErrPolicy = errors.New("abe: attribute key does not satisfy the policy")
	// ErrWrongAuthority is wrapped, together with ErrPolicy, when the key was
	// issued by another attribute authority than the one the data key was
	// wrapped for.
	ErrWrongAuthority = errors.New("abe: attribute key is from another authority")
	// ErrUnsupported is wrapped, together with ErrIntegrity, when the bytes
	// name a format version or scheme this build does not know.
	ErrUnsupported = errors.New("abe: unsupported format or scheme")
	// ErrInvalid marks bad arguments: a malformed policy or attribute, an
	// empty or over-long record id, a data key that is not 32 bytes.
	ErrInvalid = errors.New("abe: invalid argument")
	// ErrBadKey marks malformed encodings of public parameters, authority
	// secrets and attribute keys.
	ErrBadKey = errors.New("abe: malformed key")
)

// Scheme identifies the CP-ABE scheme. The numeric value is part of every
// encoding of this package and never changes meaning.
type Scheme uint8

const (
	// SchemeTKN20 is circl's abe/cpabe/tkn20 (Tomida-Kawahara-Nishimaki 2020,
	// CCA-secure variant, ciphertext format of circl >= v1.3.8).
	SchemeTKN20 Scheme = 1
)

// String returns the scheme's name.
func (s Scheme) String() string {
	if s == SchemeTKN20 {
		return "tkn20"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// Format constants.
const (
	// FormatV1 is the only format version written by this package.
	FormatV1 = 1
	// DataKeySize is the size of the data keys that WrapKey wraps.
	DataKeySize = 32
	// MaxRecordIDLen is the longest record id, in bytes (as in envelope).
	MaxRecordIDLen = 256
	// MaxWrappedSize is the largest wrapped key UnwrapKey accepts; a policy
	// at MaxPolicyLiterals stays well below it.
	MaxWrappedSize = 24 << 10

	// Magics of the encodings.
	PublicParamsMagic = "ALAP"
	AuthorityMagic    = "ALAS"
	AttributeKeyMagic = "ALAK"
	WrappedMagic      = "ALAW"

	maxKeyBlob = 64 << 10 // bound on a tkn20 key blob inside our encodings
)

// authorityDomain separates authority ids from other hashes.
const authorityDomain = "almoner/abe/authority/v1\x00"

// AuthorityID names an attribute authority: the SHA-256 of a domain string
// and the authority's encoded public parameters. It is public.
type AuthorityID [32]byte

// String returns the id in lower-case hex.
func (id AuthorityID) String() string { return hex.EncodeToString(id[:]) }

// PublicParams are an authority's public parameters: anyone holding them can
// wrap a data key under a policy over that authority's attributes. They are
// immutable and safe for concurrent use.
type PublicParams struct {
	id  AuthorityID
	enc []byte // the full ALAP encoding
	pk  tkn20.PublicKey
}

func newPublicParams(pk tkn20.PublicKey) (*PublicParams, error) {
	raw, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("abe: encoding public parameters: %w", err)
	}
	enc := make([]byte, 0, 6+len(raw))
	enc = append(enc, PublicParamsMagic...)
	enc = append(enc, FormatV1, byte(SchemeTKN20))
	enc = append(enc, raw...)
	return &PublicParams{id: authorityIDOf(enc), enc: enc, pk: pk}, nil
}

func authorityIDOf(enc []byte) AuthorityID {
	h := sha256.New()
	h.Write([]byte(authorityDomain))
	h.Write(enc)
	return AuthorityID(h.Sum(nil))
}

// ID returns the authority's id.
func (p *PublicParams) ID() AuthorityID { return p.id }

// MarshalBinary returns the encoding:
// magic "ALAP" | format 0x01 | scheme 0x01 | tkn20 public key.
func (p *PublicParams) MarshalBinary() ([]byte, error) { return slices.Clone(p.enc), nil }

// UnmarshalPublicParams decodes public parameters written by MarshalBinary.
func UnmarshalPublicParams(b []byte) (*PublicParams, error) {
	if len(b) > maxKeyBlob {
		return nil, fmt.Errorf("%w: public parameters are %d bytes", ErrBadKey, len(b))
	}
	r := newKeyReader("public parameters", PublicParamsMagic, b)
	if r.Err() != nil {
		return nil, badKey(r.Err())
	}
	var pk tkn20.PublicKey
	if err := pk.UnmarshalBinary(b[r.Offset():]); err != nil {
		return nil, fmt.Errorf("%w: public parameters: %v", ErrBadKey, err)
	}
	// Re-encode so that the id is a function of the key, not of the bytes.
	p, err := newPublicParams(pk)
	if err != nil {
		return nil, err
	}
	if string(p.enc) != string(b) {
		return nil, fmt.Errorf("%w: public parameters are not canonically encoded", ErrBadKey)
	}
	return p, nil
}

// badKey re-labels a decoding failure of a key encoding as ErrBadKey (and
// keeps ErrUnsupported where it applies).
func badKey(err error) error {
	if errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("%w: %w: %v", ErrBadKey, ErrUnsupported, err)
	}
	return fmt.Errorf("%w: %v", ErrBadKey, err)
}

// Authority is a hospital's attribute authority: its public parameters and
// its master secret, from which it issues attribute keys to its staff. It is
// safe for concurrent use. Its formatting methods redact the master secret,
// and a copied Authority value shares the original's state.
type Authority struct {
	redactedAuthority
	// The state sits two pointers deep: fmt, printing an unexported field
	// with a verb its type does not support (%s on a struct), restarts at
	// depth 0 and would expand a pointer to a struct, secrets included; a
	// pointer to a pointer is printed as an address.
	s **authority
}

type authorityLabel struct{}

func (authorityLabel) Redacted() string { return "abe.Authority(redacted)" }

// redactedAuthority gives Authority its formatting methods (String,
// GoString, Format, LogValue), which never reveal the master secret.
type redactedAuthority = redact.Label[authorityLabel]

func (a *Authority) st() *authority { return *a.s }

type authority struct {
	pub *PublicParams
	msk tkn20.SystemSecretKey
}

// Setup creates a new authority, reading randomness from r (crypto/rand when
// r is nil).
func Setup(r io.Reader) (*Authority, error) {
	if r == nil {
		r = rand.Reader
	}
	pk, msk, err := tkn20.Setup(r)
	if err != nil {
		return nil, fmt.Errorf("abe: setup: %w", err)
	}
	pub, err := newPublicParams(pk)
	if err != nil {
		return nil, err
	}
	st := &authority{pub: pub, msk: msk}
	return &Authority{s: &st}, nil
}

// Public returns the authority's public parameters.
func (a *Authority) Public() *PublicParams { return a.st().pub }

// ID returns the authority's id.
func (a *Authority) ID() AuthorityID { return a.st().pub.id }

// MarshalSecret encodes the authority, master secret included, for a
// keystore (privacy/keystore) or an HSM; never store it in the clear:
//
//	magic "ALAS" | format 0x01 | scheme 0x01 |
//	u32 n | public parameters encoding (n bytes) | tkn20 master secret
func (a *Authority) MarshalSecret() ([]byte, error) {
	msk, err := a.st().msk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("abe: encoding master secret: %w", err)
	}
	b := make([]byte, 0, 10+len(a.st().pub.enc)+len(msk))
	b = append(b, AuthorityMagic...)
	b = append(b, FormatV1, byte(SchemeTKN20))
	b = appendU32(b, uint32(len(a.st().pub.enc)))
	b = append(b, a.st().pub.enc...)
	b = append(b, msk...)
	clear(msk)
	return b, nil
}

// UnmarshalAuthority decodes an authority written by MarshalSecret. The
// caller should wipe b afterwards.
func UnmarshalAuthority(b []byte) (*Authority, error) {
	if len(b) > 2*maxKeyBlob {
		return nil, fmt.Errorf("%w: authority is %d bytes", ErrBadKey, len(b))
	}
	r := newKeyReader("authority", AuthorityMagic, b)
	n := r.U32("public parameters length")
	if r.Err() == nil && n > maxKeyBlob {
		r.Fail("public parameters length %d", n)
	}
	pubEnc := r.Take(int(n), "public parameters")
	if r.Err() != nil {
		return nil, badKey(r.Err())
	}
	pub, err := UnmarshalPublicParams(pubEnc)
	if err != nil {
		return nil, err
	}
	var msk tkn20.SystemSecretKey
	if err := msk.UnmarshalBinary(b[r.Offset():]); err != nil {
		// tkn20's message does not contain key material, but do not pass
		// it on in case that ever changes.
		return nil, fmt.Errorf("%w: authority master secret does not decode", ErrBadKey)
	}
	st := &authority{pub: pub, msk: msk}
	a := &Authority{s: &st}
	if err := checkCanonical(b, a.MarshalSecret); err != nil {
		return nil, fmt.Errorf("%w: authority: %v", ErrBadKey, err)
	}
	return a, nil
}

// checkCanonical re-encodes a decoded key and compares, so that every key
// has exactly one accepted encoding.
func checkCanonical(b []byte, marshal func() ([]byte, error)) error {
	again, err := marshal()
	if err != nil {
		return errors.New("does not re-encode")
	}
	defer clear(again)
	if subtle.ConstantTimeCompare(again, b) != 1 {
		return errors.New("not canonically encoded")
	}
	return nil
}

// IssueKey derives an attribute key for a member of staff with the given
// attributes, e.g. {"org": "stmarys", "role": "physician"}. Labels and values
// are 1..MaxTokenLen characters of [A-Za-z0-9_], case-sensitive, and not
// "and", "or" or "not"; a key has one value per label. It reads randomness
// from r (crypto/rand when r is nil).
func (a *Authority) IssueKey(r io.Reader, attrs map[string]string) (*AttributeKey, error) {
	if err := checkAttributes(attrs); err != nil {
		return nil, err
	}
	if r == nil {
		r = rand.Reader
	}
	var ta tkn20.Attributes
	ta.FromMap(attrs)
	ak, err := a.st().msk.KeyGen(r, ta)
	if err != nil {
		return nil, fmt.Errorf("abe: issuing attribute key: %w", err)
	}
	st := &attributeKey{authority: a.st().pub.id, attrs: maps.Clone(attrs), tattrs: ta, ak: ak}
	return &AttributeKey{s: &st}, nil
}

func checkAttributes(attrs map[string]string) error {
	if len(attrs) == 0 || len(attrs) > MaxAttributes {
		return fmt.Errorf("%w: a key needs 1..%d attributes, got %d", ErrInvalid, MaxAttributes, len(attrs))
	}
	for k, v := range attrs {
		if err := checkToken("attribute label", k); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if err := checkToken("attribute value", v); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	return nil
}

// AttributeKey is a member of staff's secret key for a set of attributes,
// issued by one authority. It is immutable and safe for concurrent use. Its
// formatting methods redact the key (and the attributes), and a copied
// AttributeKey value shares the original's state.
type AttributeKey struct {
	redactedAttributeKey
	s **attributeKey // two pointers deep, as in Authority
}

type attributeKeyLabel struct{}

func (attributeKeyLabel) Redacted() string { return "abe.AttributeKey(redacted)" }

// redactedAttributeKey gives AttributeKey its formatting methods (String,
// GoString, Format, LogValue), which never reveal the key or its
// attributes.
type redactedAttributeKey = redact.Label[attributeKeyLabel]

func (k *AttributeKey) st() *attributeKey { return *k.s }

type attributeKey struct {
	authority AuthorityID
	attrs     map[string]string
	tattrs    tkn20.Attributes
	ak        tkn20.AttributeKey
}

// Authority returns the id of the authority that issued the key.
func (k *AttributeKey) Authority() AuthorityID { return k.st().authority }

// Attributes returns a copy of the key's attributes.
func (k *AttributeKey) Attributes() map[string]string { return maps.Clone(k.st().attrs) }

// Satisfies reports whether the key's attributes satisfy policy (which must
// pass CheckPolicy). It does no cryptography.
func (k *AttributeKey) Satisfies(policy string) (bool, error) {
	p, err := parsePolicy(policy)
	if err != nil {
		return false, err
	}
	return p.Satisfaction(k.st().tattrs), nil
}

// MarshalSecret encodes the key for a keystore; never store it in the clear:
//
//	magic "ALAK" | format 0x01 | scheme 0x01 | authority id (32) |
//	u8 count | count × (u8 len | label | u8 len | value), labels ascending |
//	tkn20 attribute key
//
// The authority id and attribute list are not authenticated here (seal the
// encoding in a keystore); they only let UnwrapKey tell ErrPolicy from
// ErrIntegrity and let the holder see what the key is for. The tkn20 key
// alone decides what the key decrypts.
func (k *AttributeKey) MarshalSecret() ([]byte, error) {
	ak, err := k.st().ak.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("abe: encoding attribute key: %w", err)
	}
	b := make([]byte, 0, 64+len(ak))
	b = append(b, AttributeKeyMagic...)
	b = append(b, FormatV1, byte(SchemeTKN20))
	b = append(b, k.st().authority[:]...)
	b = append(b, byte(len(k.st().attrs)))
	for _, label := range slices.Sorted(maps.Keys(k.st().attrs)) {
		b = appendToken(b, label)
		b = appendToken(b, k.st().attrs[label])
	}
	b = append(b, ak...)
	clear(ak)
	return b, nil
}

// UnmarshalAttributeKey decodes a key written by MarshalSecret. The caller
// should wipe b afterwards.
func UnmarshalAttributeKey(b []byte) (*AttributeKey, error) {
	if len(b) > maxKeyBlob {
		return nil, fmt.Errorf("%w: attribute key is %d bytes", ErrBadKey, len(b))
	}
	r := newKeyReader("attribute key", AttributeKeyMagic, b)
	var id AuthorityID
	copy(id[:], r.Take(len(id), "authority id"))
	n := int(r.U8("attribute count"))
	if r.Err() == nil && (n == 0 || n > MaxAttributes) {
		r.Fail("attribute count %d out of range 1..%d", n, MaxAttributes)
	}
	attrs := make(map[string]string, n)
	prev := ""
	for i := 0; i < n && r.Err() == nil; i++ {
		label := r.token("attribute label")
		value := r.token("attribute value")
		if r.Err() == nil && i > 0 && label <= prev {
			r.Fail("attribute labels are not strictly ascending")
		}
		prev = label
		attrs[label] = value
	}
	if r.Err() != nil {
		return nil, badKey(r.Err())
	}
	var ak tkn20.AttributeKey
	if err := ak.UnmarshalBinary(b[r.Offset():]); err != nil {
		return nil, fmt.Errorf("%w: attribute key does not decode", ErrBadKey)
	}
	var ta tkn20.Attributes
	ta.FromMap(attrs)
	st := &attributeKey{authority: id, attrs: attrs, tattrs: ta, ak: ak}
	k := &AttributeKey{s: &st}
	if err := checkCanonical(b, k.MarshalSecret); err != nil {
		return nil, fmt.Errorf("%w: attribute key: %v", ErrBadKey, err)
	}
	return k, nil
}

var (
	_ redact.Methods = Authority{}
	_ redact.Methods = AttributeKey{}
)
