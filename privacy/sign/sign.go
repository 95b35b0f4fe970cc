package sign

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"filippo.io/edwards25519"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cloudflare/circl/sign/ed25519"
	"github.com/hdevalence/ed25519consensus"
)

// Algorithm identifies a signature scheme. The numeric value is part of the
// signed ledger encoding and must never change.
type Algorithm uint8

const (
	// Ed25519 is RFC 8032 pure Ed25519, signed as RFC 8032 says and
	// verified by the ZIP-215 rules (Verify).
	Ed25519 Algorithm = 1
)

// Sizes of Ed25519 values.
const (
	Ed25519PublicKeySize = ed25519.PublicKeySize
	Ed25519SignatureSize = ed25519.SignatureSize
	Ed25519SeedSize      = ed25519.SeedSize
)

// Errors returned by this package.
var (
	ErrUnknownAlgorithm = errors.New("sign: unknown signature algorithm")
	ErrBadKey           = errors.New("sign: malformed key")
	ErrBadSignature     = errors.New("sign: signature does not verify")
)

// String returns the algorithm's name as used in text key encodings.
func (a Algorithm) String() string {
	switch a {
	case Ed25519:
		return "ed25519"
	default:
		return fmt.Sprintf("alg(%d)", uint8(a))
	}
}

// ParseAlgorithm parses a name written by Algorithm.String.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "ed25519":
		return Ed25519, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, s)
	}
}

// PublicKey is an algorithm-tagged public key.
type PublicKey struct {
	Alg Algorithm
	Key []byte
}

// Validate checks that the key is well formed for its algorithm.
func (p PublicKey) Validate() error {
	switch p.Alg {
	case Ed25519:
		if len(p.Key) != Ed25519PublicKeySize {
			return fmt.Errorf("%w: ed25519 public key is %d bytes, want %d", ErrBadKey, len(p.Key), Ed25519PublicKeySize)
		}
		return nil
	default:
		return fmt.Errorf("%w: %d", ErrUnknownAlgorithm, uint8(p.Alg))
	}
}

// CheckRegistrable refuses a key no member should be registered with: for
// Ed25519, an encoding that is not a canonical curve point, or a point of
// small order. Verification accepts such keys (ZIP-215, so that nodes
// agree), and with a small-order key anyone can make signatures that
// verify: registration (genesis, identity.add_member, rotate_keys) refuses
// them.
func (p PublicKey) CheckRegistrable() error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Alg == Ed25519 {
		pt, err := new(edwards25519.Point).SetBytes(p.Key)
		switch {
		case err != nil:
			return fmt.Errorf("%w: not a point of the curve", ErrBadKey)
		case !bytes.Equal(pt.Bytes(), p.Key):
			return fmt.Errorf("%w: a non-canonical encoding of a curve point", ErrBadKey)
		case new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1:
			return fmt.Errorf("%w: a point of small order (anyone could sign for it)", ErrBadKey)
		}
	}
	return nil
}

// Verify reports nil when sig is a valid signature of msg under p.
//
// Ed25519 signatures are verified by the rules of ZIP-215
// (github.com/hdevalence/ed25519consensus): S must be below the group
// order; the key A and the point R may be any encoding of a curve point,
// non-canonical ones and points of small order included; the check is the
// cofactored equation [8][S]B = [8]R + [8][k]A. These are the only rules
// under which verifying signatures one by one and in a batch
// (BatchVerifier) accept exactly the same signatures, so every node,
// however it verifies, decides the same. Every signature RFC 8032's
// signing produces is accepted.
func (p PublicKey) Verify(msg, sig []byte) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch p.Alg {
	case Ed25519:
		if len(sig) != Ed25519SignatureSize || !ed25519consensus.Verify(p.Key, msg, sig) {
			return ErrBadSignature
		}
		return nil
	default:
		return fmt.Errorf("%w: %d", ErrUnknownAlgorithm, uint8(p.Alg))
	}
}

// BatchVerifier verifies many signatures at once: for Ed25519, one
// multi-scalar multiplication over the whole batch (ZIP-215 batch
// verification), about twice as fast per signature as Verify on large
// batches. It accepts a batch exactly when Verify accepts every signature
// in it (but for a chance below 2^-128 per batch, from its random
// coefficients); when it refuses, it does not say which signature failed:
// verify them one by one to find out. A BatchVerifier is not safe for
// concurrent use; make one per goroutine.
type BatchVerifier struct {
	ed  ed25519consensus.BatchVerifier
	n   int
	bad bool // a key or signature that cannot verify was added
}

