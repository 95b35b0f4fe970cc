package codec

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Errors returned by decoders. Test with errors.Is; they wrap the detail.
var (
	// ErrMalformed marks bytes that are not a valid encoding of the value.
	ErrMalformed = errors.New("codec: malformed CBOR")
	// ErrLimit marks input over the decoder's Limits.
	ErrLimit = errors.New("codec: limit exceeded")
	// ErrNonCanonical marks a valid encoding that is not the canonical one.
	ErrNonCanonical = errors.New("codec: encoding is not canonical CBOR")
)

// encoders are built once: the options are constant, and building an
// EncMode is not free.
var (
	encMode    = mustEncMode()
	bufEncMode = mustBufEncMode() // the same options, into a caller's buffer
)

func mustEncMode() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

func mustBufEncMode() cbor.UserBufferEncMode {
	m, err := cbor.CoreDetEncOptions().UserBufferEncMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

// Marshal encodes v with the core deterministic encoding used for
// everything Almoner signs, hashes, stores or sends.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// MustMarshal is Marshal for the values whose shape is fixed in code (a
// contract's state records, a store's block and head records, a key's MAC
// input), which always encode: it panics, naming owner (the package) and
// v's type, if one does not, a programming error and never bad input.
func MustMarshal(owner string, v any) []byte {
	b, err := encMode.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("%s: encoding %T: %v", owner, v, err))
	}
	return b
}

// Limits bound what a decoder accepts. Every field is required.
type Limits struct {
	// MaxBytes bounds the input.
	MaxBytes int
	// MaxNestedLevels bounds the nesting of arrays and maps (4..65535).
	MaxNestedLevels int
	// MaxArrayElements bounds each array (16..2147483647).
	MaxArrayElements int
	// MaxMapPairs bounds each map, structs encoded as maps included
	// (16..2147483647).
	MaxMapPairs int
}

// Validate checks that every limit is set and within what the CBOR
// library supports.
func (l Limits) Validate() error {
	switch {
	case l.MaxBytes <= 0:
		return fmt.Errorf("codec: MaxBytes %d must be positive", l.MaxBytes)
	case l.MaxNestedLevels < 4 || l.MaxNestedLevels > 65535:
		return fmt.Errorf("codec: MaxNestedLevels %d outside 4..65535", l.MaxNestedLevels)
	case l.MaxArrayElements < 16:
		return fmt.Errorf("codec: MaxArrayElements %d below 16", l.MaxArrayElements)
	case l.MaxMapPairs < 16:
		return fmt.Errorf("codec: MaxMapPairs %d below 16", l.MaxMapPairs)
	}
	return nil
}

// Decoder decodes canonical CBOR strictly under its Limits. It is safe
// for concurrent use.
type Decoder struct {
	limits Limits
	dm     cbor.DecMode
}

// NewDecoder returns a decoder for l.
func NewDecoder(l Limits) (*Decoder, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   l.MaxNestedLevels,
		MaxArrayElements:  l.MaxArrayElements,
		MaxMapPairs:       l.MaxMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	return &Decoder{limits: l, dm: dm}, nil
}

// Limits returns the decoder's limits.
func (d *Decoder) Limits() Limits { return d.limits }

// Unmarshal decodes data into v strictly and rejects non-canonical input:
// v is encoded again and must come out as data, byte for byte. Errors wrap
// ErrLimit, ErrMalformed or ErrNonCanonical.
func (d *Decoder) Unmarshal(data []byte, v any) error {
	if err := d.UnmarshalNoncanonical(data, v); err != nil {
		return err
	}
	// The encoding to compare goes to a reused buffer: it is garbage the
	// moment it is compared, and on a node it was as many bytes as every
	// decode put together (proposals of a megabyte, member records read on
	// every transaction).
	buf := reencodeBufs.Get().(*bytes.Buffer)
	defer putReencodeBuf(buf)
	buf.Reset()
	if err := bufEncMode.MarshalToBuffer(v, buf); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !bytes.Equal(buf.Bytes(), data) {
		return ErrNonCanonical
	}
	return nil
}

// UnmarshalNoncanonical decodes data into v as strictly as Unmarshal
// (the limits; no duplicate map keys, indefinite lengths, tags or unknown
// fields) but does not check that data is the canonical encoding of v.
// Only for data whose every part that matters is checked against a hash
// of its own canonical encoding afterwards (a block on the node's stream:
// the header's hash, the roots over the transactions' bytes and the
// receipts' encodings), where the re-encoding of the whole would repeat
// that work. Errors wrap ErrLimit or ErrMalformed.
func (d *Decoder) UnmarshalNoncanonical(data []byte, v any) error {
	if len(data) > d.limits.MaxBytes {
		return fmt.Errorf("%w: %d bytes, max %d", ErrLimit, len(data), d.limits.MaxBytes)
	}
	if err := d.dm.Unmarshal(data, v); err != nil {
		var tooMany *cbor.MaxArrayElementsError
		var tooManyPairs *cbor.MaxMapPairsError
		var tooDeep *cbor.MaxNestedLevelError
		if errors.As(err, &tooMany) || errors.As(err, &tooManyPairs) || errors.As(err, &tooDeep) {
			return fmt.Errorf("%w: %w: %v", ErrMalformed, ErrLimit, err)
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// reencodeBufs holds Unmarshal's buffers. The pool is a cache, not state:
// what it holds never changes a result.
var reencodeBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxKeptReencodeBuf bounds the buffers kept for reuse: one that grew
// for a larger value (a proposal) is dropped rather than kept.
const maxKeptReencodeBuf = 4 << 20

func putReencodeBuf(b *bytes.Buffer) {
	if b.Cap() <= maxKeptReencodeBuf {
		reencodeBufs.Put(b)
	}
}
