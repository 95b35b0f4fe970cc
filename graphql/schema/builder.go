package schema

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/records"
	"github.com/almoner/almoner/portal/session"
)

// Node is what the schema needs of a node: *client.Client satisfies it.
type Node interface {
	Status(ctx context.Context) (*api.Status, error)
	Proof(ctx context.Context, id tx.ID) (*ledger.ReceiptProof, error)
	SubmitTx(ctx context.Context, s *tx.Signed, o client.SubmitOptions) (api.TxStatus, error)
	// BlockByHash returns the block whose header hash is h, or an error
	// matching client.ErrNotFound when there is none.
	BlockByHash(ctx context.Context, h ledger.Hash) (*api.Block, error)
}

// Signer signs a transaction body with its sender's key: *keyring.Keyring
// satisfies it. It returns an error wrapping keyring.ErrNoKey when it holds
// no key for the sender.
type Signer interface {
	Sign(body tx.Body) (*tx.Signed, error)
}

// Blocks is the block feed subscriptions read: *readmodel.Follower.
type Blocks interface {
	Subscribe(buffer int) *readmodel.Subscription
	Lag() (uint64, bool)
}

// MemberKeys generates a new member's keys in the portal keystore:
// *keyring.Keyring satisfies it. Has says whether the keystore holds a
// member's keys; EnsureKeys returns the public keys
// (generating them when the keystore holds none; created says so);
// Discard destroys keys the ledger never accepted.
type MemberKeys interface {
	Has(member string) bool
	EnsureKeys(member string) (pub keyring.PublicKeys, created bool, err error)
	Discard(member string) error
}

// Records stores records on custodians (sealed for the custodian's node)
// and fetches a record released by a committed, granted access
// transaction from the custodian and opens it with the reader's key:
// *records.Records satisfies it. The plaintext must go to member only and
// never into logs.
type Records interface {
	Open(ctx context.Context, member string, access tx.ID) (*records.Opened, error)
	// Store seals plaintext as a version of record id for org's
	// custodian node and uploads it, signed by member; it returns the
	// ciphertext hash to register.
	Store(ctx context.Context, member, org, id string, version uint64, plaintext []byte) (ledger.Hash, error)
	// SendNote delivers a break-glass note (api.NoteReason or
	// api.NoteReview) of access, written by member, sealed for the
	// custodian organisation's nodes; OpenNote fetches one and opens it
	// with member's key (the caller checks it against the ledger's hash).
	SendNote(ctx context.Context, member, custodian, kind string, access tx.ID, text string) error
	OpenNote(ctx context.Context, member, kind string, access tx.ID) ([]byte, error)
}

var (
	_ Node       = (*client.Client)(nil)
	_ Signer     = (*keyring.Keyring)(nil)
	_ MemberKeys = (*keyring.Keyring)(nil)
	_ Records    = (*records.Records)(nil)
	_ Blocks     = (*readmodel.Follower)(nil)
)

// Policy answers authorisation questions the way the contracts ask them
// (*authz.Policy implements it).
type Policy interface {
	Allowed(member, obj, act, owner, org string, consent bool) (bool, error)
}

