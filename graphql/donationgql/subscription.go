package donationgql

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
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
		Subscribe: schema.FollowID(m.cfg, m.log, "giftLineage", "giftId", "gift", m.followable,
			schema.Reread(m.rd.Lineage, (*donations.Lineage).Touched, nil)),
	})
}

// followable reads gift id's lineage for the viewer: nil when there is no
// such gift, FORBIDDEN when the viewer may not read it.
func (m *mod) followable(ctx context.Context, id string) (*donations.Lineage, error) {
	g, err := m.readableGift(ctx, id, "follow")
	if g == nil || err != nil {
		return nil, err
	}
	l, err := m.rd.LineageOf(g)
	if err != nil {
		return nil, m.internal(ctx, "lineage", err)
	}
	return l, nil
}
