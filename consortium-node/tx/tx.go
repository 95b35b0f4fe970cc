package tx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/privacy/sign"
)

// Version is the envelope version written by this package.
const Version = 1

// Limits on a transaction. They are consensus rules: changing them changes
// which transactions are valid.
const (
	MaxTxBytes     = 64 << 10 // whole signed encoding
	MaxNameLen     = 64       // contract, method and argument names
	MaxChainIDLen  = 64
	MaxSenderLen   = 128
	MaxArgs        = 32
	MaxArgBytes    = 32 << 10 // one argument's encoded value
	MaxListEntries = 256      // entries in a strings argument
)

// signDomain separates transaction signatures from every other signature a
// member key might make.
var signDomain = []byte("almoner/tx/v1\x00")

// Errors returned by this package. ErrMalformed and ErrLimit wrap the detail.
var (
	ErrMalformed    = errors.New("tx: malformed transaction")
	ErrLimit        = errors.New("tx: limit exceeded")
	ErrNonCanonical = errors.New("tx: encoding is not canonical CBOR")
	ErrSignature    = errors.New("tx: bad signature")
	ErrArg          = errors.New("tx: bad argument")
)

// ID is the SHA-256 of a signed transaction's encoding.
type ID [32]byte

// String returns the id in lower-case hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// ParseID parses a 64-character hex id.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("%w: tx id must be 64 hex characters, got %d", ErrMalformed, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: tx id: %v", ErrMalformed, err)
	}
	return id, nil
}

// Call names a contract method and its typed arguments.
type Call struct {
	_        struct{} `cbor:",toarray"`
	Contract string   `json:"contract"`
	Method   string   `json:"method"`
	Args     Args     `json:"args"`
}

// Body is the signed part of a transaction.
type Body struct {
	_       struct{} `cbor:",toarray"`
	Version uint8    `json:"version"`
	ChainID string   `json:"chain_id"`
	// Sender is the member id of the signer.
	Sender string `json:"sender"`
	// Nonce makes otherwise identical calls distinct; the client picks it.
	Nonce uint64 `json:"nonce"`
	// Expiry is the last block height at which the transaction may be
	// included; it bounds the replay window.
	Expiry uint64 `json:"expiry"`
	Call   Call   `json:"call"`
}

// Signature is an algorithm-tagged signature with the signer's public key.
// Execution checks that the key belongs to Body.Sender.
type Signature struct {
	_      struct{}       `cbor:",toarray"`
	Alg    sign.Algorithm `json:"alg"`
	PubKey []byte         `json:"pub_key"`
	Sig    []byte         `json:"sig"`
}

// PublicKey returns the signer's key as a sign.PublicKey.
func (s Signature) PublicKey() sign.PublicKey { return sign.PublicKey{Alg: s.Alg, Key: s.PubKey} }

// Signed is a transaction with its signature.
type Signed struct {
	_         struct{}  `cbor:",toarray"`
	Body      Body      `json:"body"`
	Signature Signature `json:"signature"`
}

// decoder reads transactions and their argument values under the limits
// above (a transaction's own; other formats decode with codec's presets).
var decoder = func() *codec.Decoder {
	d, err := codec.NewDecoder(codec.Limits{
		MaxBytes:         MaxTxBytes,
		MaxNestedLevels:  8,
		MaxArrayElements: MaxTxBytes,
		MaxMapPairs:      MaxArgs,
	})
	if err != nil {
		panic(err) // constant limits
	}
	return d
}()

// unmarshal decodes strictly and canonically (codec.Decoder.Unmarshal)
// under the transaction limits, keeping this package's errors: a
// non-canonical encoding is ErrNonCanonical, anything else ErrMalformed.
func unmarshal(data []byte, v any) error {
	err := decoder.Unmarshal(data, v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, codec.ErrNonCanonical):
		return ErrNonCanonical
	default:
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}

// SignBytes returns the bytes a sender signs.
func (b *Body) SignBytes() ([]byte, error) {
	enc, err := codec.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("tx: encoding body: %w", err)
	}
	return append(append([]byte(nil), signDomain...), enc...), nil
}

