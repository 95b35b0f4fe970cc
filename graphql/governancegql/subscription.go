package governancegql

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/governance"
)

// registerSubscription adds proposalUpdates(proposalId): the proposal
// now, then after every applied block that changes it (a vote, its
// decision, withdrawal or expiry). Access is checked when the
// subscription starts, with the rule of the proposal query.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("proposalUpdates", &graphql.Field{Type: nn(m.proposal),
		Description: "A proposal: first as it is now, then after every block that changes it (who may read proposals).",
		Args:        graphql.FieldConfigArgument{"proposalId": {Type: nn(graphql.ID)}},
		Subscribe: schema.FollowID(m.cfg, m.log, "proposalUpdates", "proposalId", "proposal", m.readable,
			schema.Reread(m.rd.Proposal, func(p *governance.Proposal, h uint64) bool { return p.Updated == h },
				func(ctx context.Context, p *governance.Proposal) (any, error) { return m.view(ctx, p) })),
	})
}
