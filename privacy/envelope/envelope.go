package envelope

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/almoner/almoner/privacy/integrity"
	"github.com/almoner/almoner/privacy/internal/binread"
	"github.com/almoner/almoner/privacy/internal/redact"
)

// Errors returned by this package. Test with errors.Is.
var (
	// ErrIntegrity marks every authentication or format failure of sealed
	// records and wrapped keys: tampered, truncated or relabelled bytes, a
	// wrong key, or bytes presented for another record, version or reader.
	// It is integrity.ErrFailed.
	ErrIntegrity = integrity.New("envelope: integrity check failed")
	// ErrUnsupported is wrapped, together with ErrIntegrity, when the bytes
	// name a format version or algorithm this build does not know.
	ErrUnsupported = errors.New("envelope: unsupported format or algorithm")
	// ErrInvalid marks bad arguments (empty or over-long ids, nil keys).
	ErrInvalid = errors.New("envelope: invalid argument")
	// ErrBadKey marks malformed key encodings (wrong size, invalid public key).
	ErrBadKey = errors.New("envelope: malformed key")
	// ErrDestroyed is returned when a destroyed key is used.
	ErrDestroyed = errors.New("envelope: key has been destroyed")
)

const (
	// DataKeySize is the size of a record data key.
	DataKeySize = 32
	// MaxIDLen is the maximum length in bytes of a record id or reader id.
	MaxIDLen = 256
)

// DataKey is the secret key of one record version. Seal and Open may use it
// from several goroutines at once; Destroy must not run concurrently with
// them. Its formatting methods redact the key, and a copied DataKey value
// shares (and is destroyed with) the original's key bytes.
type DataKey struct {
	redactedDataKey
	k *dataKey
}

type dataKeyLabel struct{}

func (dataKeyLabel) Redacted() string { return "envelope.DataKey(redacted)" }

// redactedDataKey gives DataKey its formatting methods (String, GoString,
// Format, LogValue), which never reveal key material.
type redactedDataKey = redact.Label[dataKeyLabel]

// dataKey keeps the key bytes two pointers deep: fmt prints an
// unexported struct field's pointer target one level deep (e.g. "%s" of a
// struct holding a DataKey), but never deeper.
type dataKey struct {
	b         *[DataKeySize]byte
	destroyed bool
}

// NewDataKey creates a fresh random data key, reading from r (crypto/rand
// when r is nil).
func NewDataKey(r io.Reader) (*DataKey, error) {
	if r == nil {
		r = rand.Reader
	}
	k := &dataKey{b: new([DataKeySize]byte)}
	if _, err := io.ReadFull(r, k.b[:]); err != nil {
		return nil, fmt.Errorf("envelope: reading randomness for a data key: %w", err)
	}
	return &DataKey{k: k}, nil
}

// DataKeyFromBytes rebuilds a data key from the bytes returned by Bytes (for
// the custodian's private store). It copies b; the caller should wipe b.
func DataKeyFromBytes(b []byte) (*DataKey, error) {
	if len(b) != DataKeySize {
		return nil, fmt.Errorf("%w: data key is %d bytes, want %d", ErrBadKey, len(b), DataKeySize)
	}
	k := &dataKey{b: new([DataKeySize]byte)}
	copy(k.b[:], b)
	return &DataKey{k: k}, nil
}

// Bytes returns a copy of the secret key bytes, for the custodian's private
// store. The caller owns the copy and should wipe it after use. It returns
// nil for a nil or destroyed key.
func (dk *DataKey) Bytes() []byte {
	if err := dk.check(); err != nil {
		return nil
	}
	return append([]byte(nil), dk.k.b[:]...)
}

// Equal reports in constant time whether two live keys are the same.
func (dk *DataKey) Equal(o *DataKey) bool {
	if dk.check() != nil || o.check() != nil {
		return false
	}
	return subtle.ConstantTimeCompare(dk.k.b[:], o.k.b[:]) == 1
}

// Destroy zeroises the key (crypto-shredding). Later use returns
// ErrDestroyed. Destroying twice, or a nil key, is a no-op.
func (dk *DataKey) Destroy() {
	if dk == nil || dk.k == nil {
		return
	}
	clear(dk.k.b[:])
	dk.k.destroyed = true
}

// Destroyed reports whether Destroy has been called.
func (dk *DataKey) Destroyed() bool { return dk != nil && dk.k != nil && dk.k.destroyed }

func (dk *DataKey) check() error {
	if dk == nil || dk.k == nil {
		return fmt.Errorf("%w: nil data key", ErrInvalid)
	}
	if dk.k.destroyed {
		return ErrDestroyed
	}
	return nil
}

var _ redact.Methods = DataKey{}

// checkID validates a record or reader id given as an argument.
func checkID(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: %s is %d bytes, max %d", ErrInvalid, what, len(id), MaxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

// reader is the strict reader of privacy's formats (binread), reading a
// sealed record or a wrapped key. Every failure is an integrity failure of
// the named format.
type reader struct{ *binread.Reader }

// newReader reads b as what ("sealed record" or "wrapped key").
func newReader(what string, b []byte) reader {
	return reader{binread.New(b, binread.Format{What: what, Integrity: ErrIntegrity, Unsupported: ErrUnsupported})}
}

// id reads a 2-byte-length-prefixed record or reader id.
func (r reader) id(field string) string { return r.String16(field, MaxIDLen) }

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

func appendU64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendID(b []byte, id string) []byte { return append(appendU16(b, uint16(len(id))), id...) }
