package contracts

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/vocab"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/privacy/sign"
)

// Errors a transaction can fail with, defined once in contracts/vocab (so
// that vocabulary packages and portals share them). Contracts wrap them with
// detail; the message ends up in the failed receipt, so it must be
// deterministic and must never contain personal health data or secrets.
var (
	ErrUnknownContract = vocab.ErrUnknownContract
	ErrUnknownMethod   = vocab.ErrUnknownMethod
	ErrUnauthenticated = vocab.ErrUnauthenticated
	ErrDenied          = vocab.ErrDenied
	ErrInvalid         = vocab.ErrInvalid
	ErrNotFound        = vocab.ErrNotFound
	ErrConflict        = vocab.ErrConflict
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
	// Authorize asks the policy whether the caller may do act on obj. It
	// returns nil, or an ErrDenied error naming the subject, domain,
	// object and action and what the policy would need. Every method must
	// call it at least once before it succeeds; the runtime fails a call
	// that returns without having asked.
	Authorize(obj Resource, act string) error
	// As returns a context over another contract's key space (reads,
	// writes and events in that contract's name, the same caller and
	// authorisation), for the governance contract executing an approved
	// proposal and for a Delegator calling a shared function of a
	// contract it names (the claim contract registering a claim's
	// document with the record contract's own checks). Others get
	// ErrDenied. The writes are the transaction's: when the call fails,
	// none is kept.
	As(contract string) (Context, error)
}

// Resource is what an action is on, as the policy sees it.
type Resource struct {
	// Type is a kind of resource in the policies catalogue ("record").
	Type string
	// Owner is the member the resource belongs to (a record's patient, a
	// gift's donor, a milestone's named validator), or "".
	Owner string
	// Org is the organisation that holds it (a record's custodian, a
	// claim's insurer, a member's organisation), or "".
	Org string
	// Consent is true when an active consent of Owner covers the caller
	// for this action and purpose; the contract checks that before asking.
	Consent bool
}

// Authorizer decides policy requests. *policies.Enforcer implements it;
// AllowAll switches authorisation off (benchmarks only).
type Authorizer interface {
	Enforce(policies.Request) (policies.Decision, error)
}

// AllowAll is an Authorizer that allows everything. Nodes never use it; it
// exists to measure what authorisation costs.
type AllowAll struct{}

// Enforce implements Authorizer.
func (AllowAll) Enforce(policies.Request) (policies.Decision, error) {
	return policies.Decision{Allowed: true}, nil
}

// hinter is implemented by authorizers that can say which rules would
// allow a denied action (*policies.Enforcer does).
type hinter interface {
	Allowing(obj, act string) []policies.Rule
}

// Governor marks the contract allowed to use Context.As: governance,
// whose proposals only execute once a threshold of organisations approved.
type Governor interface {
	Contract
	Governs()
}

// Delegator marks a contract allowed to use Context.As over the
// contracts Delegates names, and only those: it calls their shared
// functions, which apply their own authorisation and checks, so that
// one transaction does both contracts' work or none of it.
type Delegator interface {
	Contract
	Delegates() []string
}

// Contract is a native system contract.
type Contract interface {
	// Name is the contract's name in calls and its key-space prefix.
	Name() string
	// Methods returns the contract's dispatch table. The registry reads
	// it once, checks it and dispatches every call through it.
	Methods() Methods
}

// Prechecker is a contract that checks a call's shape before the call is
// admitted to the mempool: what must never reach a block, even as a
// failed transaction (a failed transaction's arguments are on the ledger
// too), such as an argument that would carry health data. Precheck reads
// no state; its error names no argument value.
type Prechecker interface {
	Precheck(method string, args tx.Args) error
}

// ErrShape wraps a Precheck refusal.
var ErrShape = errors.New("refused at admission")

