package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// ErrNoCustodian means the organisation runs no node to hold records.
var ErrNoCustodian = errors.New("records: the organisation runs no node to hold its records")

// Node is what Records needs of a node: *client.Client satisfies it.
type Node interface {
	Nodes(ctx context.Context) ([]genesis.Node, error)
	Status(ctx context.Context) (*api.Status, error)
	UploadRecord(ctx context.Context, req *api.UploadRequest) error
	FetchRecord(ctx context.Context, req *api.FetchRequest) (*api.FetchResponse, error)
	DeliverNote(ctx context.Context, req *api.NoteRequest) error
	FetchNote(ctx context.Context, req *api.NoteFetchRequest) (*api.NoteFetchResponse, error)
}

// Keys holds members' keys: *keyring.Keyring satisfies it.
type Keys interface {
	SignPrivate(member string, req any) error
	ReaderKey(member string) (*envelope.ReaderKey, error)
}

// Records seals, uploads, fetches and opens records for members.
type Records struct {
	node Node
	keys Keys
	now  func() time.Time
}

// New returns Records over a node and a keyring.
func New(node Node, keys Keys) *Records {
	return &Records{node: node, keys: keys, now: time.Now}
}

// custodian returns the node of org that an upload through this portal's
// node reaches: that node itself when it is one of org's (a portal
// follows its own organisation's nodes, and fails over among them), else
// the first of org's nodes by id. The data key is wrapped for it; the
// custodian's other nodes get their copies from it, re-wrapped.
func (r *Records) custodian(ctx context.Context, org string) (genesis.Node, error) {
	nodes, err := r.node.Nodes(ctx)
	if err != nil {
		return genesis.Node{}, fmt.Errorf("records: listing nodes: %w", err)
	}
	nodes = slices.DeleteFunc(nodes, func(n genesis.Node) bool { return n.Org != org })
	if len(nodes) == 0 {
		return genesis.Node{}, fmt.Errorf("%w: %s", ErrNoCustodian, org)
	}
	if st, err := r.node.Status(ctx); err == nil {
		for _, n := range nodes {
			if n.ID == st.NodeID {
				return n, nil
			}
		}
	}
	slices.SortFunc(nodes, func(a, b genesis.Node) int { return strings.Compare(a.ID, b.ID) })
	return nodes[0], nil
}

// Store seals plaintext as version of record id under a fresh data key,
// wraps the key for org's custodian node, and uploads both, signed by
// member. It returns the ciphertext hash to register on the ledger.
// plaintext is only read, and not kept: it may be a slice of the request
// body (a file of a GraphQL multipart request). Until the ledger
// registers the hash the custodian keeps the upload staged, and destroys
// it after a grace period if no registration names it (docs/decisions/0018).
func (r *Records) Store(ctx context.Context, member, org, id string, version uint64, plaintext []byte) (ledger.Hash, error) {
	n, err := r.custodian(ctx, org)
	if err != nil {
		return ledger.Hash{}, err
	}
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		return ledger.Hash{}, fmt.Errorf("records: %w", err)
	}
	defer dk.Destroy()
	sealed, err := envelope.Seal(nil, dk, id, version, plaintext)
	if err != nil {
		return ledger.Hash{}, fmt.Errorf("records: sealing: %w", err)
	}
	wrapped, err := envelope.Wrap(nil, n.EncKey.Key, n.ID, dk, id, version)
	if err != nil {
		return ledger.Hash{}, fmt.Errorf("records: wrapping for %s: %w", n.ID, err)
	}
	req := &api.UploadRequest{RecordID: id, Version: version, Sealed: sealed, Wrapped: wrapped, Uploader: member, Time: r.now().Unix()}
	if err := r.keys.SignPrivate(member, req); err != nil {
		return ledger.Hash{}, err
	}
	if err := r.node.UploadRecord(ctx, req); err != nil {
		return ledger.Hash{}, fmt.Errorf("records: uploading %s: %w", id, err)
	}
	return envelope.CiphertextHash(sealed), nil
}

// ErrNotLedgers means the custodian released something other than what
// the ledger registered: another record or version, or a ciphertext
// whose hash is not the registered one. It is not shown to the reader.
var ErrNotLedgers = errors.New("records: the custodian released a ciphertext the ledger did not register")

// Opened is a record released to its reader.
type Opened struct {
	RecordID       string
	Version        uint64
	Plaintext      []byte
	CiphertextHash ledger.Hash // of the sealed bytes the custodian released
}

// Check compares what the custodian released with what the ledger holds:
// record recordID at version, whose ciphertext hash is ledgerHash (hex,
// as the read model keeps it). The custodian is the party whose honesty
// a reader cannot assume, so a reader checks before trusting content.
func (o *Opened) Check(recordID string, version uint64, ledgerHash string) error {
	if o.RecordID != recordID || o.Version != version || o.CiphertextHash.String() != ledgerHash {
		return fmt.Errorf("%w: asked for %s version %d, got %s version %d", ErrNotLedgers, recordID, version, o.RecordID, o.Version)
	}
	return nil
}

// Open fetches the record released by the committed, granted access
// transaction access from the custodian and opens it with member's key.
// The custodian refuses an access that is not member's, not granted or
// expired.
func (r *Records) Open(ctx context.Context, member string, access tx.ID) (*Opened, error) {
	req := &api.FetchRequest{AccessID: access, Reader: member, Time: r.now().Unix()}
	if err := r.keys.SignPrivate(member, req); err != nil {
		return nil, err
	}
	resp, err := r.node.FetchRecord(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("records: fetching under access %s: %w", access, err)
	}
	rk, err := r.keys.ReaderKey(member)
	if err != nil {
		return nil, err
	}
	defer rk.Destroy()
	dk, err := envelope.Unwrap(rk, member, resp.Wrapped, resp.RecordID, resp.Version)
	if err != nil {
		return nil, fmt.Errorf("records: the data key of %s: %w", resp.RecordID, err)
	}
	defer dk.Destroy()
	pt, err := envelope.Open(dk, resp.Sealed, resp.RecordID, resp.Version)
	if err != nil {
		return nil, fmt.Errorf("records: opening %s: %w", resp.RecordID, err)
	}
	return &Opened{RecordID: resp.RecordID, Version: resp.Version, Plaintext: pt, CiphertextHash: envelope.CiphertextHash(resp.Sealed)}, nil
}