// NewBatchVerifier returns an empty batch for about n signatures.
func NewBatchVerifier(n int) *BatchVerifier {
	return &BatchVerifier{ed: ed25519consensus.NewPreallocatedBatchVerifier(n)}
}

// Add adds sig, a signature of msg under p, to the batch. A key that does
// not validate, an algorithm other than Ed25519 or a signature of the
// wrong size makes the batch fail. The batch keeps no reference to its
// arguments.
func (b *BatchVerifier) Add(p PublicKey, msg, sig []byte) {
	b.n++
	if p.Alg != Ed25519 || p.Validate() != nil || len(sig) != Ed25519SignatureSize {
		b.bad = true
		return
	}
	b.ed.Add(p.Key, msg, sig)
}

// Len returns the number of signatures added.
func (b *BatchVerifier) Len() int { return b.n }

// Verify reports whether every signature added is valid (true for an empty
// batch).
func (b *BatchVerifier) Verify() bool {
	if b.bad {
		return false
	}
	if b.n == 0 {
		return true
	}
	return b.ed.Verify()
}

// Equal reports whether two public keys are identical.
func (p PublicKey) Equal(o PublicKey) bool {
	return p.Alg == o.Alg && string(p.Key) == string(o.Key)
}

// String encodes the key as "alg:base64url" (no padding).
func (p PublicKey) String() string {
	return p.Alg.String() + ":" + base64.RawURLEncoding.EncodeToString(p.Key)
}

// MarshalText implements encoding.TextMarshaler (used in JSON genesis files).
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PublicKey) UnmarshalText(b []byte) error {
	k, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// ParsePublicKey parses the "alg:base64url" form written by String.
func ParsePublicKey(s string) (PublicKey, error) {
	name, enc, ok := strings.Cut(s, ":")
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: want \"ed25519:<base64url>\"", ErrBadKey)
	}
	alg, err := ParseAlgorithm(name)
	if err != nil {
		return PublicKey{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	k := PublicKey{Alg: alg, Key: raw}
	return k, k.Validate()
}

// PrivateKey is an algorithm-tagged private key. Its formatting methods
// redact the key material, so it is safe to pass to loggers by mistake.
type PrivateKey struct {
	alg  Algorithm
	seed []byte
	priv ed25519.PrivateKey
}

// GenerateKey creates a new key pair for alg, reading randomness from r
// (crypto/rand when r is nil).
func GenerateKey(alg Algorithm, r io.Reader) (*PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	switch alg {
	case Ed25519:
		seed := make([]byte, Ed25519SeedSize)
		if _, err := io.ReadFull(r, seed); err != nil {
			return nil, fmt.Errorf("sign: reading randomness: %w", err)
		}
		return NewKeyFromSeed(alg, seed)
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnknownAlgorithm, uint8(alg))
	}
}

// NewKeyFromSeed derives a private key from its seed.
func NewKeyFromSeed(alg Algorithm, seed []byte) (*PrivateKey, error) {
	switch alg {
	case Ed25519:
		if len(seed) != Ed25519SeedSize {
			return nil, fmt.Errorf("%w: ed25519 seed is %d bytes, want %d", ErrBadKey, len(seed), Ed25519SeedSize)
		}
		s := append([]byte(nil), seed...)
		return &PrivateKey{alg: alg, seed: s, priv: ed25519.NewKeyFromSeed(s)}, nil
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnknownAlgorithm, uint8(alg))
	}
}

// Algorithm returns the key's algorithm.
func (k *PrivateKey) Algorithm() Algorithm { return k.alg }

// Public returns the matching public key.
func (k *PrivateKey) Public() PublicKey {
	pub := k.priv.Public().(ed25519.PublicKey)
	return PublicKey{Alg: k.alg, Key: append([]byte(nil), pub...)}
}

// Sign signs msg.
func (k *PrivateKey) Sign(msg []byte) []byte {
	return ed25519.Sign(k.priv, msg)
}

// Seed returns a copy of the secret seed, for keystores that encrypt it.
func (k *PrivateKey) Seed() []byte { return append([]byte(nil), k.seed...) }

// String never reveals key material.
func (k *PrivateKey) String() string { return k.alg.String() + " private key (redacted)" }

// GoString never reveals key material.
func (k *PrivateKey) GoString() string { return k.String() }

// LogValue never reveals key material.
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

var _ slog.LogValuer = (*PrivateKey)(nil)
