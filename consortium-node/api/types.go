package api

import (
	"bytes"
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/privacy/sign"
)

// Limits of the API.
const (
	MaxBodyBytes   = 16 << 20
	MaxTxsPerBatch = 5000
)

// Submission statuses.
const (
	StatusCommitted = "committed" // in a block; see the receipt for success
	StatusPending   = "pending"   // admitted, not yet in a block
	StatusRejected  = "rejected"  // not admitted or left out of a block
)

// SubmitRequest is the JSON form of POST /v1/txs.
type SubmitRequest struct {
	Txs [][]byte `json:"txs"`
}

// Refusal says why a node refused a transaction (TxStatus.Reason): a small
// fixed set, fit for a metric label, never carrying request data. The
// node's admission (mempool.Reason) and block building use these values.
type Refusal string

// Why a transaction was refused.
const (
	RefusedMalformed    Refusal = "malformed"     // undecodable, non-canonical or over the size limits
	RefusedWrongChain   Refusal = "wrong_chain"   // signed for another chain
	RefusedExpired      Refusal = "expired"       // outside the replay window
	RefusedPrecheck     Refusal = "precheck"      // the contract refuses its shape before admission
	RefusedCommitted    Refusal = "committed"     // already in a block
	RefusedBadSignature Refusal = "bad_signature" // the signature does not verify
	RefusedNotMember    Refusal = "not_member"    // not signed by a current key of an active member
	RefusedDuplicate    Refusal = "duplicate"     // already pending
	RefusedFull         Refusal = "full"          // the pool is full: retry later
	RefusedOther        Refusal = "other"         // e.g. the node could not read its ledger
)

// Refusals returns every Refusal, each once.
func Refusals() []Refusal {
	return []Refusal{RefusedMalformed, RefusedWrongChain, RefusedExpired, RefusedPrecheck, RefusedCommitted,
		RefusedBadSignature, RefusedNotMember, RefusedDuplicate, RefusedFull, RefusedOther}
}

// TxStatus is the result for one submitted transaction.
type TxStatus struct {
	ID      tx.ID           `json:"id"`
	Status  string          `json:"status"`
	Error   string          `json:"error,omitempty"`
	Reason  Refusal         `json:"reason,omitempty"` // why it was rejected (Status "rejected")
	Height  uint64          `json:"height,omitempty"`
	Index   int             `json:"index,omitempty"`
	Receipt *ledger.Receipt `json:"receipt,omitempty"`
}

// SubmitResponse answers POST /v1/txs.
type SubmitResponse struct {
	Results []TxStatus `json:"results"`
}

// Error is the body of every 4xx/5xx answer.
type Error struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Tx is a transaction inside a block: its exact signed bytes and, for
// readers, the decoded form.
type Tx struct {
	ID        tx.ID        `json:"id"`
	Raw       []byte       `json:"raw"`
	Body      tx.Body      `json:"body"`
	Signature tx.Signature `json:"signature"`
}

// Block is a committed block with receipts and node signatures.
type Block struct {
	Hash       ledger.Hash              `json:"hash"`
	Header     ledger.Header            `json:"header"`
	Txs        []Tx                     `json:"txs"`
	Receipts   []ledger.Receipt         `json:"receipts"`
	Signatures []ledger.HeaderSignature `json:"signatures"`
}

// NewBlock builds the wire form of a block.
func NewBlock(b *ledger.Block, receipts []ledger.Receipt, sigs []ledger.HeaderSignature) (*Block, error) {
	out := &Block{Hash: b.Header.Hash(), Header: b.Header, Txs: make([]Tx, len(b.Txs)), Receipts: receipts, Signatures: sigs}
	for i, raw := range b.Txs {
		s, err := tx.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("api: block %d tx %d: %w", b.Header.Height, i, err)
		}
		out.Txs[i] = Tx{ID: tx.HashID(raw), Raw: raw, Body: s.Body, Signature: s.Signature}
	}
	return out, nil
}

