package donationgql

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/session"
)

// ReportEntriesLimit bounds the entries (and entriesCsv lines) of one
// charityReport; the per-campaign sums always count every entry.
const ReportEntriesLimit = 5000

// Module is the donations GraphQL module; pass New() to schema.Build (or
// app.Config.Modules).
type Module struct{}

var _ schema.Module = Module{}

// New returns the module.
func New() Module { return Module{} }

// Name implements schema.Module.
func (Module) Name() string { return "donations" }

// mod is the module's state while it registers and serves.
type mod struct {
	cfg *schema.Config
	rd  *donations.Reader
	log *slog.Logger
	t   types
}

// Register implements schema.Module.
func (Module) Register(b *schema.Builder) error {
	m := &mod{cfg: b.Cfg, rd: donations.NewReader(b.Cfg.Store), log: b.Cfg.Logger}
	if b.Type("TxResult") == nil || b.Type("Organisation") == nil || b.Type("Transaction") == nil {
		return errors.New("donationgql: the core module's TxResult, Organisation and Transaction types are missing")
	}
	m.buildTypes(b)
	return b.Each(m.registerQueries, m.registerMutations, m.registerSubscription)
}

// internal logs err and returns a user-facing error without detail.
func (m *mod) internal(ctx context.Context, what string, err error) error {
	return schema.Internal(ctx, m.log, "donations: "+what, err)
}

// page answers a connection of kind that pages forward, read by list; a
// failed read is an internal error about what.
func page[T any](ctx context.Context, m *mod, args map[string]any, kind, what string,
	list func(after string, limit int) ([]T, readmodel.Page, error)) (*schema.Connection, error) {
	return schema.ForwardConnection(m.cfg, args, kind, list, func(err error) error { return m.internal(ctx, what, err) })
}

// viewer is the acting account with the request it asks the policy in.
type viewer struct {
	p   *session.Principal
	ctx context.Context
	cfg *schema.Config
}

func (m *mod) viewer(ctx context.Context) (*viewer, error) {
	p := schema.Principal(ctx)
	if p == nil {
		return nil, schema.ErrUnauthenticated
	}
	return &viewer{p: p, ctx: ctx, cfg: m.cfg}, nil
}

// gift reads gift id for a signed-in viewer, nil when there is none; who
// may read it is the caller's to check.
func (m *mod) gift(ctx context.Context, id string) (*viewer, giftT, error) {
	v, err := m.viewer(ctx)
	if err != nil {
		return nil, nil, err
	}
	g, err := schema.Found(ctx, m.log, "donations: gift", m.rd.Gift, id)
	if err != nil {
		return nil, nil, err
	}
	return v, g, nil
}

// readableGift reads gift id for the viewer: nil when there is none,
// FORBIDDEN (the viewer may not verb it) when gift read refuses it.
func (m *mod) readableGift(ctx context.Context, id, verb string) (giftT, error) {
	v, g, err := m.gift(ctx, id)
	if g == nil || err != nil {
		return nil, err
	}
	if !v.mayReadGift(g) {
		return nil, schema.Forbidden("only the donor, a charity officer of " + g.Charity + " or an auditor may " + verb +
			" this gift")
	}
	return g, nil
}

// allowed asks the policy in force (governance changes it) whether the
// viewer may act on an object owned by owner and held by org, the way the
// donation contract asks it; no role is named here. A policy that cannot
// answer refuses.
func (v *viewer) allowed(obj, act, owner, org string) bool {
	ok, err := v.cfg.Allowed(v.ctx, schema.Question{Obj: obj, Act: act, Owner: owner, Org: org})
	return err == nil && ok
}

// oversees reports whether the viewer may read every gift to charity (by
// default: its charity officers and auditors).
func (v *viewer) oversees(charity string) bool { return v.allowed("gift", "read", "", charity) }

// mayReadGift: gift read, the gift owned by its donor and held by the
// charity (by default: the donor, the charity's officers, auditors).
func (v *viewer) mayReadGift(g *donations.Gift) bool {
	return v.allowed("gift", "read", g.Donor, g.Charity)
}

// mayReadDisbursement: disbursement read, held by the charity and owned by
// a member payee (by default: the charity's officers, auditors, the payee
// member); or, paid to an organisation, as held by that organisation (by
// default: its records clerks, who confirm receiving it).
func (v *viewer) mayReadDisbursement(d *donations.Disbursement) bool {
	owner := ""
	if strings.Contains(d.Payee, "/") {
		owner = d.Payee
	}
	return v.allowed("disbursement", "read", owner, d.Charity) ||
		owner == "" && v.allowed("disbursement", "read", "", d.Payee)
}

// requireOversight returns the viewer when it oversees charity.
func (m *mod) requireOversight(ctx context.Context, charity, what string) (*viewer, error) {
	v, err := m.viewer(ctx)
	if err != nil {
		return nil, err
	}
	if !v.oversees(charity) {
		return nil, schema.Forbidden("only a charity officer of " + charity + " or an auditor may read " + what)
	}
	return v, nil
}

// thunk turns a dataloader thunk into a graphql-go thunk, null when
// missing.
func thunk[V any](ctx context.Context, m *mod, t func() (*V, error)) func() (any, error) {
	return func() (any, error) {
		v, err := t()
		if errors.Is(err, readmodel.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, m.internal(ctx, "load", err)
		}
		return v, nil
	}
}

var connArgs = schema.ForwardConnArgs(nil)