// Config is what resolvers use.
type Config struct {
	ChainID string
	Store   *readmodel.Store
	Blocks  Blocks
	Node    Node
	Signer  Signer
	// Keys makes new members' keys (createMember).
	Keys MemberKeys
	// Records opens records for their readers (readRecord, breakGlassRead).
	Records  Records
	Sessions *session.Store
	// Policy decides what a viewer may read (the nodes' casbin policy,
	// kept in step with the read model: portal/authz).
	Policy Policy
	// Patients is the portal's off-ledger patient directory (optional:
	// without one every patientName is null).
	Patients PatientDirectory
	Logger   *slog.Logger
	// DefaultPage and MaxPage bound connection page sizes (defaults 20
	// and 100).
	DefaultPage, MaxPage int
	// ExpiryBlocks is how many blocks a signed transaction stays valid
	// (default 100; must stay within the chain's replay window).
	ExpiryBlocks uint64
	// WaitTimeout bounds a mutation's wait for its commit (default 10s).
	WaitTimeout time.Duration
	// SubscriptionBuffer is how many blocks a slow subscriber may fall
	// behind before it is dropped (default 64).
	SubscriptionBuffer int
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.ChainID == "" || c.Store == nil || c.Blocks == nil || c.Node == nil || c.Signer == nil || c.Keys == nil || c.Records == nil ||
		c.Sessions == nil || c.Policy == nil {
		return errors.New("schema: ChainID, Store, Blocks, Node, Signer, Keys, Records, Sessions and Policy are required")
	}
	defaults.Logger(&c.Logger)
	defaults.Set(&c.DefaultPage, 20)
	defaults.Set(&c.MaxPage, 100)
	if c.DefaultPage > c.MaxPage {
		return fmt.Errorf("schema: DefaultPage %d above MaxPage %d", c.DefaultPage, c.MaxPage)
	}
	defaults.Set(&c.ExpiryBlocks, 100)
	defaults.Set(&c.WaitTimeout, 10*time.Second)
	defaults.Set(&c.SubscriptionBuffer, 64)
	return nil
}

// Module adds types and fields to the schema.
type Module interface {
	Name() string
	Register(b *Builder) error
}

// Builder collects the root fields of every module. Modules share named
// types through Type/SetType (e.g. "Member", "Block", "TxResult").
type Builder struct {
	Cfg          *Config
	query        graphql.Fields
	mutation     graphql.Fields
	subscription graphql.Fields
	types        map[string]graphql.Type
	txs          map[string][2]string // transaction mutations: policy object and action
}

func add(fs graphql.Fields, kind, name string, f *graphql.Field) error {
	if _, dup := fs[name]; dup {
		return fmt.Errorf("schema: %s field %q defined twice", kind, name)
	}
	fs[name] = f
	return nil
}

// Query adds a root query field.
func (b *Builder) Query(name string, f *graphql.Field) error { return add(b.query, "query", name, f) }

// Mutation adds a root mutation field.
func (b *Builder) Mutation(name string, f *graphql.Field) error {
	return add(b.mutation, "mutation", name, f)
}

// Subscription adds a root subscription field; its Subscribe returns a
// chan any that the resolver closes when the context ends. Without a
// Resolve, each value streamed is the field's value as it is.
func (b *Builder) Subscription(name string, f *graphql.Field) error {
	if f.Resolve == nil {
		f.Resolve = func(p graphql.ResolveParams) (any, error) { return p.Source, nil }
	}
	return add(b.subscription, "subscription", name, f)
}

// SetType names a type for other modules.
func (b *Builder) SetType(name string, t graphql.Type) { b.types[name] = t }

// Type returns a type named by an earlier module (nil if none).
func (b *Builder) Type(name string) graphql.Type { return b.types[name] }

// Each runs a module's registration steps in order and stops at the first
// that fails.
func (b *Builder) Each(steps ...func(*Builder) error) error {
	for _, step := range steps {
		if err := step(b); err != nil {
			return err
		}
	}
	return nil
}

// Schema is a built schema with its config.
type Schema struct {
	graphql.Schema
	Cfg *Config
	txs map[string][2]string
}

// Build builds the schema from the core module and then mods.
func Build(cfg Config, mods ...Module) (*Schema, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Builder{Cfg: &cfg, query: graphql.Fields{}, mutation: graphql.Fields{}, subscription: graphql.Fields{}, types: map[string]graphql.Type{},
		txs: map[string][2]string{}}
	seen := map[string]bool{}
	for _, m := range append([]Module{core{}}, mods...) {
		if seen[m.Name()] {
			return nil, fmt.Errorf("schema: module %q registered twice", m.Name())
		}
		seen[m.Name()] = true
		if err := m.Register(b); err != nil {
			return nil, fmt.Errorf("schema: module %s: %w", m.Name(), err)
		}
	}
	sc := graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: b.query})}
	if len(b.mutation) > 0 {
		sc.Mutation = graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: b.mutation})
	}
	if len(b.subscription) > 0 {
		sc.Subscription = graphql.NewObject(graphql.ObjectConfig{Name: "Subscription", Fields: b.subscription})
	}
	s, err := graphql.NewSchema(sc)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return &Schema{Schema: s, Cfg: &cfg, txs: b.txs}, nil
}

