package governancegql

import (
	"context"
	"errors"
	"log/slog"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/authz"
	"github.com/almoner/almoner/portal/governance"
)

// Resource kinds and actions of the policy catalogue this module asks
// about.
const (
	objProposal = "proposal"
	objPolicy   = "policy"
	objNode     = "node"
)

// Enforcers gives the enforcer of the policy in force, whose rules the
// policy query lists: *authz.Policy satisfies it. When
// schema.Config.Policy does not, the module keeps its own authz.Policy
// over the read model.
type Enforcers interface {
	Enforcer() (*policies.Enforcer, error)
}

var _ Enforcers = (*authz.Policy)(nil)

// Module is the governance GraphQL module; pass New() to schema.Build (or
// app.Config.Modules).
type Module struct{}

var _ schema.Module = Module{}

// New returns the module.
func New() Module { return Module{} }

// Name implements schema.Module.
func (Module) Name() string { return "governance" }

// mod is the module's state while it registers and serves.
type mod struct {
	cfg   *schema.Config
	rd    *governance.Reader
	rules Enforcers
	log   *slog.Logger

	status, kind    *graphql.Enum
	proposal, conn  *graphql.Object
	policy          *graphql.Object
	node            *graphql.Object
	txResult        *graphql.Object
	nodeIn, adminIn *graphql.InputObject
	orgKind         *graphql.Enum
}

// Register implements schema.Module.
func (Module) Register(b *schema.Builder) error {
	m := &mod{cfg: b.Cfg, rd: governance.NewReader(b.Cfg.Store), log: b.Cfg.Logger}
	if e, ok := b.Cfg.Policy.(Enforcers); ok {
		m.rules = e
	} else {
		m.rules = authz.New(b.Cfg.Store)
	}
	tr, ok := b.Type("TxResult").(*graphql.Object)
	if !ok {
		return errors.New("governancegql: the core module's TxResult type is missing")
	}
	m.txResult = tr
	m.buildTypes()
	return b.Each(m.registerQueries, m.registerMutations, m.registerSubscription)
}

func (m *mod) internal(ctx context.Context, what string, err error) error {
	return schema.Internal(ctx, m.log, "governance: "+what, err)
}

const readRefused = "only organisation admins, consortium admins and auditors may read governance proposals"

// view is a proposal with its tally, counted once per resolve.
type view struct {
	*governance.Proposal
	t governance.Tally
}

// views counts ps against the consortium as of the applied block.
func (m *mod) views(ctx context.Context, ps ...*governance.Proposal) ([]*view, error) {
	c, err := m.rd.Consortium()
	if err != nil {
		return nil, m.internal(ctx, "consortium", err)
	}
	out := make([]*view, len(ps))
	for i, p := range ps {
		out[i] = &view{Proposal: p, t: p.Tally(c)}
	}
	return out, nil
}

// readable loads proposal id for the viewer: nil when none, FORBIDDEN
// when the viewer may not read proposals.
func (m *mod) readable(ctx context.Context, id string) (*view, error) {
	if err := m.cfg.Require(ctx, schema.Question{Obj: objProposal, Act: "read"}, readRefused); err != nil {
		return nil, err
	}
	p, err := schema.Found(ctx, m.log, "governance: proposal", m.rd.Proposal, id)
	if p == nil || err != nil {
		return nil, err
	}
	return m.view(ctx, p)
}

// view is views of one proposal.
func (m *mod) view(ctx context.Context, p *governance.Proposal) (*view, error) {
	vs, err := m.views(ctx, p)
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

var nn = graphql.NewNonNull

// field is a resolver that only reads its source (see schema.Field).
func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("governancegql", t, get, desc...)
}
