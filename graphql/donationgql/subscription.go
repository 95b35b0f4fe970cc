package donationgql

import (
	"errors"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/readmodel"
)

// registerSubscription adds giftLineage(giftId): the gift's lineage now,
// then after every applied block that touches it (a disbursement or refund of it, the
// confirmation of a disbursement it funds, or a status change of a
// milestone it is allocated to). Access is checked once, when the
// subscription starts, with the same rule as the gift query.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("giftLineage", &graphql.Field{Type: nn(m.t.lineage),
		Description: "A gift's lineage: first as it is now, then after every block that touches it (the donor, the charity's officers, auditors).",
		Args:        graphql.FieldConfigArgument{"giftId": {Type: nn(graphql.ID)}},
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			v, err := m.viewer(ctx)
			if err != nil {
				return nil, err
			}
			id := p.Args["giftId"].(string)
			g, err := m.rd.Gift(id)
			if errors.Is(err, readmodel.ErrNotFound) {
				return nil, schema.Errorf(schema.CodeNotFound, "no gift with this id")
			}
			if err != nil {
				return nil, m.internal(ctx, "gift", err)
			}
			if !v.mayReadGift(g) {
				return nil, schema.Forbidden("only the donor, a charity officer of " + g.Charity + " or an auditor may follow this gift")
			}
			// Subscribe before reading the snapshot so no block falls
			// between them.
			sub := m.cfg.Blocks.Subscribe(m.cfg.SubscriptionBuffer)
			first, err := m.rd.LineageOf(g)
			if err != nil {
				sub.Close()
				return nil, m.internal(ctx, "lineage", err)
			}
			return schema.Stream(ctx, sub, []any{first}, schema.Changes(ctx, m.log, "giftLineage",
				func(blk *readmodel.Block) (any, error) {
					l, err := m.rd.Lineage(id)
					if err != nil || !l.Touched(blk.Height) {
						return nil, err
					}
					return l, nil
				}, "gift", id)), nil
		},
	})
}