// Check verifies that the block is internally consistent: the hash matches
// the header, the Merkle roots match the transactions and receipts, each
// decoded transaction matches its bytes, and each receipt belongs to its
// transaction. It does not check node signatures (see ledger.VerifyQuorum).
func (b *Block) Check() error {
	if b.Header.Hash() != b.Hash {
		return fmt.Errorf("%w: block %d hash does not match its header", ledger.ErrIntegrity, b.Header.Height)
	}
	if len(b.Txs) != len(b.Receipts) {
		return fmt.Errorf("%w: block %d has %d txs and %d receipts", ledger.ErrIntegrity, b.Header.Height, len(b.Txs), len(b.Receipts))
	}
	raws := make([][]byte, len(b.Txs))
	for i, t := range b.Txs {
		raws[i] = t.Raw
		if tx.HashID(t.Raw) != t.ID || b.Receipts[i].TxID != t.ID {
			return fmt.Errorf("%w: block %d tx %d id mismatch", ledger.ErrIntegrity, b.Header.Height, i)
		}
		s := tx.Signed{Body: t.Body, Signature: t.Signature}
		enc, err := s.Encode()
		if err != nil || !bytes.Equal(enc, t.Raw) {
			return fmt.Errorf("%w: block %d tx %d decoded form does not match its bytes", ledger.ErrIntegrity, b.Header.Height, i)
		}
	}
	if ledger.TxRoot(raws) != b.Header.TxRoot {
		return fmt.Errorf("%w: block %d transaction root mismatch", ledger.ErrIntegrity, b.Header.Height)
	}
	if ledger.ReceiptRoot(b.Receipts) != b.Header.ReceiptRoot {
		return fmt.Errorf("%w: block %d receipt root mismatch", ledger.ErrIntegrity, b.Header.Height)
	}
	return nil
}

// RaftStatus is the consensus part of Status.
type RaftStatus struct {
	// Voters are the raft ids of the current voting members.
	Voters  []uint64 `json:"voters"`
	ID      uint64   `json:"id"`
	Term    uint64   `json:"term"`
	Leader  uint64   `json:"leader"`
	State   string   `json:"state"`
	Commit  uint64   `json:"commit"`
	Applied uint64   `json:"applied"`
}

// Status answers GET /v1/status.
type Status struct {
	ChainID   string      `json:"chain_id"`
	NodeID    string      `json:"node_id"`
	Height    uint64      `json:"height"`
	HeadHash  ledger.Hash `json:"head_hash"`
	StateHash ledger.Hash `json:"state_hash"`
	HeadTime  time.Time   `json:"head_time"`
	// Pending counts admitted transactions not yet committed.
	Pending int        `json:"pending"`
	Raft    RaftStatus `json:"raft"`
	Nodes   int        `json:"nodes"`
	// Error is set when the node stopped applying blocks.
	Error string `json:"error,omitempty"`
	// KeysExpiring lists members whose signing key expires within 30 days
	// (or has expired): an organisation admin must rotate them.
	KeysExpiring []ExpiringKey `json:"keys_expiring"`
}

// Private record requests (custodian node only). Both are CBOR, signed by
// the member's identity key over PrivateSignBytes.

// UploadRequest stores a record version's ciphertext on its custodian
// node: the sealed record and its data key wrapped for the node
// (privacy/envelope).
type UploadRequest struct {
	_        struct{} `cbor:",toarray"`
	RecordID string
	Version  uint64
	Sealed   []byte
	Wrapped  []byte
	Uploader string
	Time     int64 // Unix seconds; must be within 5 minutes of the node's clock
	Sig      []byte
}

// FetchRequest asks the custodian for a record under a committed access
// transaction.
type FetchRequest struct {
	_        struct{} `cbor:",toarray"`
	AccessID tx.ID
	Reader   string
	Time     int64
	Sig      []byte
}

// FetchResponse carries the sealed record and its data key wrapped for the
// reader.
type FetchResponse struct {
	_        struct{} `cbor:",toarray"`
	RecordID string
	Version  uint64
	Sealed   []byte
	Wrapped  []byte
}

// Off-ledger notes of a break-glass access (docs/security.md, "Break-glass
// notes"): the physician's written reason, for the custodian's privacy
// officer, and the privacy officer's review note. The ledger keeps only
// their SHA-256 (the access's and the review's note_hash); the text is
// sealed (privacy/envelope) under a fresh data key wrapped for each node
// of the custodian organisation, so the nodes that relay it and the
// custodian's disk hold only opaque bytes.
const (
	// NoteReason is the break-glass reader's written reason.
	NoteReason = "reason"
	// NoteReview is the custodian privacy officer's review note.
	NoteReview = "review"
	// MaxNoteBytes bounds a note's text (UTF-8 bytes).
	MaxNoteBytes = 4096
	// MaxNoteRequestBytes bounds a NoteRequest on the wire: the sealed
	// note and a wrapped key (about 1.2 KiB) per custodian node, for up
	// to MaxNoteKeys nodes.
	MaxNoteRequestBytes = 64 << 10
	// MaxNoteKeys bounds the wrapped keys of one note.
	MaxNoteKeys = 32
	// NoteObject and NoteAction are the policy's question for who may
	// read a custodian's notes: those who may read its break-glass queue.
	NoteObject = "break_glass"
	NoteAction = "read"
)

