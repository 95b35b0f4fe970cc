package governancegql

import (
	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/readmodel"
)

// registerSubscription adds proposalUpdates(proposalId): the proposal
// now, then after every applied block that changes it (a vote, its
// decision, withdrawal or expiry). Access is checked when the
// subscription starts, with the rule of the proposal query.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("proposalUpdates", &graphql.Field{Type: nn(m.proposal),
		Description: "A proposal: first as it is now, then after every block that changes it (who may read proposals).",
		Args:        graphql.FieldConfigArgument{"proposalId": {Type: nn(graphql.ID)}},
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			id := p.Args["proposalId"].(string)
			read := func() (*view, error) { return m.readable(ctx, id) }
			return schema.Follow(ctx, m.cfg, read, "no proposal with this id", schema.Changes(ctx, m.log, "proposalUpdates",
				func(blk *readmodel.Block) (any, error) {
					pr, err := m.rd.Proposal(id)
					if err != nil || pr.Updated != blk.Height {
						return nil, err
					}
					vs, err := m.views(ctx, pr)
					if err != nil {
						return nil, err
					}
					return vs[0], nil
				}, "proposal", id))
		},
	})
}