// Validate checks the body against the limits. It does not look at state.
func (b *Body) Validate() error {
	if b.Version != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrMalformed, b.Version, Version)
	}
	if err := checkName("chain id", b.ChainID, MaxChainIDLen); err != nil {
		return err
	}
	if err := checkName("sender", b.Sender, MaxSenderLen); err != nil {
		return err
	}
	if b.Expiry == 0 {
		return fmt.Errorf("%w: expiry height must be set", ErrMalformed)
	}
	if err := checkName("contract", b.Call.Contract, MaxNameLen); err != nil {
		return err
	}
	if err := checkName("method", b.Call.Method, MaxNameLen); err != nil {
		return err
	}
	return b.Call.Args.Validate()
}

// checkName accepts 1..max printable ASCII characters without spaces.
func checkName(what, s string, max int) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrMalformed, what)
	}
	if len(s) > max {
		return fmt.Errorf("%w: %s is %d bytes, max %d", ErrLimit, what, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%w: %s %q has a character outside printable ASCII", ErrMalformed, what, s)
		}
	}
	return nil
}

// Sign signs body with key and returns the signed transaction.
func Sign(body Body, key *sign.PrivateKey) (*Signed, error) {
	s, _, err := signEncode(body, key)
	return s, err
}

// SignEncoded signs body with key and returns the signed transaction's encoding (Encode), the bytes a node's API
// takes and tx.HashID names.
func SignEncoded(body Body, key *sign.PrivateKey) ([]byte, error) {
	_, enc, err := signEncode(body, key)
	return enc, err
}

// signEncode signs body with key and encodes the signed transaction, refused over MaxTxBytes.
func signEncode(body Body, key *sign.PrivateKey) (*Signed, []byte, error) {
	if body.Version == 0 {
		body.Version = Version
	}
	if err := body.Validate(); err != nil {
		return nil, nil, err
	}
	msg, err := body.SignBytes()
	if err != nil {
		return nil, nil, err
	}
	pub := key.Public()
	s := &Signed{Body: body, Signature: Signature{Alg: pub.Alg, PubKey: pub.Key, Sig: key.Sign(msg)}}
	enc, err := s.Encode()
	if err != nil {
		return nil, nil, err
	}
	if len(enc) > MaxTxBytes {
		return nil, nil, fmt.Errorf("%w: transaction is %d bytes, max %d", ErrLimit, len(enc), MaxTxBytes)
	}
	return s, enc, nil
}

// Encode returns the deterministic encoding of the signed transaction.
func (s *Signed) Encode() ([]byte, error) {
	b, err := codec.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("tx: encoding: %w", err)
	}
	return b, nil
}

// Decode parses and validates a signed transaction. It checks limits and
// canonical form but not the signature (see Verify).
func Decode(data []byte) (*Signed, error) {
	if len(data) > MaxTxBytes {
		return nil, fmt.Errorf("%w: transaction is %d bytes, max %d", ErrLimit, len(data), MaxTxBytes)
	}
	var s Signed
	if err := unmarshal(data, &s); err != nil {
		return nil, err
	}
	if err := s.Body.Validate(); err != nil {
		return nil, err
	}
	if err := s.Signature.PublicKey().Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(s.Signature.Sig) > 8<<10 {
		return nil, fmt.Errorf("%w: signature is %d bytes", ErrLimit, len(s.Signature.Sig))
	}
	return &s, nil
}

// Verify checks the signature against the embedded public key.
func (s *Signed) Verify() error {
	msg, err := s.Body.SignBytes()
	if err != nil {
		return err
	}
	if err := s.Signature.PublicKey().Verify(msg, s.Signature.Sig); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// HashID returns the tx id of an encoded signed transaction.
func HashID(encoded []byte) ID { return sha256.Sum256(encoded) }

// validUTF8 reports whether s is valid UTF-8 (used for string arguments).
func validUTF8(s string) bool { return utf8.ValidString(s) }
