package governancegql

import (
	"errors"
	"strconv"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/readmodel"
)

const cursorKind = "proposal"

func formatUint(n uint64) string { return strconv.FormatUint(n, 10) }

// nodeView is a consortium node as the consortiumNodes query gives it.
type nodeView struct {
	n       *readmodel.Node
	orgName string
}

func (m *mod) buildNodeType() {
	m.node = graphql.NewObject(graphql.ObjectConfig{Name: "ConsortiumNode",
		Description: "A node of the consortium: its id, the organisation that runs it, and whether it was removed.",
		Fields: graphql.Fields{
			"id":           field(nn(graphql.ID), func(v *nodeView) any { return v.n.ID }),
			"organisation": field(nn(graphql.ID), func(v *nodeView) any { return v.n.Org }),
			"organisationName": field(graphql.String, func(v *nodeView) any { return schema.OptString(v.orgName) },
				"The organisation's name (null if the read model does not know it)."),
			"raftId":  field(nn(graphql.String), func(v *nodeView) any { return formatUint(v.n.RaftID) }, "Decimal: raft ids are 64-bit."),
			"apiAddr": field(graphql.String, func(v *nodeView) any { return schema.OptString(v.n.APIAddr) }),
			"removed": field(nn(graphql.Boolean), func(v *nodeView) any { return v.n.Removed }),
			"since":   field(nn(graphql.Int), func(v *nodeView) any { return int(v.n.Since) }, "Height it was added at (0: genesis)."),
		}})
}

// nodes answers consortiumNodes.
func (m *mod) nodes(p graphql.ResolveParams) (any, error) {
	ctx := p.Context
	if err := m.cfg.Require(ctx, schema.Question{Obj: objNode, Act: "read"},
		"only organisation admins, consortium admins and auditors may read the consortium's nodes"); err != nil {
		return nil, err
	}
	ns, err := m.cfg.Store.Nodes()
	if err != nil {
		return nil, m.internal(ctx, "nodes", err)
	}
	out := make([]*nodeView, len(ns))
	for i, n := range ns {
		v := &nodeView{n: n}
		switch o, err := m.cfg.Store.Org(n.Org); {
		case err == nil:
			v.orgName = o.Name
		case !errors.Is(err, readmodel.ErrNotFound):
			return nil, m.internal(ctx, "nodes' organisations", err)
		}
		out[i] = v
	}
	return out, nil
}

func (m *mod) registerQueries(b *schema.Builder) error {
	m.buildNodeType()
	qs := []struct {
		name string
		f    *graphql.Field
	}{
		{"consortiumNodes", &graphql.Field{Type: nn(graphql.NewList(nn(m.node))),
			Description: "Every node ever added to the consortium, by id, removed ones included (organisation and consortium admins, auditors).",
			Resolve:     m.nodes}},
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
				status, _ := p.Args["status"].(string)
				list := func(after string, limit int) ([]*view, readmodel.Page, error) {
					ps, page, err := m.rd.Proposals(status, after, limit)
					if err != nil {
						return nil, page, m.internal(ctx, "proposals", err)
					}
					vs, err := m.views(ctx, ps...)
					return vs, page, err
				}
				return schema.ForwardConnection(m.cfg, p.Args, cursorKind, list, func(err error) error { return err })
			}}},
		{"proposal", &graphql.Field{Type: m.proposal, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "A proposal with its votes, who is missing and how many approvals it needs (null if none).",
			Resolve:     schema.ByID("id", m.readable)}},
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
