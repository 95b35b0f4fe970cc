package envelope

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/privacy/internal/redact"
)

// Wrapped key format v1 constants.
const (
	WrapMagic    = "ALMK"
	WrapFormatV1 = 1

	// WrapKEM, WrapKDF and WrapAEAD are the HPKE suite of format v1.
	WrapKEM  = hpke.KEM_XWING
	WrapKDF  = hpke.KDF_HKDF_SHA256
	WrapAEAD = hpke.AEAD_AES256GCM

	// ReaderSeedSize is the size of an X-Wing seed, which is also the
	// X-Wing packed private key.
	ReaderSeedSize = xwing.SeedSize
	// ReaderPublicKeySize is the size of a packed X-Wing public key.
	ReaderPublicKeySize = xwing.PublicKeySize
	// EncapsulatedKeySize is the size of the HPKE enc (an X-Wing ciphertext).
	EncapsulatedKeySize = xwing.CiphertextSize
	// WrappedDataKeySize is the HPKE ciphertext of a data key with its tag.
	WrappedDataKeySize = DataKeySize + TagSize

	wrapFixedHeader = len(WrapMagic) + 1 + 2 + 2 + 2 + 2 + 8 + 2 // header without the two ids
)

var wrapSuite = hpke.NewSuite(WrapKEM, WrapKDF, WrapAEAD)

// WrappedHeader is the decoded header of a wrapped key. ParseWrapped does not
// authenticate it: only Unwrap does. The ledger can still use it to check
// that a key-release transaction names the record, version and reader that
// the wrapped key is bound to.
type WrappedHeader struct {
	Format   uint8
	KEM      hpke.KEM
	KDF      hpke.KDF
	AEAD     hpke.AEAD
	RecordID string
	Version  uint64
	ReaderID string
}

func appendWrappedHeader(b []byte, h *WrappedHeader) []byte {
	b = append(b, WrapMagic...)
	b = append(b, h.Format)
	b = appendU16(b, uint16(h.KEM))
	b = appendU16(b, uint16(h.KDF))
	b = appendU16(b, uint16(h.AEAD))
	b = appendID(b, h.RecordID)
	b = appendU64(b, h.Version)
	return appendID(b, h.ReaderID)
}

// parseWrapped decodes a wrapped key into header, header length, enc and ct.
func parseWrapped(wrapped []byte) (h WrappedHeader, n int, enc, ct []byte, err error) {
	r := newReader("wrapped key", wrapped)
	r.Magic(WrapMagic)
	h.Format = r.Known8("format version", WrapFormatV1)
	h.KEM = hpke.KEM(r.U16("KEM id"))
	h.KDF = hpke.KDF(r.U16("KDF id"))
	h.AEAD = hpke.AEAD(r.U16("AEAD id"))
	if r.Err() == nil && (h.KEM != WrapKEM || h.KDF != WrapKDF || h.AEAD != WrapAEAD) {
		r.Unsupported("HPKE suite KEM 0x%04x KDF 0x%04x AEAD 0x%04x", uint16(h.KEM), uint16(h.KDF), uint16(h.AEAD))
	}
	h.RecordID = r.id("record id")
	h.Version = r.U64("record version")
	h.ReaderID = r.id("reader id")
	n = r.Offset()
	enc = r.Take(EncapsulatedKeySize, "encapsulated key")
	ct = r.Take(WrappedDataKeySize, "wrapped data key")
	r.End()
	if r.Err() != nil {
		return WrappedHeader{}, 0, nil, nil, r.Err()
	}
	return h, n, enc, ct, nil
}

// ParseWrapped decodes the header of a wrapped key without authenticating
// it. Any format failure wraps ErrIntegrity.
func ParseWrapped(wrapped []byte) (WrappedHeader, error) {
	h, _, _, _, err := parseWrapped(wrapped)
	return h, err
}

