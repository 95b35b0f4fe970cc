package governancegql

import (
	"strconv"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
)

const cursorKind = "proposal"

func formatUint(n uint64) string { return strconv.FormatUint(n, 10) }

func (m *mod) registerQueries(b *schema.Builder) error {
	qs := []struct {
		name string
		f    *graphql.Field
	}{
		{"proposals", &graphql.Field{Type: nn(m.conn),
			Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{
				"status": {Type: m.status, Description: "Only proposals with this status (OPEN: those still collecting votes)."},
			}),
			Description: "Governance proposals, newest first (organisation and consortium admins, auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				ctx := p.Context
				if err := m.cfg.Require(ctx, schema.Question{Obj: objProposal, Act: "read"}, readRefused); err != nil {
					return nil, err
				}
				pg, err := schema.ForwardPageArgs(m.cfg, p.Args, cursorKind)
				if err != nil {
					return nil, err
				}
				if pg.Limit == 0 {
					return &schema.Connection{}, nil
				}
				status, _ := p.Args["status"].(string)
				ps, page, err := m.rd.Proposals(status, pg.Cursor, pg.Limit)
				if err != nil {
					return nil, m.internal(ctx, "proposals", err)
				}
				vs, err := m.views(ctx, ps...)
				if err != nil {
					return nil, err
				}
				return schema.ConnectionOf(cursorKind, vs, page, pg.HasCursor), nil
			}}},
		{"proposal", &graphql.Field{Type: m.proposal, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "A proposal with its votes, who is missing and how many approvals it needs (null if none).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := m.readable(p.Context, p.Args["id"].(string))
				if v == nil || err != nil {
					return nil, err
				}
				return v, nil
			}}},
		{"policy", &graphql.Field{Type: nn(m.policy),
			Description: "The authorisation rules in force and the approval threshold, as of the read model's block (organisation and consortium admins, auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				ctx := p.Context
				if err := m.cfg.Require(ctx, schema.Question{Obj: objPolicy, Act: "read"},
					"only organisation admins, consortium admins and auditors may read the policy"); err != nil {
					return nil, err
				}
				h, _ := m.cfg.Store.Applied()
				e, err := m.rules.Enforcer()
				if err != nil {
					return nil, m.internal(ctx, "enforcer", err)
				}
				c, err := m.rd.Consortium()
				if err != nil {
					return nil, m.internal(ctx, "consortium", err)
				}
				return &policyView{rules: e.Rules(), c: c, height: h}, nil
			}}},
	}
	for _, q := range qs {
		if err := b.Query(q.name, q.f); err != nil {
			return err
		}
	}
	return nil
}
