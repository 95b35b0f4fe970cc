package claimgql

import (
	"context"
	"errors"
	"log/slog"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/records"
)

// Config is what the module needs beyond the schema's config.
type Config struct {
	// Keys are the claims fingerprint keys this portal holds, by hospital:
	// a hospital's portal files its claims with its own key, and checks
	// the fingerprints of a document it opens when it holds the
	// provider's key. Without the provider's key, submitClaim says so and
	// openClaimDocument checks the document's content only.
	Keys map[string]*claimdoc.Key
	// Records seals and uploads a claim's document and opens it under a
	// committed access (*records.Records). Nil: both say so.
	Records Records
	// Documents reads the records index (for the document's current
	// version); nil: a fresh claim id is assumed.
	Documents *patients.Reader
}

// Records stores and opens encrypted records for members.
type Records interface {
	Store(ctx context.Context, member, org, id string, version uint64, plaintext []byte) (ledger.Hash, error)
	Open(ctx context.Context, member string, access tx.ID) (*records.Opened, error)
}

// Module is the claims GraphQL module; pass New(cfg) to schema.Build (or
// app.Config.Modules).
type Module struct{ cfg Config }

var _ schema.Module = Module{}

// New returns the module.
func New(cfg Config) Module { return Module{cfg: cfg} }

// Name implements schema.Module.
func (Module) Name() string { return "claims" }

type mod struct {
	cfg  *schema.Config
	own  Config
	rd   *claims.Reader
	log  *slog.Logger
	docs *patients.Reader

	status, outcome *graphql.Enum
	claim, conn     *graphql.Object
}

// Register implements schema.Module.
func (mo Module) Register(b *schema.Builder) error {
	m := &mod{cfg: b.Cfg, own: mo.cfg, rd: claims.NewReader(b.Cfg.Store), log: b.Cfg.Logger, docs: mo.cfg.Documents}
	if m.docs == nil {
		m.docs = patients.NewReader(b.Cfg.Store)
	}
	if b.Type("TxResult") == nil {
		return errors.New("claimgql: the core module's TxResult type is missing")
	}
	m.buildTypes()
	return b.Each(m.registerQueries, m.registerMutations, m.registerSubscription)
}

func (m *mod) internal(ctx context.Context, what string, err error) error {
	return schema.Internal(ctx, m.log, "claims: "+what, err)
}

// readRefused answers a viewer the policy does not let read a claim.
const readRefused = "only the insurer's adjusters, the provider's staff, the patient or an auditor may read this claim"

// readingClaim lists what a claim read acts on: the claim of its patient
// as its insurer holds it, and as its provider does (the insurer's
// adjusters, the provider's staff, the patient and auditors, as the
// policy says).
func readingClaim(c *claims.Claim) []schema.Resource {
	return []schema.Resource{{Owner: c.Patient, Org: c.Insurer}, {Owner: c.Patient, Org: c.Provider}}
}

// mayRead asks the policy whether the viewer may read claim c.
func (m *mod) mayRead(ctx context.Context, c *claims.Claim) (bool, error) {
	for _, r := range readingClaim(c) {
		ok, err := m.cfg.Allowed(ctx, schema.Question{Obj: "claim", Act: "read", Owner: r.Owner, Org: r.Org})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// readable loads claim id for the viewer: nil when none, FORBIDDEN when
// the viewer may not read it.
func (m *mod) readable(ctx context.Context, id string) (*claims.Claim, error) {
	return schema.Readable(ctx, m.log, "claims: claim", m.rd.Claim, id, func(_ string, c *claims.Claim) error {
		ok, err := m.mayRead(ctx, c)
		if err == nil && !ok {
			err = schema.Forbidden(readRefused)
		}
		return err
	})
}

var nn = graphql.NewNonNull

// field is a resolver that only reads its source (see schema.Field).
func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("claimgql", t, get, desc...)
}