// Wrap encrypts dk for the reader whose packed 1216-byte X-Wing public key is
// readerPub (identity.EncryptionKey.Key), bound to readerID, recordID and
// version. It reads the HPKE encapsulation randomness from r (crypto/rand
// when r is nil).
func Wrap(r io.Reader, readerPub []byte, readerID string, dk *DataKey, recordID string, version uint64) ([]byte, error) {
	if err := dk.check(); err != nil {
		return nil, err
	}
	if err := checkBinding(recordID, readerID); err != nil {
		return nil, err
	}
	if len(readerPub) != ReaderPublicKeySize {
		return nil, fmt.Errorf("%w: X-Wing public key is %d bytes, want %d", ErrBadKey, len(readerPub), ReaderPublicKeySize)
	}
	pk, err := WrapKEM.Scheme().UnmarshalBinaryPublicKey(readerPub)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Wing public key: %v", ErrBadKey, err)
	}
	if r == nil {
		r = rand.Reader
	}
	h := WrappedHeader{Format: WrapFormatV1, KEM: WrapKEM, KDF: WrapKDF, AEAD: WrapAEAD, RecordID: recordID, Version: version, ReaderID: readerID}
	hdr := appendWrappedHeader(make([]byte, 0, wrapFixedHeader+len(recordID)+len(readerID)), &h)
	sender, err := wrapSuite.NewSender(pk, hdr)
	if err != nil {
		return nil, fmt.Errorf("envelope: HPKE sender: %w", err)
	}
	enc, sealer, err := sender.Setup(r)
	if err != nil {
		return nil, fmt.Errorf("envelope: HPKE setup: %w", err)
	}
	ct, err := sealer.Seal(dk.k.b[:], hdr)
	if err != nil {
		return nil, fmt.Errorf("envelope: HPKE seal: %w", err)
	}
	if len(enc) != EncapsulatedKeySize || len(ct) != WrappedDataKeySize {
		return nil, fmt.Errorf("envelope: HPKE returned enc of %d bytes and ciphertext of %d bytes", len(enc), len(ct))
	}
	out := make([]byte, 0, len(hdr)+len(enc)+len(ct))
	out = append(out, hdr...)
	out = append(out, enc...)
	return append(out, ct...), nil
}

// checkBinding checks the ids a wrapped key is bound to.
func checkBinding(recordID, readerID string) error {
	if err := checkID("record id", recordID); err != nil {
		return err
	}
	return checkID("reader id", readerID)
}

// Unwrap recovers the data key from a wrapped key, for reader readerID
// holding rk, and checks that it was wrapped for recordID and version.
// Tampered bytes, a wrong reader key, or a key wrapped for another reader,
// record or version fail with ErrIntegrity.
func Unwrap(rk *ReaderKey, readerID string, wrapped []byte, recordID string, version uint64) (*DataKey, error) {
	if err := rk.check(); err != nil {
		return nil, err
	}
	if err := checkBinding(recordID, readerID); err != nil {
		return nil, err
	}
	h, n, enc, ct, err := parseWrapped(wrapped)
	if err != nil {
		return nil, err
	}
	if h.RecordID != recordID || h.Version != version || h.ReaderID != readerID {
		return nil, fmt.Errorf("%w: wrapped key is for record %q version %d reader %q, not record %q version %d reader %q",
			ErrIntegrity, h.RecordID, h.Version, h.ReaderID, recordID, version, readerID)
	}
	hdr := wrapped[:n:n]
	receiver, err := wrapSuite.NewReceiver(rk.k.sk, hdr)
	if err != nil {
		return nil, fmt.Errorf("envelope: HPKE receiver: %w", err)
	}
	opener, err := receiver.Setup(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped key: HPKE decapsulation failed", ErrIntegrity)
	}
	pt, err := opener.Open(ct, hdr)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped key: does not open with this reader key", ErrIntegrity)
	}
	defer clear(pt)
	if len(pt) != DataKeySize {
		return nil, fmt.Errorf("%w: wrapped key: data key is %d bytes", ErrIntegrity, len(pt))
	}
	return DataKeyFromBytes(pt)
}

// ReaderKey is a reader's X-Wing private key, expanded once for repeated
// Unwrap calls. Unwrap may use it from several goroutines at once; Destroy
// must not run concurrently with them. Its formatting methods redact it.
type ReaderKey struct {
	redactedReaderKey
	k *readerKey
}

