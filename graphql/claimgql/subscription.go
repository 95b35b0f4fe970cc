package claimgql

import (
	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
)

// registerSubscription adds claimStatus(claimId): the claim now, then
// after every applied block that changes it. Access is checked once, when
// the subscription starts, with the rule of the claim query.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("claimStatus", &graphql.Field{Type: nn(m.claim),
		Description: "A claim: first as it is now, then after every block that changes it (who may read the claim).",
		Args:        graphql.FieldConfigArgument{"claimId": {Type: nn(graphql.ID)}},
		Subscribe: schema.FollowID(m.cfg, m.log, "claimStatus", "claimId", "claim", m.readable,
			schema.Reread(m.rd.Claim, func(c *claims.Claim, h uint64) bool { return c.Updated == h }, nil)),
	})
}
