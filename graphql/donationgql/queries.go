package donationgql

import (
	"context"
	"fmt"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
)

// Report dates must fall in this range (block times are Unix nanoseconds).
var (
	minDate = time.Unix(0, 1).UTC()
	maxDate = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseDate reads "2006-01-02" (midnight UTC) or RFC 3339.
func parseDate(name, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, schema.Errorf(schema.CodeBadUserInput, name+" must be a date (2006-01-02) or an RFC 3339 time")
	}
	if t.Before(minDate) || t.After(maxDate) {
		return time.Time{}, schema.Errorf(schema.CodeBadUserInput, name+" must be between 1970 and 2200")
	}
	return t.UTC(), nil
}

func (m *mod) registerQueries(b *schema.Builder) error {
	t := &m.t
	idArg := func(desc string) graphql.FieldConfigArgument {
		return graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID), Description: desc}}
	}
	qs := []struct {
		name string
		f    *graphql.Field
	}{
		{"campaigns", &graphql.Field{Type: nn(t.campaignConn), Args: connArgs, Description: "Every campaign, by id (public).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				pg, err := schema.ForwardPageArgs(m.cfg, p.Args, "campaign")
				if err != nil {
					return nil, err
				}
				if pg.Limit == 0 {
					return &schema.Connection{}, nil
				}
				cs, more, err := m.rd.Campaigns(pg.Cursor, pg.Limit)
				if err != nil {
					return nil, m.internal(p.Context, "campaigns", err)
				}
				c := &schema.Connection{HasNext: more, HasPrev: pg.HasCursor}
				for _, x := range cs {
					c.Nodes = append(c.Nodes, x)
					c.Cursors = append(c.Cursors, schema.EncodeCursor("campaign", x.ID))
				}
				return c, nil
			}}},
		{"campaign", &graphql.Field{Type: t.campaign, Args: idArg("The campaign id."), Description: "A campaign (public; null if none).",
			Resolve: schema.ByID("id", func(ctx context.Context, id string) (*donations.Campaign, error) {
				return schema.Found(ctx, m.log, "donations: campaign", m.rd.Campaign, id)
			})}},
		{"gift", &graphql.Field{Type: t.gift, Args: idArg("The gift id (its giving transaction's id)."),
			Description: "A gift with its lineage (its donor, the charity's officers, auditors; null if none).",
			Resolve: schema.ByID("id", func(ctx context.Context, id string) (giftT, error) {
				return m.readableGift(ctx, id, "read")
			})}},
		{"myGifts", &graphql.Field{Type: nn(t.giftConn),
			Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{"newestFirst": {Type: graphql.Boolean, DefaultValue: false,
				Description: "Newest first (a cursor pages in the order it came from)."}}),
			Description: "The viewer's own gifts, in the order they committed (or newest first).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := m.viewer(p.Context)
				if err != nil {
					return nil, err
				}
				newest, _ := p.Args["newestFirst"].(bool)
				kind := "mygift"
				if newest {
					kind = "mygiftnew"
				}
				return page(p.Context, m, p.Args, kind, "my gifts",
					func(after string, limit int) ([]giftT, donations.Page, error) {
						return m.rd.DonorGifts(v.p.Account, after, limit, newest)
					})
			}}},
		{"myGivingTotals", &graphql.Field{Type: nn(t.givingTotals),
			Description: fmt.Sprintf("What the viewer gave, per currency, and where it is now: disbursed, in escrow, refunded "+
				"(over their first %d gifts; truncated says there are more).", donations.MaxTotalled),
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := m.viewer(p.Context)
				if err != nil {
					return nil, err
				}
				ts, more, err := m.rd.DonorTotals(v.p.Account)
				if err != nil {
					return nil, m.internal(p.Context, "my giving totals", err)
				}
				return &givingTotals{totals: ts, truncated: more}, nil
			}}},
		{"disbursement", &graphql.Field{Type: t.disbursement, Args: idArg("The disbursement id."),
			Description: "A disbursement (the charity's officers, auditors and its payee; null if none).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := m.viewer(p.Context)
				if err != nil {
					return nil, err
				}
				d, err := schema.Found(p.Context, m.log, "donations: disbursement", m.rd.Disbursement,
					p.Args["id"].(string))
				if d == nil || err != nil || d.Campaign == "" {
					return nil, err
				}
				if !v.mayReadDisbursement(d) {
					return nil, schema.Forbidden("only a charity officer of " + d.Charity + ", an auditor or the payee may read this disbursement")
				}
				return d, nil
			}}},
		{"giftProofBundle", m.giftProofBundle()},
		{"charityReport", &graphql.Field{Type: nn(t.report),
			Args: graphql.FieldConfigArgument{
				"charity": {Type: nn(graphql.ID), Description: "The charity organisation."},
				"from":    {Type: nn(graphql.String), Description: "Start, inclusive: 2006-01-02 (midnight UTC) or RFC 3339."},
				"to":      {Type: nn(graphql.String), Description: "End, exclusive: 2006-01-02 (midnight UTC) or RFC 3339."},
			},
			Description: "A charity's income, disbursements and refunds per campaign for block times in [from, to), with CSV " +
				"(who the policy lets read the charity's reports: report read; by default its charity officers and auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				charity := p.Args["charity"].(string)
				// The policy in force decides, as governance changes it.
				if err := m.cfg.Require(p.Context, schema.Question{Obj: "report", Act: "read", Org: charity},
					"the policy does not let you read "+charity+"'s reports (report read: by default its charity officers and auditors)"); err != nil {
					return nil, err
				}
				from, err := parseDate("from", p.Args["from"].(string))
				if err != nil {
					return nil, err
				}
				to, err := parseDate("to", p.Args["to"].(string))
				if err != nil {
					return nil, err
				}
				if !to.After(from) {
					return nil, schema.Errorf(schema.CodeBadUserInput, "to must be after from")
				}
				rep, err := m.rd.Report(charity, from, to, ReportEntriesLimit)
				if err != nil {
					return nil, m.internal(p.Context, "report", err)
				}
				return rep, nil
			}}},
	}
	for _, q := range qs {
		if err := b.Query(q.name, q.f); err != nil {
			return err
		}
	}
	return nil
}