// NoteID names the note of kind about access: the record id and version
// (1) a note's envelope binds, so that a sealed note or its key cannot be
// passed off as another access's or another kind's.
func NoteID(kind string, access tx.ID) string { return "note-" + kind + "-" + access.String() }

// NoteKey is a note's data key wrapped for one node of the custodian.
type NoteKey struct {
	_       struct{} `cbor:",toarray"`
	Node    string
	Wrapped []byte
}

// NoteRequest delivers a note to the custodian of the record an access
// names (POST /v1/private/notes), signed by its writer: the access's
// reader for NoteReason, the review's reviewer for NoteReview.
type NoteRequest struct {
	_        struct{} `cbor:",toarray"`
	AccessID tx.ID
	Kind     string
	Sealed   []byte    // envelope.Seal of the text, as NoteID(Kind, AccessID) version 1
	Keys     []NoteKey // the data key wrapped for the custodian's nodes
	Sender   string
	Time     int64
	Sig      []byte
}

// NoteFetchRequest asks the custodian for a note (POST
// /v1/private/notes/fetch), signed by a member the policy lets read the
// custodian's break-glass queue.
type NoteFetchRequest struct {
	_        struct{} `cbor:",toarray"`
	AccessID tx.ID
	Kind     string
	Reader   string
	Time     int64
	Sig      []byte
}

// NoteFetchResponse carries the sealed note and its data key wrapped for
// the reader.
type NoteFetchResponse struct {
	_        struct{} `cbor:",toarray"`
	AccessID tx.ID
	Kind     string
	Sealed   []byte
	Wrapped  []byte
}

// PrivateSignBytes returns what a member signs for a private request: the
// request with an empty Sig, under a domain separator.
func PrivateSignBytes(req any) ([]byte, error) {
	unsigned, _, domain, err := privateParts(req)
	if err != nil {
		return nil, err
	}
	b, err := codec.Marshal(unsigned)
	if err != nil {
		return nil, err
	}
	return append([]byte(domain), b...), nil
}

// SignPrivate signs a private request (*UploadRequest, *FetchRequest,
// *NoteRequest or *NoteFetchRequest) in
// place with the member's key.
func SignPrivate(req any, key *sign.PrivateKey) error {
	msg, err := PrivateSignBytes(req)
	if err != nil {
		return err
	}
	_, sig, _, err := privateParts(req)
	if err != nil {
		return err
	}
	*sig = key.Sign(msg)
	return nil
}

// privateParts returns, for a private request, a copy of it with an empty
// Sig, where its own Sig is and the domain separator of its signatures.
func privateParts(req any) (unsigned any, sig *[]byte, domain string, err error) {
	switch r := req.(type) {
	case *UploadRequest:
		c := *r
		c.Sig = nil
		return &c, &r.Sig, "almoner/upload/v1\x00", nil
	case *FetchRequest:
		c := *r
		c.Sig = nil
		return &c, &r.Sig, "almoner/fetch/v1\x00", nil
	case *NoteRequest:
		c := *r
		c.Sig = nil
		return &c, &r.Sig, "almoner/note/v1\x00", nil
	case *NoteFetchRequest:
		c := *r
		c.Sig = nil
		return &c, &r.Sig, "almoner/note-fetch/v1\x00", nil
	default:
		return nil, nil, "", fmt.Errorf("api: %T is not a private request", req)
	}
}

// ExpiringKey is a member whose signing key expires soon (GET
// /v1/keys/expiring).
type ExpiringKey struct {
	Member  string    `json:"member"`
	Org     string    `json:"org"`
	Expires time.Time `json:"expires"`
	Expired bool      `json:"expired"`
}

// Policy answers GET /v1/policy: the authorisation rules in force for the
// next block, and the governance threshold.
type Policy struct {
	// Height is the block the policy is as of (it applies from Height+1).
	Height uint64 `json:"height"`
	// Rules are "sub,dom,obj,act,cond,eft" rules (policies/model.conf).
	Rules []policies.Rule `json:"rules"`
	// ThresholdPercent: proposals need approvals from strictly more than
	// this share of organisations.
	ThresholdPercent uint64 `json:"threshold_percent"`
}
