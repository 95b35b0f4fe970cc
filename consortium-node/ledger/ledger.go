package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/merkle"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/integrity"
	"github.com/almoner/almoner/privacy/sign"
)

// Errors returned by this package. ErrIntegrity marks data that fails a
// hash, Merkle or signature check; it is integrity.ErrFailed.
var (
	ErrIntegrity = integrity.New("ledger: integrity check failed")
	ErrQuorum    = errors.New("ledger: not enough valid node signatures")
)

// Hash is a SHA-256 digest.
type Hash [32]byte

// String returns lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses 64 hex characters.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("ledger: hash must be 64 hex characters, got %d", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("ledger: hash: %w", err)
	}
	return h, nil
}

func toHash(b []byte) Hash {
	var h Hash
	copy(h[:], b)
	return h
}

// Header is a block header. Height 0 is the genesis block.
type Header struct {
	_        struct{} `cbor:",toarray"`
	ChainID  string   `json:"chain_id"`
	Height   uint64   `json:"height"`
	Time     int64    `json:"time"` // Unix nanoseconds, set by the proposer
	PrevHash Hash     `json:"prev_hash"`
	// TxRoot and ReceiptRoot are RFC 6962 roots over the signed
	// transaction encodings and the receipt encodings, in block order.
	TxRoot      Hash `json:"tx_root"`
	ReceiptRoot Hash `json:"receipt_root"`
	// StateHash chains the state: see NextStateHash.
	StateHash Hash   `json:"state_hash"`
	Proposer  string `json:"proposer"`
}

// Hash returns SHA-256 of the header's deterministic encoding.
func (h *Header) Hash() Hash {
	b, err := codec.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("ledger: header does not encode: %v", err)) // fixed-shape struct
	}
	return sha256.Sum256(b)
}

// Block is a header and the signed transactions, each as its exact signed
// encoding.
type Block struct {
	_      struct{} `cbor:",toarray"`
	Header Header
	Txs    [][]byte
}

// Receipt status values.
const (
	StatusOK     uint8 = 1
	StatusFailed uint8 = 2
)

// Receipt records what a transaction did.
type Receipt struct {
	_      struct{} `cbor:",toarray"`
	TxID   tx.ID    `json:"tx_id"`
	Status uint8    `json:"status"`
	// Error says why a failed transaction failed; empty on success.
	Error  string  `json:"error,omitempty"`
	Events []Event `json:"events"`
}

// OK reports whether the transaction succeeded.
func (r *Receipt) OK() bool { return r.Status == StatusOK }

// Encode returns the receipt's deterministic encoding (its Merkle leaf).
func (r *Receipt) Encode() []byte {
	b, err := codec.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("ledger: receipt does not encode: %v", err))
	}
	return b
}

// LeafHashes returns the RFC 6962 leaf hashes of encoded items.
func LeafHashes(items [][]byte) [][]byte {
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = merkle.LeafHash(it)
	}
	return out
}

// TxRoot returns the Merkle root of a block's transactions.
func TxRoot(txs [][]byte) Hash { return toHash(merkle.Root(LeafHashes(txs))) }

// ReceiptLeaves returns the encodings of receipts.
func ReceiptLeaves(rs []Receipt) [][]byte {
	out := make([][]byte, len(rs))
	for i := range rs {
		out[i] = rs[i].Encode()
	}
	return out
}

// ReceiptRoot returns the Merkle root of a block's receipts.
func ReceiptRoot(rs []Receipt) Hash { return toHash(merkle.Root(LeafHashes(ReceiptLeaves(rs)))) }

// StateWrite is one entry of a block's write set as hashed into the state
// hash.
type StateWrite struct {
	_       struct{} `cbor:",toarray"`
	Key     string
	Value   []byte
	Deleted bool
}

var stateDomain = []byte("almoner/state/v1\x00")

// NextStateHash chains a block's write set (sorted by key, as the executor
// returns it) onto the previous state hash:
// SHA-256("almoner/state/v1\x00" || prev || CBOR(writes)).
func NextStateHash(prev Hash, writes []StateWrite) Hash {
	b, err := codec.Marshal(writes)
	if err != nil {
		panic(fmt.Sprintf("ledger: write set does not encode: %v", err))
	}
	h := sha256.New()
	h.Write(stateDomain)
	h.Write(prev[:])
	h.Write(b)
	return toHash(h.Sum(nil))
}

var headerSigDomain = []byte("almoner/header/v1\x00")

// HeaderSignature is a node's signature over a header it executed.
type HeaderSignature struct {
	_    struct{}       `cbor:",toarray"`
	Node string         `json:"node"`
	Alg  sign.Algorithm `json:"alg"`
	Sig  []byte         `json:"sig"`
}

// HeaderSignBytes returns what a node signs for a header.
func HeaderSignBytes(headerHash Hash) []byte {
	return append(append([]byte(nil), headerSigDomain...), headerHash[:]...)
}

// SignHeader signs a header hash as node.
func SignHeader(node string, key *sign.PrivateKey, headerHash Hash) HeaderSignature {
	return HeaderSignature{Node: node, Alg: key.Algorithm(), Sig: key.Sign(HeaderSignBytes(headerHash))}
}

// VerifyQuorum checks that at least quorum distinct nodes among keys signed
// the header.
func VerifyQuorum(h *Header, sigs []HeaderSignature, keys map[string]sign.PublicKey, quorum int) error {
	hh := h.Hash()
	msg := HeaderSignBytes(hh)
	seen := map[string]bool{}
	for _, s := range sigs {
		k, ok := keys[s.Node]
		if !ok || seen[s.Node] || k.Alg != s.Alg {
			continue
		}
		if k.Verify(msg, s.Sig) == nil {
			seen[s.Node] = true
		}
	}
	if len(seen) < quorum {
		return fmt.Errorf("%w: %d valid of %d needed for block %d", ErrQuorum, len(seen), quorum, h.Height)
	}
	return nil
}
