package server

import (
	"context"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// The node as the API's route groups see it: each group's handlers hold
// only their own small interface, so what a route can ask of the node is
// that interface's methods. *node.Node implements every one; methods are
// safe for concurrent use (handlers run concurrently).

// Submitter admits signed transactions: POST /v1/txs.
type Submitter interface {
	// Submit admits raws and, when wait is set, waits for their commit
	// until ctx ends; one result per transaction, in order.
	Submit(ctx context.Context, raws [][]byte, wait bool) ([]node.TxResult, error)
}

// Chain serves the committed chain: GET /v1/txs/{id}, /v1/blocks/...,
// /v1/stream. Unknown ids, heights and hashes are errors matching
// node.ErrNotFound.
type Chain interface {
	Proof(id tx.ID) (*ledger.ReceiptProof, error)
	Block(height uint64) (*node.BlockWithReceipts, error)
	BlockByHash(h ledger.Hash) (*node.BlockWithReceipts, error)
	Head() store.Head
	// HeadChanged is closed when the head next moves.
	HeadChanged() <-chan struct{}
}

// Consortium describes the consortium and the node: GET /v1/status,
// /v1/genesis, /v1/nodes, /v1/keys/expiring, /v1/policy,
// /v1/proposals/{id}.
type Consortium interface {
	Status() api.Status
	Genesis() any
	Members() []consortium.Node
	ExpiringKeys(within time.Duration) ([]api.ExpiringKey, error)
	Policy() (*api.Policy, error)
	// Proposal returns a governance proposal with its tally; an unknown
	// id is an error matching node.ErrNotFound.
	Proposal(id string) (*governance.View, error)
}

// Records serves a custodian's private records: /v1/private/....
type Records interface {
	UploadRecord(req *api.UploadRequest) error
	// FetchRecord serves a record under a committed access, relaying the
	// request to the custodian organisation's nodes when this node does
	// not keep it; node.ErrUnavailable when none of them answers.
	FetchRecord(ctx context.Context, req *api.FetchRequest) (*api.FetchResponse, error)
	// CustodianReachable is nil when a node of org that keeps records
	// answers now, else node.ErrUnavailable.
	CustodianReachable(ctx context.Context, org string) error
}

// Notes keeps and releases break-glass notes (node/notes.go):
// /v1/private/notes....
type Notes interface {
	// DeliverNote keeps a note on a node of the custodian of the
	// access's record (relayed when this node is not one).
	DeliverNote(ctx context.Context, req *api.NoteRequest) error
	// FetchNote releases a note to a reader the policy allows (relayed
	// to the custodian's nodes when this node keeps no copy).
	FetchNote(ctx context.Context, req *api.NoteFetchRequest) (*api.NoteFetchResponse, error)
}

// Authenticator authenticates signed requests, for every route.
type Authenticator interface {
	// Caller authenticates a signed request (msg, sig) of id; an unknown
	// id or a bad signature is node.ErrForbidden.
	Caller(id string, msg, sig []byte) (*api.Caller, error)
}

// Backend is the node as one value, which Config takes: every route
// group's interface. New hands each group only its own.
type Backend interface {
	Submitter
	Chain
	Consortium
	Records
	Notes
	Authenticator
}

var (
	_ Backend       = (*node.Node)(nil)
	_ BackupBackend = (*node.Node)(nil)
)
