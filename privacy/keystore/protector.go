package keystore

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"

	"github.com/almoner/almoner/privacy/internal/redact"
)

// Protector is what seals and opens an entry: a passphrase (Passphrase) or
// an organisation key (*OrgKey). The interface is closed: only this package
// implements it.
type Protector interface {
	protection() Protection
}

// Protection names how an entry is protected. The numeric value is part of
// the file format and never changes meaning.
type Protection uint8

const (
	// ProtectPassphrase: argon2id over a passphrase, then HKDF-SHA256.
	ProtectPassphrase Protection = 1
	// ProtectOrgKey: HKDF-SHA256 over a 32-byte organisation key.
	ProtectOrgKey Protection = 2
)

// String returns the protection's name.
func (p Protection) String() string {
	switch p {
	case ProtectPassphrase:
		return "passphrase"
	case ProtectOrgKey:
		return "org-key"
	default:
		return fmt.Sprintf("protection(%d)", uint8(p))
	}
}

// MaxPassphraseLen is the longest passphrase accepted, in bytes.
const MaxPassphraseLen = 1024

// Passphrase returns a Protector for a passphrase. It keeps a reference to
// p, not a copy; the caller may wipe p once the call that uses it returns.
// The passphrase is used as given: normalise Unicode (NFC) before calling if
// it was typed by a person.
func Passphrase(p []byte) Protector {
	pp := &p
	return passphrase{p: &pp}
}

type passphrase struct {
	redactedPassphrase
	p **[]byte // two pointers deep: see Secret
}

type passphraseLabel struct{}

func (passphraseLabel) Redacted() string { return "keystore.Passphrase(redacted)" }

// redactedPassphrase gives passphrase its formatting methods (String,
// GoString, Format, LogValue), which never reveal the passphrase.
type redactedPassphrase = redact.Label[passphraseLabel]

func (passphrase) protection() Protection { return ProtectPassphrase }

func (pp passphrase) bytes() []byte {
	if pp.p == nil {
		return nil
	}
	return **pp.p
}

func (pp passphrase) check() error { return checkPassphrase(pp.bytes()) }

func checkPassphrase(p []byte) error {
	if len(p) == 0 || len(p) > MaxPassphraseLen {
		return fmt.Errorf("%w: passphrase must be 1..%d bytes", ErrInvalid, MaxPassphraseLen)
	}
	return nil
}

// OrgKeySize is the size of an organisation key.
const OrgKeySize = 32

// OrgKey is an organisation key: 32 secret bytes (from an HSM, a KMS or an
// operator's sealed file) and a public id naming it, e.g. "stmarys-2026",
// which is written into every entry it protects so that the right key can be
// found after a rotation. Its formatting methods redact the key, and a
// copied OrgKey value shares (and is destroyed with) the original's bytes.
type OrgKey struct {
	s **orgKey // two pointers deep: see Secret
}

type orgKey struct {
	id        string
	key       [OrgKeySize]byte
	destroyed bool
}

// NewOrgKey builds an organisation key from its id and 32 key bytes. It
// copies key; the caller should wipe key.
func NewOrgKey(id string, key []byte) (*OrgKey, error) {
	if err := checkName("organisation key id", id); err != nil {
		return nil, err
	}
	if len(key) != OrgKeySize {
		return nil, fmt.Errorf("%w: organisation key is %d bytes, want %d", ErrInvalid, len(key), OrgKeySize)
	}
	st := &orgKey{id: id}
	copy(st.key[:], key)
	return &OrgKey{s: &st}, nil
}

// GenerateOrgKey creates a random organisation key, reading from r
// (crypto/rand when r is nil).
func GenerateOrgKey(r io.Reader, id string) (*OrgKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var k [OrgKeySize]byte
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return nil, fmt.Errorf("keystore: reading randomness for an organisation key: %w", err)
	}
	defer clear(k[:])
	return NewOrgKey(id, k[:])
}

func (k *OrgKey) protection() Protection { return ProtectOrgKey }

// ID returns the key's public id.
func (k *OrgKey) ID() string {
	if k == nil || k.s == nil {
		return ""
	}
	return (*k.s).id
}

// Bytes returns a copy of the key bytes, to hand to an HSM or sealed file.
// The caller should wipe it. It returns nil for a destroyed key.
func (k *OrgKey) Bytes() []byte {
	if k.check() != nil {
		return nil
	}
	return append([]byte(nil), (*k.s).key[:]...)
}

// Equal reports in constant time whether two live keys have the same id
// and bytes.
func (k *OrgKey) Equal(o *OrgKey) bool {
	if k.check() != nil || o.check() != nil {
		return false
	}
	a, b := *k.s, *o.s
	return a.id == b.id && subtle.ConstantTimeCompare(a.key[:], b.key[:]) == 1
}

// Destroy zeroises the key bytes. Later use fails with ErrInvalid.
func (k *OrgKey) Destroy() {
	if k == nil || k.s == nil {
		return
	}
	clear((*k.s).key[:])
	(*k.s).destroyed = true
}

func (k *OrgKey) check() error {
	switch {
	case k == nil || k.s == nil:
		return fmt.Errorf("%w: nil organisation key", ErrInvalid)
	case (*k.s).destroyed:
		return fmt.Errorf("%w: organisation key has been destroyed", ErrInvalid)
	}
	return nil
}

func (k OrgKey) redacted() string {
	if k.s == nil {
		return "keystore.OrgKey(nil)"
	}
	return "keystore.OrgKey(" + (*k.s).id + ", redacted)"
}

// String shows the key id, never the key.
func (k OrgKey) String() string { return k.redacted() }

// GoString shows the key id, never the key.
func (k OrgKey) GoString() string { return k.redacted() }

// Format shows the key id, never the key, whatever the verb.
func (k OrgKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.redacted()) }

// LogValue shows the key id, never the key.
func (k OrgKey) LogValue() slog.Value { return slog.StringValue(k.redacted()) }

// Secret is a decrypted entry. Its formatting methods redact it; Destroy
// wipes it.
type Secret struct {
	redactedSecret
	// The bytes sit two pointers deep: fmt, printing an unexported field
	// with a verb its type does not support (%s on a struct), restarts at
	// depth 0 and would expand a pointer to a struct or slice; a pointer to
	// a pointer is printed as an address.
	s **[]byte
}

type secretLabel struct{}

func (secretLabel) Redacted() string { return "keystore.Secret(redacted)" }

// redactedSecret gives Secret its formatting methods (String, GoString,
// Format, LogValue), which never reveal the secret.
type redactedSecret = redact.Label[secretLabel]

func newSecret(b []byte) *Secret {
	p := &b
	return &Secret{s: &p}
}

// Bytes returns the secret itself, not a copy: it is valid until Destroy,
// and the caller must not keep it beyond that.
func (s *Secret) Bytes() []byte {
	if s == nil || s.s == nil {
		return nil
	}
	return **s.s
}

// Destroy zeroises the secret. Destroying twice, or a nil Secret, is a no-op.
func (s *Secret) Destroy() {
	if s == nil || s.s == nil {
		return
	}
	clear(**s.s)
	**s.s = nil
}

var (
	_ Protector      = Passphrase(nil)
	_ Protector      = (*OrgKey)(nil)
	_ redact.Methods = passphrase{}
	_ redact.Methods = OrgKey{}
	_ redact.Methods = Secret{}
)