// Precheck runs the called contract's Precheck, if it has one.
func (r *Registry) Precheck(c tx.Call) error {
	if p, ok := r.byName[c.Contract].Contract.(Prechecker); ok {
		if err := p.Precheck(c.Method, c.Args); err != nil {
			return fmt.Errorf("%w: %s.%s: %w", ErrShape, c.Contract, c.Method, err)
		}
	}
	return nil
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
func Key(contract, key string) string { return vocab.Key(contract, key) }

// Registry holds the contracts a chain runs.
type Registry struct {
	byName map[string]registered
	auth   Authenticator
}

// registered is a contract and its dispatch table, read once.
type registered struct {
	Contract
	methods Methods
}

// NewRegistry builds a registry; names must be unique and free of "/",
// and each contract's Methods must pass Methods.Check.
func NewRegistry(auth Authenticator, cs ...Contract) (*Registry, error) {
	if auth == nil {
		return nil, errors.New("contracts: an authenticator is required")
	}
	r := &Registry{byName: make(map[string]registered, len(cs)), auth: auth}
	for _, c := range cs {
		n := c.Name()
		if n == "" || strings.Contains(n, "/") {
			return nil, fmt.Errorf("contracts: bad contract name %q", n)
		}
		if _, dup := r.byName[n]; dup {
			return nil, fmt.Errorf("contracts: contract %q registered twice", n)
		}
		ms := c.Methods()
		if err := ms.Check(); err != nil {
			return nil, fmt.Errorf("contracts: contract %q: %w", n, err)
		}
		r.byName[n] = registered{Contract: c, methods: ms}
	}
	return r, nil
}

// Contracts returns the registered contracts, sorted by name (for tools
// and tests that enumerate what a chain runs).
func (r *Registry) Contracts() []Contract {
	out := make([]Contract, 0, len(r.byName))
	for _, c := range r.byName {
		out = append(out, c.Contract)
	}
	slices.SortFunc(out, func(a, b Contract) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Block is what the runtime knows of the block being executed.
type Block struct {
	ChainID string
	Height  uint64
	Time    time.Time
	// Policy decides every call's authorisation: the policy as of the
	// block's start, the same on every node. Required.
	Policy Authorizer
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
	contract registered
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
	if t.block.Policy == nil {
		return errors.New("contracts: internal: the block has no policy to authorise calls with")
	}
	sender := t.stx.Body.Sender
	if err := t.reg.auth.Authenticate(fullReader{v}, sender, t.stx.Signature.PublicKey(), t.block.Time); err != nil {
		return err
	}
	auth := &authState{}
	ctx := &callCtx{v: v, contract: t.contract.Name(), caller: sender, t: t, auth: auth}
	call := t.stx.Body.Call
	if err := t.contract.methods.Call(ctx, call.Contract, call.Method, call.Args); err != nil {
		return err
	}
	if !auth.asked {
		return fmt.Errorf("contracts: internal: %s.%s returned without an authorisation check", call.Contract, call.Method)
	}
	return nil
}

// authState is shared by a call's context and the contexts As derives.
type authState struct{ asked bool }

type fullReader struct{ v exec.View }

func (f fullReader) Get(key string) ([]byte, bool) { return f.v.Get(key) }

type callCtx struct {
	v        exec.View
	contract string
	caller   string
	t        *txn
	auth     *authState
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

func (c *callCtx) As(contract string) (Context, error) {
	_, governs := c.t.contract.Contract.(Governor)
	if d, ok := c.t.contract.Contract.(Delegator); ok && slices.Contains(d.Delegates(), contract) {
		governs = true
	}
	if !governs {
		return nil, fmt.Errorf("%w: contract %q may not write %q's state", ErrDenied, c.t.contract.Name(), contract)
	}
	if _, ok := c.t.reg.byName[contract]; !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownContract, contract)
	}
	d := *c
	d.contract = contract
	return &d, nil
}

func (c *callCtx) Authorize(obj Resource, act string) error {
	c.auth.asked = true
	dom, _, _ := strings.Cut(c.caller, "/")
	req := policies.Request{Sub: c.caller, Dom: dom, Obj: obj.Type, Act: act, Owner: obj.Owner, Org: obj.Org, Consent: obj.Consent}
	d, err := c.t.block.Policy.Enforce(req)
	if err != nil {
		return fmt.Errorf("contracts: internal: %w", err)
	}
	if d.Allowed {
		return nil
	}
	return &DeniedError{Request: req, Roles: d.Roles, Rule: d.Rule, Allowing: hint(c.t.block.Policy, obj.Type, act)}
}

func hint(a Authorizer, obj, act string) []policies.Rule {
	if h, ok := a.(hinter); ok {
		return h.Allowing(obj, act)
	}
	return nil
}

// DeniedError is a policy denial. Its message names the subject, domain,
// object and action, the deny rule that decided (if one did), and the
// rules that would have allowed it. It matches ErrDenied.
type DeniedError struct {
	Request policies.Request
	// Roles are the subject's roles in its organisation.
	Roles    []string
	Rule     string
	Allowing []policies.Rule
}

func (e *DeniedError) Error() string {
	r := e.Request
	var b strings.Builder
	roles := "no roles"
	if len(e.Roles) > 0 {
		roles = "roles " + strings.Join(e.Roles, ",")
	}
	fmt.Fprintf(&b, "%v: policy denies %s (%s in organisation %s) %q on %s", ErrDenied, r.Sub, roles, r.Dom, r.Act, r.Obj)
	var rel []string
	if r.Org != "" {
		rel = append(rel, "held by "+r.Org)
	}
	if r.Owner != "" {
		rel = append(rel, "belonging to "+r.Owner)
	}
	if r.Consent {
		rel = append(rel, "under an active consent")
	}
	if len(rel) > 0 {
		b.WriteString(" (" + strings.Join(rel, ", ") + ")")
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, "; denied by rule %q", e.Rule)
	} else {
		b.WriteString("; no rule allows it")
	}
	if len(e.Allowing) > 0 {
		var who []string
		for _, a := range e.Allowing {
			w := a.Sub
			switch a.Cond {
			case policies.CondOwn:
				w += " (own only)"
			case policies.CondOrg:
				w += " (of the holding organisation)"
			case policies.CondConsent:
				w += " (under the owner's active consent)"
			}
			if a.Dom != "*" {
				w += " in " + a.Dom
			}
			who = append(who, w)
		}
		b.WriteString("; allowed for: " + strings.Join(who, ", "))
	}
	return b.String()
}

// Is makes DeniedError match ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

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

// Put encodes v (deterministic CBOR) at the contract's key k.
func Put(ctx Context, k string, v any) error {
	b, err := codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("contracts: encoding %s: %w", k, err)
	}
	ctx.Set(k, b)
	return nil
}

