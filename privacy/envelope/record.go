package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
)

// RecordAEAD identifies the AEAD construction of a sealed record. The numeric
// value is part of the format and never changes meaning.
type RecordAEAD uint8

const (
	// AES256GCMCommitted is AES-256-GCM keyed with HKDF-SHA256(data key)
	// and carrying an HKDF-SHA256 key commitment in the header.
	AES256GCMCommitted RecordAEAD = 1
)

// String names the algorithm.
func (a RecordAEAD) String() string {
	switch a {
	case AES256GCMCommitted:
		return "AES-256-GCM+KC"
	default:
		return fmt.Sprintf("record-aead(%d)", uint8(a))
	}
}

// Sealed record format v1 constants.
const (
	RecordMagic     = "ALMR"
	RecordFormatV1  = 1
	NonceSize       = 12
	CommitmentSize  = 32
	TagSize         = 16
	recordFixedSize = len(RecordMagic) + 1 + 1 + 2 + 8 + NonceSize + CommitmentSize // header without the record id
)

// HKDF-Expand labels. Changing them changes the format.
const (
	labelRecordKey    = "almoner/envelope/record/v1/aes-256-gcm key"
	labelRecordCommit = "almoner/envelope/record/v1/key commitment"
)

// maxPlaintext is the AES-GCM limit for one message.
const maxPlaintext = (1<<32 - 2) * 16

// RecordHeader is the decoded header of a sealed record. ParseSealed does not
// authenticate it: only Open does. Nonce and KeyCommitment alias the bytes
// that were parsed.
type RecordHeader struct {
	Format        uint8
	AEAD          RecordAEAD
	RecordID      string
	Version       uint64
	Nonce         []byte // NonceSize bytes
	KeyCommitment []byte // CommitmentSize bytes
}

// appendRecordHeader appends the canonical encoding of h.
func appendRecordHeader(b []byte, h *RecordHeader) []byte {
	b = append(b, RecordMagic...)
	b = append(b, h.Format, byte(h.AEAD))
	b = appendID(b, h.RecordID)
	b = appendU64(b, h.Version)
	b = append(b, h.Nonce...)
	return append(b, h.KeyCommitment...)
}

// parseSealed decodes the header and returns it with the header length.
func parseSealed(sealed []byte) (RecordHeader, int, error) {
	r := newReader("sealed record", sealed)
	var h RecordHeader
	r.Magic(RecordMagic)
	h.Format = r.Known8("format version", RecordFormatV1)
	h.AEAD = RecordAEAD(r.Known8("AEAD id", uint8(AES256GCMCommitted)))
	h.RecordID = r.id("record id")
	h.Version = r.U64("record version")
	h.Nonce = r.Take(NonceSize, "nonce")
	h.KeyCommitment = r.Take(CommitmentSize, "key commitment")
	if r.Err() == nil && len(sealed)-r.Offset() < TagSize {
		r.Fail("ciphertext is %d bytes, shorter than the %d-byte tag", len(sealed)-r.Offset(), TagSize)
	}
	if r.Err() != nil {
		return RecordHeader{}, 0, r.Err()
	}
	return h, r.Offset(), nil
}

// ParseSealed decodes the header of a sealed record without authenticating
// it (for stores and tools that route or index ciphertexts). Any format
// failure wraps ErrIntegrity.
func ParseSealed(sealed []byte) (RecordHeader, error) {
	h, _, err := parseSealed(sealed)
	return h, err
}

// recordKeys derives the AES key and the key commitment from a data key.
func recordKeys(dk *DataKey) (aesKey, commit []byte, err error) {
	aesKey, err = hkdf.Expand(sha256.New, dk.k.b[:], labelRecordKey, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("envelope: deriving record key: %w", err)
	}
	commit, err = hkdf.Expand(sha256.New, dk.k.b[:], labelRecordCommit, CommitmentSize)
	if err != nil {
		clear(aesKey)
		return nil, nil, fmt.Errorf("envelope: deriving key commitment: %w", err)
	}
	return aesKey, commit, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("envelope: AES: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("envelope: GCM: %w", err)
	}
	return gcm, nil
}

// Seal encrypts plaintext, one version of record recordID, under dk. It reads
// the nonce from r (crypto/rand when r is nil). A data key should seal exactly
// one record version. The result is a new slice; plaintext is not modified.
func Seal(r io.Reader, dk *DataKey, recordID string, version uint64, plaintext []byte) ([]byte, error) {
	if err := dk.check(); err != nil {
		return nil, err
	}
	if err := checkID("record id", recordID); err != nil {
		return nil, err
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, fmt.Errorf("%w: plaintext is %d bytes, max %d", ErrInvalid, len(plaintext), uint64(maxPlaintext))
	}
	if r == nil {
		r = rand.Reader
	}
	nonce := make([]byte, NonceSize)
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("envelope: reading randomness for a nonce: %w", err)
	}
	aesKey, commit, err := recordKeys(dk)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(aesKey)
	clear(aesKey)
	if err != nil {
		return nil, err
	}
	h := RecordHeader{Format: RecordFormatV1, AEAD: AES256GCMCommitted, RecordID: recordID, Version: version, Nonce: nonce, KeyCommitment: commit}
	hdr := appendRecordHeader(make([]byte, 0, recordFixedSize+len(recordID)), &h)
	out := make([]byte, len(hdr), len(hdr)+len(plaintext)+TagSize)
	copy(out, hdr)
	return gcm.Seal(out, nonce, plaintext, hdr), nil
}

// Open authenticates and decrypts a sealed record. It refuses, with
// ErrIntegrity, bytes sealed for another record id or version, under another
// data key, or modified in any byte. The plaintext is a new slice.
func Open(dk *DataKey, sealed []byte, recordID string, version uint64) ([]byte, error) {
	if err := dk.check(); err != nil {
		return nil, err
	}
	if err := checkID("record id", recordID); err != nil {
		return nil, err
	}
	h, n, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	if h.RecordID != recordID || h.Version != version {
		return nil, fmt.Errorf("%w: sealed record is for record %q version %d, not record %q version %d",
			ErrIntegrity, h.RecordID, h.Version, recordID, version)
	}
	aesKey, commit, err := recordKeys(dk)
	if err != nil {
		return nil, err
	}
	defer clear(aesKey)
	if subtle.ConstantTimeCompare(commit, h.KeyCommitment) != 1 {
		return nil, fmt.Errorf("%w: sealed record: key commitment does not match this data key", ErrIntegrity)
	}
	gcm, err := newGCM(aesKey)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, h.Nonce, sealed[n:], sealed[:n])
	if err != nil {
		return nil, fmt.Errorf("%w: sealed record: authentication failed", ErrIntegrity)
	}
	return pt, nil
}

// CiphertextHash is the SHA-256 of the whole sealed record: the value the
// ledger stores for a record version.
func CiphertextHash(sealed []byte) [32]byte { return sha256.Sum256(sealed) }