type readerKeyLabel struct{}

func (readerKeyLabel) Redacted() string { return "envelope.ReaderKey(x-wing, redacted)" }

// redactedReaderKey gives ReaderKey its formatting methods (String,
// GoString, Format, LogValue), which never reveal key material.
type redactedReaderKey = redact.Label[readerKeyLabel]

type readerKey struct {
	seed      *[ReaderSeedSize]byte // two pointers deep, as dataKey.b
	sk        kem.PrivateKey
	pub       []byte
	destroyed bool
}

// NewReaderKey builds a reader key from its 32-byte X-Wing seed, which is
// also the X-Wing packed private key (what dev key files store as enc_seed).
// It copies seed; the caller should wipe it.
func NewReaderKey(seed []byte) (*ReaderKey, error) {
	if len(seed) != ReaderSeedSize {
		return nil, fmt.Errorf("%w: X-Wing private key is %d bytes, want %d", ErrBadKey, len(seed), ReaderSeedSize)
	}
	sk, err := WrapKEM.Scheme().UnmarshalBinaryPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Wing private key: %v", ErrBadKey, err)
	}
	pub, err := sk.Public().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("envelope: packing X-Wing public key: %w", err)
	}
	k := &readerKey{seed: new([ReaderSeedSize]byte), sk: sk, pub: pub}
	copy(k.seed[:], seed)
	return &ReaderKey{k: k}, nil
}

// GenerateReaderKey creates a new reader key, reading the seed from r
// (crypto/rand when r is nil).
func GenerateReaderKey(r io.Reader) (*ReaderKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var seed [ReaderSeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("envelope: reading randomness for a reader key: %w", err)
	}
	return NewReaderKey(seed[:])
}

// PublicKey returns a copy of the packed 1216-byte X-Wing public key, the
// value of identity.EncryptionKey.Key. It returns nil for a destroyed key.
func (rk *ReaderKey) PublicKey() []byte {
	if rk.check() != nil {
		return nil
	}
	return append([]byte(nil), rk.k.pub...)
}

// Seed returns a copy of the secret seed, for keystores that encrypt it. It
// returns nil for a destroyed key.
func (rk *ReaderKey) Seed() []byte {
	if rk.check() != nil {
		return nil
	}
	return append([]byte(nil), rk.k.seed[:]...)
}

// Destroy zeroises the seed and drops the expanded key (see the package doc
// for what Go cannot wipe). Later use returns ErrDestroyed.
func (rk *ReaderKey) Destroy() {
	if rk == nil || rk.k == nil {
		return
	}
	clear(rk.k.seed[:])
	if sk, ok := rk.k.sk.(*xwing.PrivateKey); ok {
		*sk = xwing.PrivateKey{}
	}
	rk.k.sk = nil
	rk.k.destroyed = true
}

func (rk *ReaderKey) check() error {
	if rk == nil || rk.k == nil {
		return fmt.Errorf("%w: nil reader key", ErrInvalid)
	}
	if rk.k.destroyed {
		return ErrDestroyed
	}
	return nil
}

var _ redact.Methods = ReaderKey{}

// SealFor seals plaintext, version version of record recordID, under a fresh data key, wraps that key for one
// reader (the custodian node that will store the record: readerPub its packed X-Wing public key, readerID its id)
// and destroys the data key: a new record version as its custodian receives it. It reads all randomness from r
// (crypto/rand when r is nil).
func SealFor(r io.Reader, readerPub []byte, readerID, recordID string, version uint64,
	plaintext []byte) (sealed, wrapped []byte, err error) {
	dk, err := NewDataKey(r)
	if err != nil {
		return nil, nil, err
	}
	defer dk.Destroy()
	if sealed, err = Seal(r, dk, recordID, version, plaintext); err != nil {
		return nil, nil, err
	}
	if wrapped, err = Wrap(r, readerPub, readerID, dk, recordID, version); err != nil {
		return nil, nil, err
	}
	return sealed, wrapped, nil
}