// Load decodes the value at full key k of r into a new T; what names it in
// errors (ErrNotFound when absent).
func Load[T any](r StateReader, k, what string) (*T, error) {
	return LoadAs[T](r, k, what, "contracts")
}

// LoadAs is Load for a contract that names itself (owner) in the error
// of a value that does not decode.
func LoadAs[T any](r StateReader, k, what, owner string) (*T, error) {
	b, ok := r.Get(k)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	var v T
	if err := codec.State.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: corrupt %s: %w", owner, what, err)
	}
	return &v, nil
}

// ScanDecoded reads every value under prefix through scan (which calls fn
// for each key with the prefix, in key order, until fn returns false: the
// node's store, a test chain's state), decodes it with decode and hands it
// to fn. It stops at the first value that does not decode and returns
// decode's error as it is; an error of scan itself comes first.
func ScanDecoded[T any](scan func(prefix string, fn func(key string, value []byte) bool) error, prefix string,
	decode func([]byte) (T, error), fn func(T)) error {
	var derr error
	err := scan(prefix, func(_ string, b []byte) bool {
		v, err := decode(b)
		if err != nil {
			derr = err
			return false
		}
		fn(v)
		return true
	})
	if err != nil {
		return err
	}
	return derr
}

// ArgReader reads a call's arguments in turn and keeps the first error,
// as InvalidArg makes it: read them, then check Err once. After an error
// every read gives the zero value.
type ArgReader struct {
	Args tx.Args
	Err  error
}

func argRead[T any](r *ArgReader, name string, read func(string) (T, error)) T {
	var zero T
	if r.Err != nil {
		return zero
	}
	v, err := read(name)
	if err != nil {
		r.Err = InvalidArg(err)
		return zero
	}
	return v
}

// String reads a text argument.
func (r *ArgReader) String(name string) string { return argRead(r, name, r.Args.String) }

// Uint reads an unsigned integer argument.
func (r *ArgReader) Uint(name string) uint64 { return argRead(r, name, r.Args.Uint) }

// Int reads a signed integer argument.
func (r *ArgReader) Int(name string) int64 { return argRead(r, name, r.Args.Int) }

// Bytes reads a byte-string argument.
func (r *ArgReader) Bytes(name string) []byte { return argRead(r, name, r.Args.Bytes) }

// Bool reads a boolean argument.
func (r *ArgReader) Bool(name string) bool { return argRead(r, name, r.Args.Bool) }

// Strings reads a list-of-text argument.
func (r *ArgReader) Strings(name string) []string { return argRead(r, name, r.Args.Strings) }

// LoadArg loads, with load over contract's state, what the call's text
// argument name names; a missing or malformed argument is InvalidArg.
func LoadArg[T any](ctx Context, contract string, args tx.Args, name string,
	load func(StateReader, string) (*T, error)) (*T, error) {
	id, err := args.String(name)
	if err != nil {
		return nil, InvalidArg(err)
	}
	return load(State(ctx, contract), id)
}