// TxResult is what every mutation returns.
type TxResult struct {
	ID      tx.ID
	Status  string
	Height  uint64
	Receipt *ledger.Receipt
}

// submit signs contract.method(args) with the acting member's key,
// submits it and, with wait, waits for its receipt and for the read model
// to apply its block. Mutations reach it through Builder.TxMutation,
// after the policy's pre-check; the portal's own reports (NotDelivered)
// call it directly.
func submit(ctx context.Context, cfg *Config, contract, method string, args []tx.Arg, wait bool) (*TxResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	st, err := cfg.Node.Status(ctx)
	if err != nil {
		return nil, nodeErr(ctx, cfg, "status", err)
	}
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, internal(ctx, cfg.Logger, "nonce", err)
	}
	body := tx.Body{Version: tx.Version, ChainID: cfg.ChainID, Sender: p.Account, Nonce: binary.BigEndian.Uint64(nb[:]),
		Expiry: st.Height + cfg.ExpiryBlocks, Call: tx.Call{Contract: contract, Method: method, Args: args}}
	if err := body.Validate(); err != nil {
		return nil, Errorf(CodeBadUserInput, "invalid arguments for "+contract+"."+method)
	}
	signed, err := cfg.Signer.Sign(body)
	if errors.Is(err, keyring.ErrNoKey) {
		return nil, Errorf(CodeForbidden, "the portal holds no signing key for this account")
	}
	if err != nil {
		return nil, internal(ctx, cfg.Logger, "sign", err)
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.WaitTimeout+2*time.Second)
	defer cancel()
	res, err := cfg.Node.SubmitTx(wctx, signed, client.SubmitOptions{Wait: wait, Timeout: cfg.WaitTimeout})
	if err != nil {
		if res.Status == api.StatusRejected {
			cfg.Logger.InfoContext(ctx, "transaction rejected", "contract", contract, "method", method,
				"reason", res.Reason, "error", res.Error)
			return nil, rejected(res)
		}
		return nil, nodeErr(ctx, cfg, "submit", err)
	}
	out := &TxResult{ID: res.ID, Status: res.Status, Height: res.Height, Receipt: res.Receipt}
	if wait && res.Status == api.StatusCommitted {
		// Read your writes: the block is in the read model before we answer.
		for {
			if h, ok := cfg.Store.Applied(); ok && h >= res.Height {
				break
			}
			select {
			case <-wctx.Done():
				return out, nil
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	return out, nil
}

// rejected answers a transaction the node refused, by the node's reason:
// the account's key is not (or no longer) a member's, the request is
// malformed, the node is busy, or it conflicts with the ledger's state.
func rejected(res api.TxStatus) *Error {
	switch res.Reason {
	case api.RefusedNotMember:
		return Errorf(CodeForbidden, "the node refused the transaction: this account's signing key is not a current key of "+
			"an active member (revoked, rotated or expired): ask your organisation's admin")
	case api.RefusedPrecheck, api.RefusedMalformed:
		return Errorf(CodeBadUserInput, "the node refused the transaction: "+res.Error)
	case api.RefusedFull:
		return Errorf(CodeUnavailable, "the node is busy (its pool of pending transactions is full); try again shortly")
	default:
		return Errorf(CodeConflict, "the node refused the transaction: "+res.Error)
	}
}

func nodeErr(ctx context.Context, cfg *Config, what string, err error) *Error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.StatusCode < 500 {
		return internal(ctx, cfg.Logger, what, err)
	}
	cfg.Logger.WarnContext(ctx, "node unavailable", "op", what, "err", err)
	return Errorf(CodeUnavailable, "the consortium node is unavailable; try again")
}
