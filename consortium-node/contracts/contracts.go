package contracts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// Errors a transaction can fail with. Contracts wrap them with detail; the
// message ends up in the failed receipt, so it must be deterministic and
// must never contain personal health data or secrets.
var (
	ErrUnknownContract = errors.New("unknown contract")
	ErrUnknownMethod   = errors.New("unknown method")
	ErrUnauthenticated = errors.New("sender not authenticated")
	ErrDenied          = errors.New("permission denied")
	ErrInvalid         = errors.New("invalid argument")
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("already exists")
)

// Context is what a contract sees while it executes one transaction.
type Context interface {
	// Get, Set and Delete address the contract's own key space.
	Get(key string) ([]byte, bool)
	Set(key string, value []byte)
	Delete(key string)
	// ReadOther reads another contract's key (read-only).
	ReadOther(contract, key string) ([]byte, bool)
	// Emit records an event for the read model.
	Emit(typ string, attrs ...ledger.Attr)
	// Caller is the authenticated sender's member id.
	Caller() string
	// TxID is the executing transaction's id.
	TxID() tx.ID
	// ChainID is the chain's id (for binding signatures to this chain).
	ChainID() string
	// Height and Time are the block's; contracts never read the wall clock.
	Height() uint64
	Time() time.Time
}

// Contract is a native system contract.
type Contract interface {
	// Name is the contract's name in calls and its key-space prefix.
	Name() string
	// Call runs method. A returned error fails the transaction and
	// discards its writes and events.
	Call(ctx Context, method string, args tx.Args) error
}

// StateReader reads any key of committed-or-speculative state; keys are
// full keys ("contract/key").
type StateReader interface {
	Get(key string) ([]byte, bool)
}

// Authenticator decides whether key may sign transactions for sender,
// given current state. The identity contract implements it.
type Authenticator interface {
	Authenticate(r StateReader, sender string, key sign.PublicKey, now time.Time) error
}

// Key returns the full state key of a contract's key.
func Key(contract, key string) string { return contract + "/" + key }

// Registry holds the contracts a chain runs.
type Registry struct {
	byName map[string]Contract
	auth   Authenticator
}

// NewRegistry builds a registry; names must be unique and free of "/".
func NewRegistry(auth Authenticator, cs ...Contract) (*Registry, error) {
	if auth == nil {
		return nil, errors.New("contracts: an authenticator is required")
	}
	r := &Registry{byName: make(map[string]Contract, len(cs)), auth: auth}
	for _, c := range cs {
		n := c.Name()
		if n == "" || strings.Contains(n, "/") {
			return nil, fmt.Errorf("contracts: bad contract name %q", n)
		}
		if _, dup := r.byName[n]; dup {
			return nil, fmt.Errorf("contracts: contract %q registered twice", n)
		}
		r.byName[n] = c
	}
	return r, nil
}

// Block is what the runtime knows of the block being executed.
type Block struct {
	ChainID string
	Height  uint64
	Time    time.Time
}

// Txn returns the executor transaction for a decoded signed transaction.
// verified says the node already checked the signature (at admission), in
// which case Prepare does not check it again.
func (r *Registry) Txn(b Block, s *tx.Signed, id tx.ID, verified bool) exec.Txn {
	return &txn{reg: r, block: b, stx: s, id: id, verified: verified}
}

type txn struct {
	reg      *Registry
	block    Block
	stx      *tx.Signed
	id       tx.ID
	verified bool
	contract Contract
}

func (t *txn) Prepare() error {
	c, ok := t.reg.byName[t.stx.Body.Call.Contract]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownContract, t.stx.Body.Call.Contract)
	}
	t.contract = c
	if !t.verified {
		return t.stx.Verify()
	}
	return nil
}

func (t *txn) Run(v exec.View) error {
	sender := t.stx.Body.Sender
	if err := t.reg.auth.Authenticate(fullReader{v}, sender, t.stx.Signature.PublicKey(), t.block.Time); err != nil {
		return err
	}
	ctx := &callCtx{v: v, contract: t.contract.Name(), caller: sender, t: t}
	return t.contract.Call(ctx, t.stx.Body.Call.Method, t.stx.Body.Call.Args)
}

type fullReader struct{ v exec.View }

func (f fullReader) Get(key string) ([]byte, bool) { return f.v.Get(key) }

type callCtx struct {
	v        exec.View
	contract string
	caller   string
	t        *txn
}

func (c *callCtx) Get(key string) ([]byte, bool) { return c.v.Get(Key(c.contract, key)) }
func (c *callCtx) Set(key string, value []byte)  { c.v.Set(Key(c.contract, key), value) }
func (c *callCtx) Delete(key string)             { c.v.Delete(Key(c.contract, key)) }
func (c *callCtx) ReadOther(contract, key string) ([]byte, bool) {
	return c.v.Get(Key(contract, key))
}
func (c *callCtx) Emit(typ string, attrs ...ledger.Attr) {
	c.v.Emit(ledger.Event{Contract: c.contract, Type: typ, Attrs: attrs})
}
func (c *callCtx) Caller() string  { return c.caller }
func (c *callCtx) TxID() tx.ID     { return c.t.id }
func (c *callCtx) ChainID() string { return c.t.block.ChainID }
func (c *callCtx) Height() uint64  { return c.t.block.Height }
func (c *callCtx) Time() time.Time { return c.t.block.Time }

var _ Context = (*callCtx)(nil)

// State returns a StateReader over full keys ("contract/key") for code
// running in contract's context: its own keys read through ctx.Get (so it
// sees its own writes), other contracts' through ctx.ReadOther.
func State(ctx Context, contract string) StateReader { return ctxState{ctx, contract} }

type ctxState struct {
	ctx      Context
	contract string
}

func (s ctxState) Get(key string) ([]byte, bool) {
	c, rest, _ := strings.Cut(key, "/")
	if c == s.contract {
		return s.ctx.Get(rest)
	}
	return s.ctx.ReadOther(c, rest)
}

// InvalidArg wraps an argument decoding error as ErrInvalid.
func InvalidArg(err error) error { return fmt.Errorf("%w: %v", ErrInvalid, err) }
