package claimgql

import (
	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/readmodel"
)

// registerSubscription adds claimStatus(claimId): the claim now, then
// after every applied block that changes it. Access is checked once, when
// the subscription starts, with the rule of the claim query.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("claimStatus", &graphql.Field{Type: nn(m.claim),
		Description: "A claim: first as it is now, then after every block that changes it (who may read the claim).",
		Args:        graphql.FieldConfigArgument{"claimId": {Type: nn(graphql.ID)}},
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			id := p.Args["claimId"].(string)
			read := func() (*claims.Claim, error) { return m.readable(ctx, id) }
			return schema.Follow(ctx, m.cfg, read, "no claim with this id", schema.Changes(ctx, m.log, "claimStatus",
				func(blk *readmodel.Block) (any, error) {
					c, err := m.rd.Claim(id)
					if err != nil || c.Updated != blk.Height {
						return nil, err
					}
					return c, nil
				}, "claim", id))
		},
	})
}
